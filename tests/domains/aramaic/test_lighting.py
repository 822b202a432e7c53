"""The raking light (`domains/aramaic/lighting.py`): shading and cast shadows of a height map."""

import numpy as np

from core.testing import TestCase
from domains.aramaic.lighting import light_vector, shade, shadow


class LightingTest(TestCase):
    def test_raking_light_casts_shadows_on_the_far_side_of_a_groove(self):
        # A vertical groove 8 px wide and 4 deep, lit from +x at 15 degrees: the edge sloping down
        # towards +x (x = 19) faces the light and is bright; the floor lies in the shadow of the far
        # wall (4 / tan 15° = 15 px > 8 px); the wall rising towards +x faces away from the light.
        size = 48
        height = np.zeros((size, size), "float32")
        height[:, 20:28] = -4.0
        albedo = np.full((size, size, 3), 0.5, "float32")
        light = light_vector([0.0], [15.0])  # the renderer works on chunks: a chunk of one
        shaded = shade(height[None], albedo[None], light, [0.1], [0.0])[0, ..., 0]
        flat = shaded[:, 5].mean()
        self.assertGreater(shaded[:, 19].mean(), 1.5 * flat)
        self.assertLess(shaded[:, 21:27].max(), 0.3 * flat)  # cast shadow: only the ambient term
        self.assertLess(shaded[:, 27].mean(), 0.3 * flat)
        no_light_shadow = shadow(height[None], light_vector([0.0], [89.0]))
        self.assertGreater(no_light_shadow.min(), 0.9)  # light from above: nothing in shadow

    def test_light_vectors_are_unit_and_point_up(self):
        vectors = light_vector([0.0, 90.0, 200.0], [10.0, 45.0, 89.0])
        self.assertAllClose(np.linalg.norm(vectors, axis=1), np.ones(3), atol=1e-6)
        self.assertTrue((vectors[:, 2] > 0).all())
        self.assertAllClose(vectors[1, :2], [0.0, np.cos(np.pi / 4)], atol=1e-6)  # azimuth 90: from +y
