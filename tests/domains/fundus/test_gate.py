"""The gradeability gate on the real photograph and on degraded copies of it."""

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from core.testing import TestCase
from domains.fundus.gate import assess_gradeability, measure
from domains.fundus.preprocessing import fov_mask


def _reasons(image):
    verdict = assess_gradeability(image)
    assert verdict.gradeable == (verdict.score >= 0.5) == (not verdict.reasons)
    return verdict


class GateTest(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, microaneurysms, retina):
        self.microaneurysms = microaneurysms
        self.retina = retina

    def test_real_photographs_are_gradeable(self):
        retina = self.retina
        verdict = _reasons(retina)
        self.assertTrue(verdict.gradeable and verdict.score > 0.8, verdict.describe())
        self.assertTrue(verdict.describe().startswith("gradeable"))
        # Still gradeable when smaller, clipped top and bottom by the camera, or saved as a poor JPEG.
        buffer = io.BytesIO()
        Image.fromarray(retina).save(buffer, "JPEG", quality=20)
        for variant in (np.asarray(Image.fromarray(retina).resize((600, 600), Image.BILINEAR)), retina[250:-250],
                        np.asarray(Image.open(buffer)),
                        np.asarray(Image.fromarray(retina).filter(ImageFilter.GaussianBlur(1)))):
            self.assertTrue(_reasons(variant).gradeable, assess_gradeability(variant).describe())

    def test_degraded_copies_are_flagged_with_their_reason(self):
        retina = self.retina
        mask = np.asarray(fov_mask(retina))[..., None]
        degraded = {
            "too dark": (retina * 0.1).astype(np.uint8),
            "overexposed": np.clip(retina.astype(float) * 2.6, 0, 255).astype(np.uint8),
            "out of focus": np.asarray(Image.fromarray(retina).filter(ImageFilter.GaussianBlur(6))),
            "too little contrast": np.where(mask, retina * 0.25 + 0.75 * np.array([200, 90, 60]), 0).astype(np.uint8),
            "colours are not those of a fundus": retina[..., ::-1].copy(),  # blue and red swapped
        }
        for expected, image in degraded.items():
            verdict = _reasons(image)
            self.assertFalse(verdict.gradeable)
            self.assertLess(verdict.score, 0.5)
            self.assertTrue(any(reason.startswith(expected) for reason in verdict.reasons), (expected, verdict.reasons))
        # Darkening alone does not pass as blur, nor blur as darkness.
        self.assertFalse(any("blurred" in r for r in assess_gradeability(degraded["too dark"]).reasons))
        self.assertFalse(any("dark" in r for r in assess_gradeability(degraded["out of focus"]).reasons))

    def test_not_a_fundus(self):
        # The real HRF crop: a green-channel patch, 102 px, without a field of view.
        microaneurysms = self.microaneurysms
        crop = np.stack([microaneurysms] * 3, axis=-1)
        reasons = " ".join(assess_gradeability(crop).reasons)
        self.assertIn("resolution too low", reasons)
        self.assertIn("not a fundus photograph", reasons)
        enlarged = np.asarray(Image.fromarray(crop).resize((800, 800)))
        self.assertIn("no dark border", " ".join(assess_gradeability(enlarged).reasons))
        rng = np.random.default_rng(0)
        for image in (rng.integers(0, 256, (600, 600, 3)).astype(np.uint8), np.full((600, 800, 3), 128, np.uint8)):
            verdict = assess_gradeability(image)
            self.assertFalse(verdict.gradeable)
            self.assertTrue(any("not a fundus" in r for r in verdict.reasons))

    def test_measures_and_bad_shape(self):
        retina = self.retina
        values = measure(retina)
        self.assertEqual(values["resolution"], 1411)
        self.assertTrue(0.75 < values["fov_fill"] < 0.82)
        self.assertGreater(values["red_over_blue"], 3)
        with self.assertRaisesRegex(ValueError, r"one RGB image \(H, W, 3\)"):
            measure(retina[..., 0])
