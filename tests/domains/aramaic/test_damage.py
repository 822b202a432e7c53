"""Damage and legibility (`domains/aramaic/damage.py`): worse with severity, none when switched off, a floor."""

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic.damage import MIN_LEGIBILITY, crack_walk, legibility, raise_legibility
from domains.aramaic.letters import NO_LETTER_CLASS
from domains.aramaic.synth import AramaicSynth


@pytest.mark.usefixtures("noto_font")
class DamageTest(TestCase):
    def test_damage_grows_with_severity(self):
        # Same seed, same letter: more severe damage removes more of the letter's contrast.
        synth = AramaicSynth(image_size=48, fonts=self.noto_font, seed=5)

        def letter_contrast(severity):
            values = []
            for i in range(12):
                r = synth.example(i, label=10, severity=severity, stages=True)
                values.append(np.abs(r.stages["damage"] - r.stages["stone"]).mean())
            return np.mean(values)

        self.assertLess(letter_contrast(0.0), letter_contrast(1.0))

    def test_damage_switched_off_leaves_the_surface_as_it_was(self):
        def stages(ablate, index):
            synth = AramaicSynth(image_size=32, fonts=self.noto_font, min_legibility=0.0, ablate=ablate)
            return synth.example(index, label=7, severity=1.0, stages=True).stages

        # The damaged surface is the undamaged one, bit for bit, even at severity 1.
        for index in range(3):
            off = stages(("damage",), index)
            np.testing.assert_array_equal(off["damage"], off["stone"])
            self.assertFalse(np.array_equal(stages((), index)["damage"], off["stone"]))

    def test_legibility_floor_deepens_only_the_faint_letters(self):
        settings = {"image_size": 48, "fonts": self.noto_font, "severity": (1.0, 1.0), "seed": 3}
        free_images, labels, free = AramaicSynth(min_legibility=0.0, **settings).arrays(23)
        images, _, floored = AramaicSynth(**settings).arrays(23)  # the default floor, 2
        self.assertEqual(MIN_LEGIBILITY, 2.0)
        letter = labels != NO_LETTER_CLASS
        faint = letter & (free[:, 4] < 2.0)
        self.assertTrue(faint.any())  # the worst damage leaves some letters fainter than the floor
        np.testing.assert_allclose(floored[letter, 4], np.maximum(free[letter, 4], 2.0), rtol=1e-5)
        # "No Letter" has no strokes to measure, unless a neighbour's fragment is in view (then the
        # fragment's edges are measured, as they are beside a letter): none is, at this seed.
        self.assertTrue(np.isinf(floored[~letter, 4]).all())
        # Letters already legible are left as they were (up to rounding); faint ones are not.
        kept = letter & ~faint
        np.testing.assert_allclose(images[kept].astype(int), free_images[kept].astype(int), atol=1)
        self.assertFalse(np.array_equal(images[faint], free_images[faint]))


class LegibilityTest(TestCase):
    def test_legibility_is_letter_slope_over_clutter_and_the_floor_raises_it(self):
        groove = np.zeros((1, 32, 32), "float32")
        groove[0, :, 12:20] = -2.0
        grey = np.full((1, 32, 32, 3), 0.5, "float32")
        rough = np.random.default_rng(0).normal(0, 0.5, (1, 32, 32)).astype("float32")
        clean, cluttered = legibility(groove, groove, np.zeros_like(groove), grey), legibility(groove, groove, rough, grey)
        self.assertGreater(clean[0], 100 * cluttered[0])
        self.assertTrue(np.isinf(legibility(np.zeros_like(groove), groove, rough, grey)[0]))  # no letter
        glyph, stone, albedo, value = raise_legibility(groove, rough, grey, cluttered, 4 * cluttered[0])
        self.assertAllClose(legibility(groove, glyph, stone, albedo), 4 * cluttered, rtol=1e-3)
        self.assertAllClose(value, 4 * cluttered)

    def test_cracks_stay_in_the_image(self):
        ys, xs = crack_walk(np.random.default_rng(1), 40)
        self.assertEqual(len(ys), len(xs))
        self.assertTrue(len(ys) and ys.min() >= 0 and xs.max() < 40)
