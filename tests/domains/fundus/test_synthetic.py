"""The SYNTHETIC fundus generator: lesions grow with the grade; the gate accepts its drawings."""

import numpy as np

from core.testing import TestCase
from domains.fundus.gate import assess_gradeability
from domains.fundus.synthetic import referable, synthetic_fundus, synthetic_fundus_set


def _lesion_pixels(image):
    """Pixels of the hard exudates' yellow (245, 225, 110); the optic disc is paler (more blue)."""
    r, g, b = (image[..., c].astype(int) for c in range(3))
    yellow = (r > 220) & (g > 195) & (b > 80) & (b < 135)
    return int(yellow.sum())


class SyntheticTest(TestCase):
    def test_lesions_grow_with_the_grade_and_are_reproducible(self):
        exudates = [np.mean([_lesion_pixels(synthetic_fundus(grade, 256, seed)) for seed in range(4)])
                    for grade in range(5)]
        # Exudates from grade 2 on (a few paler optic-disc pixels pass the colour test at every grade).
        self.assertLess(max(exudates[:2]), 10)
        self.assertGreater(exudates[2], 3 * max(exudates[:2]))
        self.assertGreater(exudates[3], exudates[2])
        np.testing.assert_array_equal(synthetic_fundus(3, 128, seed=7), synthetic_fundus(3, 128, seed=7))
        self.assertFalse(np.array_equal(synthetic_fundus(0, 128, seed=7), synthetic_fundus(0, 128, seed=8)))
        with self.assertRaisesRegex(ValueError, "ICDR grade 0..4"):
            synthetic_fundus(5)

    def test_sets_gate_and_labels(self):
        images, grades = synthetic_fundus_set(10, size=256, seed=0)
        self.assertEqual(images.shape, (10, 256, 256, 3))
        self.assertEqual(images.dtype, np.uint8)
        self.assertLessEqual(set(grades), set(range(5)))
        self.assertGreaterEqual(len(set(grades)), 3)
        np.testing.assert_array_equal(referable(grades), grades >= 2)
        self.assertLessEqual(images[:, 0, 0].max(), 3)
        from PIL import Image

        verdict = assess_gradeability(np.asarray(Image.fromarray(images[0]).resize((512, 512))))
        self.assertTrue(verdict.gradeable, verdict.describe())
