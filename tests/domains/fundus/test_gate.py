"""The gate's two questions (a fundus photograph? good enough to grade?) on the real photographs and copies of them."""

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from core.testing import TestCase
from domains.fundus.gallery import is_right, photographs
from domains.fundus.gate import assess_gradeability, crete_roffet_blur, field_of_view, measure
from domains.fundus.preprocessing import fov_mask


def _verdict(image, model_size=512):
    verdict = assess_gradeability(image, model_size)
    assert verdict.gradeable == (verdict.verdict == "gradeable") == (not verdict.reasons)
    assert verdict.gradeable == (verdict.score >= 0.5)
    return verdict


def _has(verdict, start):
    return any(reason.startswith(start) for reason in verdict.reasons)


class GateTest(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, microaneurysms, retina):
        self.microaneurysms = microaneurysms
        self.retina = retina

    def test_real_photograph_is_a_gradeable_fundus_at_any_size_and_framing(self):
        retina = self.retina
        verdict = _verdict(retina)
        self.assertTrue(verdict.gradeable and verdict.fundus and verdict.score > 0.6, verdict.describe())
        self.assertTrue(verdict.describe().startswith("gradeable"))
        buffer = io.BytesIO()
        Image.fromarray(retina).save(buffer, "JPEG", quality=20)
        copies = {
            "smaller": np.asarray(Image.fromarray(retina).resize((600, 600), Image.LANCZOS)),
            "clipped top and bottom": retina[250:-250],
            "cropped inside the field of view (no dark border)": retina[350:1050, 300:1100],
            "poor JPEG": np.asarray(Image.open(buffer)),
        }
        for name, image in copies.items():
            for size in (128, 512):
                verdict = _verdict(image, size)
                self.assertEqual((verdict.verdict, verdict.fundus), ("gradeable", True), (name, size, verdict.reasons))
        # The cropped copy has no dark border: its corners are as bright as its field of view.
        self.assertGreater(measure(copies["cropped inside the field of view (no dark border)"])["corner_darkness"], 0.5)

    def test_quality_is_measured_at_the_model_size(self):
        retina = self.retina
        # A blur of 3 px at 512 (8.3 px on the 1411-px photograph) is out of focus for a 512-px model;
        # at 128 px the same blur is 0.75 px and the photograph is sharp enough.
        blurred = np.asarray(Image.fromarray(retina).filter(ImageFilter.GaussianBlur(3 * 1411 / 512)))
        at_512, at_128 = _verdict(blurred, 512), _verdict(blurred, 128)
        self.assertEqual((at_512.verdict, at_512.fundus), ("ungradeable", True))
        self.assertTrue(_has(at_512, "out of focus"), at_512.reasons)
        self.assertIn("refocus", at_512.reasons[0])
        self.assertEqual(at_128.verdict, "gradeable", at_128.reasons)
        self.assertEqual((at_512.measures["analysis_size"], at_128.measures["analysis_size"]), (512, 128))
        # The same photograph at half the size gives the same focus verdict: the measure is relative to the FOV.
        half = np.asarray(Image.fromarray(blurred).resize((706, 706), Image.LANCZOS))
        self.assertTrue(_has(_verdict(half, 512), "out of focus"))

    def test_degraded_copies_are_flagged_with_their_reason(self):
        retina = self.retina
        mask = np.asarray(fov_mask(retina))[..., None]
        degraded = {
            "too dark": (retina * 0.1).astype(np.uint8),
            "overexposed": np.clip(retina.astype(float) * 2.6, 0, 255).astype(np.uint8),
            "too little contrast": np.where(mask, retina * 0.2 + 0.8 * np.array([200, 90, 60]), 0).astype(np.uint8),
        }
        for expected, image in degraded.items():
            verdict = _verdict(image)
            self.assertEqual((verdict.verdict, verdict.fundus), ("ungradeable", True), expected)
            self.assertEqual(len(verdict.reasons), 1, verdict.reasons)
            self.assertTrue(_has(verdict, expected), (expected, verdict.reasons))
            self.assertLess(verdict.score, 0.5)
        self.assertIn("more flash", _verdict(degraded["too dark"]).reasons[0])
        self.assertIn("less flash", _verdict(degraded["overexposed"]).reasons[0])
        # A white frame: what it shows cannot be told, only that it is overexposed.
        white = _verdict(np.full((600, 600, 3), 252, np.uint8))
        self.assertEqual((white.verdict, white.fundus), ("ungradeable", None))
        self.assertTrue(_has(white, "overexposed"))

    def test_too_small_names_the_size_and_the_need(self):
        for model_size, need in ((128, 64), (512, 256)):
            verdict = _verdict(np.full((1, 1, 3), 120, np.uint8), model_size)
            self.assertEqual((verdict.verdict, verdict.fundus, verdict.score), ("too small", None, 0.0))
            self.assertEqual(verdict.reasons, [
                f"too small to grade: 1×1 px, a field of view 1 px across; the model ({model_size}-px input) needs "
                f"at least {need} px: use the camera's full-resolution file"])
        # A fundus photograph below the need: the fundus question is answered, the size is the verdict.
        small = np.asarray(Image.fromarray(self.retina).resize((200, 200), Image.LANCZOS))
        verdict = _verdict(small, 512)
        self.assertEqual((verdict.verdict, verdict.fundus), ("too small", True))
        self.assertIn("200×200 px", verdict.reasons[0])
        self.assertEqual(_verdict(small, 128).verdict, "gradeable")

    def test_what_is_not_a_colour_fundus_photograph(self):
        retina = self.retina
        swapped = _verdict(retina[..., ::-1].copy())  # blue and red swapped: a blue disc
        self.assertEqual((swapped.verdict, swapped.fundus), ("not a fundus photograph", False))
        self.assertTrue(_has(swapped, "not a fundus photograph: only"))
        # SYNTHETIC: the retina's colours with a fine checkerboard laid on (sharp edges everywhere).
        yy, xx = np.mgrid[:1411, :1411]
        checks = np.where(((yy // 24 + xx // 24) % 2)[..., None] == 1, retina, (retina * 0.5).astype(np.uint8))
        textured = _verdict(checks)
        self.assertEqual(textured.verdict, "not a fundus photograph")
        self.assertTrue(_has(textured, "not a fundus photograph: too many sharp edges"), textured.reasons)
        noise = np.random.default_rng(0).integers(0, 256, (600, 600, 3)).astype(np.uint8)
        self.assertEqual(_verdict(noise).verdict, "not a fundus photograph")
        # The real HRF crop is green-channel only: not a colour photograph, whatever the model's size (what a
        # photograph is comes before its size, once it has 32 px to judge).
        crop = np.stack([self.microaneurysms] * 3, axis=-1)
        for size in (128, 512):
            self.assertEqual(_verdict(crop, size).verdict, "not a colour photograph")
        self.assertEqual(_verdict(crop[:20, :20], 128).verdict, "too small")

    def test_every_real_photograph_gets_a_verdict_true_of_it(self):
        # Every photograph of the gallery, tuning and test (the table's originals; copies in the script).
        wrong = []
        for photo, image in photographs():
            for size in (128, 512):
                verdict = assess_gradeability(image, size)
                if not is_right(verdict, photo.expected, image, size):
                    wrong.append((photo.name, size, verdict.describe()))
        self.assertEqual(wrong, [])

    def test_field_of_view_and_measures(self):
        retina = self.retina
        mask, (top, bottom, left, right), darkness = field_of_view(retina)
        np.testing.assert_array_equal(mask, np.asarray(fov_mask(retina)))
        self.assertLess(darkness, 0.05)
        self.assertTrue(0 <= top < 20 and 1391 < bottom <= 1411 and 0 <= left < 30 and 1381 < right <= 1411)
        values = measure(retina)
        self.assertTrue(0.75 < values["fov_fill"] < 0.82)
        self.assertGreater(values["fundus_colour"], 0.95)
        self.assertEqual((values["min_diameter"], values["analysis_size"]), (256, 512))
        with self.assertRaisesRegex(ValueError, r"one RGB image \(H, W, 3\)"):
            measure(retina[..., 0])

    def test_crete_roffet_blur(self):
        rng = np.random.default_rng(0)
        sharp = rng.uniform(0, 255, (64, 64))
        from scipy import ndimage

        values = [crete_roffet_blur(ndimage.gaussian_filter(sharp, sigma)) if sigma else crete_roffet_blur(sharp)
                  for sigma in (0, 1, 2, 4)]
        self.assertEqual(values, sorted(values))  # more blur, a larger value
        self.assertLess(values[0], 0.3)
        self.assertGreater(values[-1], 0.7)
        self.assertEqual(crete_roffet_blur(np.full((16, 16), 7.0)), 1.0)  # flat: no gradient at all
