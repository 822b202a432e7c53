"""domains.fundus.preprocessing: reading, FOV crop, TFDS's btgraham-300, preprocess, augment."""

import pathlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from scipy import ndimage

from core.testing import TestCase
from domains.fundus.preprocessing import (
    augment,
    btgraham,
    crop_to_fov,
    fov_box,
    fov_radius,
    gaussian_blur,
    input_fov_mask,
    input_geometry,
    input_to_photograph,
    preprocess,
    read_fundus,
)


def _disc(size=(300, 400), radius=100, centre=None, value=(180, 90, 50)):
    """A flat coloured disc on black: the shape of a fundus photograph."""
    h, w = size
    cy, cx = centre or (h // 2, w // 2)
    yy, xx = np.mgrid[:h, :w]
    image = np.zeros((h, w, 3), np.uint8)
    image[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2] = value
    return image


class PreprocessingTest(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, microaneurysms, retina, retina_path):
        self.microaneurysms = microaneurysms
        self.retina = retina
        self.retina_path = retina_path

    def test_read_fundus_real_sample_and_bad_files(self):
        retina_path = self.retina_path
        microaneurysms = self.microaneurysms
        tmp_path = pathlib.Path(self.get_temp_dir())
        image = read_fundus(retina_path)
        self.assertEqual(image.shape, (1411, 1411, 3))
        self.assertEqual(image.dtype, np.uint8)
        truncated = tmp_path / "truncated.jpg"
        truncated.write_bytes(retina_path.read_bytes()[:20000])
        with self.assertRaisesRegex(ValueError, "truncated.jpg: not a readable image"):
            read_fundus(truncated)
        (tmp_path / "text.png").write_text("not an image")
        with self.assertRaisesRegex(ValueError, "text.png: not a readable image"):
            read_fundus(tmp_path / "text.png")
        Image.fromarray(microaneurysms).save(tmp_path / "gray.png")
        with self.assertRaisesRegex(ValueError, r"gray.png: expected a colour \(RGB\).*mode L \(grayscale\)"):
            read_fundus(tmp_path / "gray.png")
        rgba = np.dstack([image[:64, :64], np.full((64, 64), 255, np.uint8)])
        Image.fromarray(rgba).save(tmp_path / "opaque.png")
        np.testing.assert_array_equal(read_fundus(tmp_path / "opaque.png"), image[:64, :64])
        rgba[0, 0, 3] = 0
        Image.fromarray(rgba).save(tmp_path / "transparent.png")
        with self.assertRaisesRegex(ValueError, "transparent.png: an RGBA image with transparent pixels"):
            read_fundus(tmp_path / "transparent.png")
        with self.assertRaisesRegex(FileNotFoundError, "missing.jpg: no such image file"):
            read_fundus(tmp_path / "missing.jpg")

    def test_fov_box_and_crop_centre_the_disc(self):
        image = _disc(size=(300, 400), radius=100, centre=(140, 250))
        self.assertEqual([int(v) for v in fov_box(image, min_fraction=0)], [40, 150, 201, 201])
        # By default rows and columns less than 1 % inside are left out (the disc's single-pixel tips).
        self.assertEqual([int(v) for v in fov_box(image)], [41, 151, 199, 199])
        cropped = np.asarray(crop_to_fov(image))
        self.assertEqual(cropped.shape, (199, 199, 3))
        np.testing.assert_array_equal(cropped[99, 99], (180, 90, 50))  # the centre is the disc's
        # A disc clipped at the top and bottom (as many cameras frame it) is padded back to a square.
        clipped = np.asarray(crop_to_fov(_disc(size=(160, 400), radius=100, centre=(80, 200))))
        self.assertEqual(clipped.shape, (199, 199, 3))
        self.assertEqual(clipped[0].max(), 0)
        self.assertEqual(clipped[99, 99, 0], 180)

    def test_fov_radius_is_the_tfds_rule(self):
        retina = self.retina
        self.assertEqual(float(fov_radius(_disc(radius=100))), pytest.approx(100.5))
        self.assertEqual(float(fov_radius(np.zeros((50, 60, 3), np.uint8))), 25.0)
        row = retina[retina.shape[0] // 2].astype(int).sum(-1)
        self.assertEqual(float(fov_radius(retina)), (row > row.mean() / 10).sum() / 2)

    def test_gaussian_blur_is_cv2s_kernel_with_reflect101_border(self):
        retina = self.retina
        patch = retina[600:700, 500:640].astype("float32")
        ours = np.asarray(gaussian_blur(patch, 3.0))
        # cv2 for 8-bit: kernel size round(6 sigma + 1) | 1 = 19 (radius 9); reflect-101 is scipy's "mirror".
        reference = np.stack([ndimage.gaussian_filter(patch[..., c], 3.0, mode="mirror", truncate=9 / 3.0)
                              for c in range(3)], -1)
        np.testing.assert_allclose(ours, reference, atol=1e-3)

    def test_btgraham_matches_an_independent_numpy_reference(self):
        retina = self.retina
        image = retina[::4, ::4]  # 353 x 353 keeps the test fast; radius 60, as btgraham-60
        radius = 60
        out = np.asarray(btgraham(image, radius=radius, crop_to_radius=False))
        # The TFDS steps written independently with NumPy/SciPy.
        row = image[image.shape[0] // 2].astype(float).sum(-1)
        r = (row > row.mean() / 10).sum() / 2
        size = np.round(np.array(image.shape[:2]) * radius / r).astype(int)
        scaled = np.asarray(tf.image.resize(image.astype("float32"), size, antialias=False))
        scaled = np.clip(np.round(scaled), 0, 255)
        sigma = radius / 30
        truncate = (int(6 * sigma + 1.5) | 1) // 2 / sigma
        blurred = np.stack([ndimage.gaussian_filter(scaled[..., c], sigma, mode="mirror", truncate=truncate)
                            for c in range(3)], -1)
        blurred = np.clip(np.round(blurred), 0, 255)
        sharpened = np.clip(np.round(4 * scaled - 4 * blurred + 128), 0, 255)
        yy, xx = np.mgrid[:size[0], :size[1]]
        inside = (yy - size[0] // 2) ** 2 + (xx - size[1] // 2) ** 2 <= int(0.9 * radius) ** 2
        expected = np.where(inside[..., None], sharpened, 128)
        self.assertEqual(out.shape, expected.shape)
        self.assertEqual(out.dtype, np.uint8)
        # Only float rounding of exact halves differs: one blur level moves the output by 4.
        self.assertLess(np.mean(out.astype(int) != expected), 0.01)
        self.assertLessEqual(np.abs(out.astype(int) - expected).max(), 4)
        cropped = np.asarray(btgraham(image, radius=radius))
        self.assertEqual(cropped.shape, (2 * 54, 2 * 54, 3))

    def test_btgraham_300_on_the_real_photograph(self):
        retina = self.retina
        out = np.asarray(btgraham(retina))
        self.assertEqual(out.shape, (540, 540, 3))
        self.assertEqual(out[0, 0].tolist(), [128, 128, 128])
        centre = out[200:340, 200:340].astype(float)
        self.assertLess(abs(centre.mean() - 128), 10)
        # A flat disc becomes flat 128 inside (no local structure), except near its rim.
        flat = np.asarray(btgraham(_disc(size=(400, 400), radius=150), radius=100))
        self.assertLessEqual(np.abs(flat[60:120, 60:120].astype(int) - 128).max(), 1)

    def test_preprocess_and_augment(self):
        retina = self.retina
        x = np.asarray(preprocess(retina, size=128))
        self.assertEqual(x.shape, (128, 128, 3))
        self.assertEqual(x.dtype, np.float32)
        self.assertLessEqual(0, x.min())
        self.assertLessEqual(x.max(), 1)
        self.assertLess(abs(x.mean() - 0.5), 0.05)
        plain = np.asarray(preprocess(retina, size=128, graham=False))
        self.assertGreater(plain[64, 64, 0], plain[64, 64, 2])
        a = np.asarray(augment(x, tf.constant([1, 2])))
        b = np.asarray(augment(x, tf.constant([1, 2])))
        c = np.asarray(augment(x, tf.constant([3, 4])))
        self.assertEqual(a.shape, x.shape)
        self.assertLessEqual(0, a.min())
        self.assertLessEqual(a.max(), 1)
        np.testing.assert_array_equal(a, b)  # stateless: the seed decides
        self.assertGreater(np.abs(a - c).mean(), 0.01)
        # In a tf.data pipeline, on a batch of images.
        dataset = tf.data.Dataset.from_tensors(retina).map(lambda image: preprocess(image, size=64))
        self.assertEqual(next(iter(dataset)).shape, (64, 64, 3))

    def test_input_fov_mask_is_the_eye_in_the_models_input(self):
        retina = self.retina
        # Graham's grey outside the disc is outside the mask; the disc inscribed in the input inside it.
        x = np.asarray(preprocess(retina, size=128, radius=64))
        mask = input_fov_mask(retina, size=128, radius=64)
        grey = np.all(np.abs(x - 128 / 255) < 0.02, axis=-1)
        self.assertGreater(grey[~mask].mean(), 0.97)
        self.assertAlmostEqual(mask.mean(), np.pi / 4, delta=0.03)
        # A photograph that is not square is padded with black: the padding is not the eye.
        wide = retina[300:900, 100:1300]
        plain = np.asarray(preprocess(wide, size=128, graham=False))
        mask = input_fov_mask(wide, size=128, graham=False)
        padding = plain.sum(axis=-1) < 0.02
        self.assertGreater(padding.mean(), 0.4)  # the top and bottom bands (600 of 1200 rows)
        self.assertLess((padding & mask).sum(), 0.01 * padding.sum())
        self.assertGreater(mask[~padding].mean(), 0.9)  # the rest: the dark border at the left and right ends
        geometry = input_geometry(wide, size=128, graham=False)
        self.assertEqual((geometry["side"], geometry["pad_y"], geometry["pad_x"]), (1200, 300, 0))

    def test_input_to_photograph_puts_a_map_back_where_it_came_from(self):
        # A bright marker in a photograph: its place in the model's input, mapped back, is the marker's.
        retina = self.retina.copy()
        retina[300:340, 900:940] = 255
        for graham in (False, True):
            x = np.asarray(preprocess(retina, size=128, radius=64, graham=graham))
            marker = (x.min(axis=-1) > 0.97).astype(np.float32)  # Graham's sharpening saturates it to white
            back = input_to_photograph(marker, retina, radius=64, graham=graham)
            self.assertEqual(back.shape, retina.shape[:2])
            rows, cols = np.nonzero(back > 0.5)
            self.assertAlmostEqual(rows.mean(), 319.5, delta=8)
            self.assertAlmostEqual(cols.mean(), 919.5, delta=8)
        # Outside the field of view (the black corners) nothing is drawn.
        everywhere = input_to_photograph(np.ones((128, 128)), self.retina, radius=64)
        self.assertEqual(float(everywhere[:40, :40].max()), 0.0)
        self.assertGreater(float(everywhere[700, 700]), 0.99)

