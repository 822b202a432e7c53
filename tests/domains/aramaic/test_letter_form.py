"""The letter form (`domains/aramaic/letter_form.py`): the glyph carved where it is, deformed unless switched off."""

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic.letter_form import font_mask, identity_map, sample_sdf
from domains.aramaic.letters import GLYPH_CANVAS, NUM_CLASSES, load_glyphs
from domains.aramaic.synth import STAGES, AramaicSynth


@pytest.mark.usefixtures("noto_font")
class LetterFormTest(TestCase):
    def test_letter_is_carved_where_the_glyph_is(self):
        synth = AramaicSynth(image_size=48, fonts=self.noto_font, seed=5)
        r = synth.example(0, label=3, severity=0.0, stages=True)  # Dalet, no damage
        form = r.stages["letter form"]
        self.assertEqual(set(STAGES), set(r.stages))
        self.assertTrue(0.02 < form.mean() < 0.5)
        self.assertAlmostEqual(float(form.max()), 1.0, places=5)
        empty = synth.example(0, label=NUM_CLASSES - 1, stages=True).stages
        self.assertEqual(empty["font"].max(), 0)

    def test_form_switched_off_draws_the_glyph_as_it_is(self):
        def form(ablate, index):
            synth = AramaicSynth(image_size=32, fonts=self.noto_font, min_legibility=0.0, ablate=ablate)
            return synth.example(index, label=5, severity=1.0, stages=True).stages["letter form"]

        # The stroke (where the carved profile passes half depth) is the glyph's own, whatever the draws.
        strokes = [form(("form",), index) > 0.5 for index in (5, 28, 51)]
        self.assertTrue(strokes[0].any())
        self.assertTrue(all(np.array_equal(stroke, strokes[0]) for stroke in strokes))
        self.assertFalse(np.array_equal(form((), 5) > 0.5, form((), 28) > 0.5))

    def test_the_distance_field_is_sampled_bilinearly_and_positive_outside_the_canvas(self):
        sdf = load_glyphs(self.noto_font).sdf
        centre = (GLYPH_CANVAS - 1) / 2.0
        coords = np.array([[[[10.0, 10.5, -5.0]], [[20.0, 20.0, centre]]]], "float32")  # (1, 2, 1, 3)
        values = sample_sdf(sdf, [1], coords)[0, 0]
        self.assertAlmostEqual(float(values[0]), float(sdf[1, 10, 20]), places=5)
        self.assertAlmostEqual(float(values[1]), float((sdf[1, 10, 20] + sdf[1, 11, 20]) / 2), places=5)
        self.assertGreaterEqual(float(values[2]), 4.0)  # off the canvas: outside the letter
        y, x = np.mgrid[0:32, 0:32].astype("float32") - 15.5
        self.assertEqual(identity_map(y, x).shape, (2, 32, 32))
        mask = font_mask(sdf, [0, 0], np.array([True, False]), y, x)
        self.assertEqual(mask[0].max(), 1.0)
        self.assertEqual(mask[1].max(), 0.0)
