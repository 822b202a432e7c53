"""DRClassifier: the paper's configuration, saving, weights from a file, uncertainty, Grad-CAM."""

import pathlib

import keras
import numpy as np
import pytest

from core.backbones import ResNetBackbone
from core.testing import TestCase
from domains.fundus.model import DRClassifier, _dihedral

SMALL = dict(image_size=64, width=8)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((3, 64, 64, 3)).astype("float32")


class DRClassifierTest(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, images):
        self.images = images

    def test_default_is_the_papers_resnet18(self):
        model = DRClassifier()
        self.assertEqual(model.input_shape, (None, 512, 512, 3))
        self.assertEqual(model.output_shape, (None, 2))
        # torchvision's resnet18 without its fc (11,176,512 trainable) + a 2-class head (1,026).
        # (That `DRClassifier()` has `paper_parameters` trainable parameters: tests/domains/test_template.py.)
        self.assertEqual(DRClassifier.paper_parameters, 11_176_512 + 1_026)
        self.assertEqual(model.class_names, ["non-referable", "referable"])
        self.assertEqual(model.graham_radius, 300)

    def test_keras_round_trip_identical_outputs(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        images = self.images
        model = DRClassifier(num_classes=5, dropout=0.2, graham_radius=64, **SMALL)
        model.save(tmp_path / "m.keras")
        loaded = keras.saving.load_model(tmp_path / "m.keras")
        self.assertIsInstance(loaded, DRClassifier)
        self.assertEqual(loaded.num_classes, 5)
        self.assertEqual(loaded.graham_radius, 64)
        np.testing.assert_array_equal(loaded.predict(images, verbose=0), model.predict(images, verbose=0))

    def test_referable_probability_five_grades(self):
        images = self.images
        model = DRClassifier(num_classes=5, **SMALL)
        logits = model.predict(images, verbose=0)
        softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        np.testing.assert_allclose(model.referable_probability(images), softmax[:, 2:].sum(1), rtol=1e-5)

    def test_weights_from_a_file_and_imagenet_message(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        trained = DRClassifier(**SMALL)
        trained.backbone.save_weights(tmp_path / "backbone.weights.h5")
        trained.save(tmp_path / "trained.keras")
        for path in (tmp_path / "backbone.weights.h5", tmp_path / "trained.keras"):
            model = DRClassifier(weights=str(path), **SMALL)
            for a, b in zip(model.backbone.get_weights(), trained.backbone.get_weights()):
                np.testing.assert_array_equal(a, b)
        with self.assertRaisesRegex(ValueError, "ImageNet weights cannot be downloaded here"):
            DRClassifier(weights="imagenet", **SMALL)
        with self.assertRaisesRegex(FileNotFoundError, "missing.weights.h5: no such weights file"):
            DRClassifier(weights=str(tmp_path / "missing.weights.h5"), **SMALL)
        with self.assertRaisesRegex(ValueError, "layout differs"):
            DRClassifier(weights=str(tmp_path / "trained.keras"), image_size=64, width=16)

    def test_uncertainty_tta_and_mc_dropout(self):
        images = self.images
        model = DRClassifier(dropout=0.5, **SMALL)
        p = model.referable_probability(images)
        mean, spread = model.predict_with_uncertainty(images, method="tta", samples=1)
        np.testing.assert_allclose(mean, p, rtol=1e-5)  # one TTA pass is the identity
        self.assertTrue(np.all(spread == 0))
        mean, spread = model.predict_with_uncertainty(images, method="tta", samples=8)
        passes = model.referable_probability(np.concatenate([_dihedral(images, k) for k in range(8)])).reshape(8, 3)
        np.testing.assert_allclose(mean, passes.mean(0), rtol=1e-5)
        np.testing.assert_allclose(spread, passes.std(0), atol=1e-6)
        # The 8 transforms are distinct: rotations by 0-270 degrees, each with and without a flip.
        self.assertEqual(len({_dihedral(images[:1], k).tobytes() for k in range(8)}), 8)
        np.testing.assert_array_equal(_dihedral(images, 1)[0], np.rot90(images[0]))
        mc_mean, mc_spread = model.predict_with_uncertainty(images, method="mc_dropout", samples=6, seed=1)
        again = model.predict_with_uncertainty(images, method="mc_dropout", samples=6, seed=1)
        np.testing.assert_array_equal(mc_mean, again[0])
        self.assertTrue(np.all(mc_spread > 0))
        with self.assertRaisesRegex(ValueError, "mc_dropout needs a model with dropout > 0"):
            DRClassifier(**SMALL).predict_with_uncertainty(images, method="mc_dropout")

    def test_grad_cam_is_the_gradient_weighted_feature_map(self):
        # With a head whose referable logit is channel 3 of the pooled features, the channel weights
        # of Grad-CAM are 1/(h w) for channel 3 and 0 elsewhere: the map is relu(feature channel 3).
        images = self.images
        model = DRClassifier(**SMALL)
        head = model.get_layer("predictions")
        kernel = np.zeros(head.kernel.shape, "float32")
        kernel[3, 1] = 1.0
        head.kernel.assign(kernel)
        heat = model.grad_cam(images[0])
        features = model.backbone.predict(images[:1], verbose=0)[0, ..., 3]
        resized = keras.ops.image.resize(np.maximum(features, 0)[None, ..., None], (64, 64))
        expected = keras.ops.convert_to_numpy(resized)
        expected = expected[0, ..., 0] / expected.max()
        self.assertEqual(heat.shape, (64, 64))
        self.assertEqual(heat.max(), pytest.approx(1.0))
        np.testing.assert_allclose(heat, expected, atol=1e-5)
        # Inside a mask only, scaled to its maximum there.
        mask = np.zeros((64, 64), bool)
        mask[8:40, 16:48] = True
        inside = model.grad_cam(images[0], mask=mask)
        np.testing.assert_array_equal(inside[~mask], 0)
        np.testing.assert_allclose(inside[mask], expected[mask] / expected[mask].max(), atol=1e-5)
        with self.assertRaisesRegex(ValueError, r"grad_cam's mask must be \(64, 64\)"):
            model.grad_cam(images[0], mask=np.ones((32, 32), bool))

    def test_bad_inputs(self):
        model = DRClassifier(**SMALL)
        with self.assertRaisesRegex(ValueError, r"expects preprocessed RGB images \(N, 64, 64, 3\)"):
            model.referable_probability(np.zeros((2, 32, 32, 3)))
        with self.assertRaisesRegex(ValueError, r"in \[0, 1\]"):
            model.referable_probability(np.full((1, 64, 64, 3), 255.0))
        with self.assertRaisesRegex(ValueError, "num_classes must be 2"):
            DRClassifier(num_classes=3, **SMALL)
        with self.assertRaisesRegex(ValueError, "backbone with input shape"):
            DRClassifier(backbone=ResNetBackbone(rank=2, depth=10, widths=(8, 16, 32, 64), stem_filters=8), **SMALL)
