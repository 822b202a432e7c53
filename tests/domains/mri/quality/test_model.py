"""domains.mri.quality.model: SSIMRegressor, its fixed class head, and the SSIM classes."""

import numpy as np
import pytest

from core.backbones import ResNetBackbone
from core.testing import TestCase
from domains.mri.quality.model import SSIMClasses, SSIMRegressor, best_preset, ssim_bins, ssim_to_class

SIZE = 32


def _model(**kwargs):
    return SSIMRegressor(slice_size=SIZE, **kwargs)


class SSIMRegressorTest(TestCase):
    def test_resnet18_backbone_and_sigmoid_output(self):
        model = _model()
        self.assertEqual(model.backbone.depth, 18)
        blocks = [layer.name for layer in model.backbone.layers if "_block" in layer.name]
        self.assertEqual(blocks, [f"stage{s}_block{b}" for s in range(1, 5) for b in (1, 2)])
        self.assertEqual(model.input_shape, (None, SIZE, SIZE, 1))
        x = np.random.default_rng(0).uniform(0, 1, (3, SIZE, SIZE, 1)).astype("float32")
        ssim = model.predict_ssim(x)
        self.assertEqual(ssim.shape, (3,))
        np.testing.assert_allclose(ssim, 0.85, atol=1e-5)  # the head starts at SSIM 0.85

    def test_saving_round_trip(self):
        model = _model(ssim_range=(0.4, 1.0), contrast_augmentation=False)
        model.compile()
        model.optimizer.build(model.trainable_variables)  # as after training: the saved state is complete
        x = np.random.default_rng(1).uniform(0, 1, (2, SIZE, SIZE, 1)).astype("float32")
        head = model.get_layer("predictions")  # move the head off its constant initial value
        head.kernel.assign(np.random.default_rng(3).normal(0, 0.05, head.kernel.shape).astype("float32"))
        restored = self.run_model_saving_test(model, x, atol=1e-5)
        self.assertIsInstance(restored, SSIMRegressor)
        self.assertEqual(restored.slice_size, SIZE)
        self.assertEqual(restored.ssim_range, (0.4, 1.0))
        self.assertFalse(restored.contrast_augmentation)
        self.assertTrue(restored.compiled)

    def test_classification_head_saves_and_matches_bins(self):
        model = _model()
        classifier = model.classifier(5)
        x = np.random.default_rng(2).uniform(0, 1, (4, SIZE, SIZE, 1)).astype("float32")
        scores = classifier.predict(x, verbose=0)
        self.assertEqual(scores.shape, (4, 5))
        np.testing.assert_array_equal(np.argmax(scores, axis=1), model.classify(model.predict_ssim(x), 5))
        self.run_model_saving_test(classifier, x)
        layer = SSIMClasses(ssim_bins(3))
        out = layer(np.array([[0.1], [0.5], [0.7], [0.9], [1.0]], "float32")).numpy()
        np.testing.assert_array_equal(np.argmax(out, axis=1), [0, 0, 1, 2, 2])
        with self.assertRaisesRegex(ValueError, "edges must be"):
            SSIMClasses([0.5, 0.4, 1.0])

    def test_wrong_slices_raise_clear_errors(self):
        model = _model()
        for bad in (np.zeros((2, 64, 64, 1)), np.zeros((2, SIZE, SIZE, 3)), np.zeros((1, 2, SIZE, SIZE, 1)),
                    np.zeros(SIZE)):
            with self.assertRaisesRegex(ValueError, rf"expects 2-D single-channel slices of {SIZE} x {SIZE}.*"
                                                    rf"Received: shape=\({bad.shape[0]},"):
                model.predict_ssim(bad)
        with self.assertRaisesRegex(ValueError, "NaN"):
            model.predict_ssim(np.full((SIZE, SIZE), np.nan))
        self.assertEqual(model.check_slices(np.zeros((SIZE, SIZE))).shape, (1, SIZE, SIZE, 1))
        self.assertEqual(model.check_slices(np.zeros((5, SIZE, SIZE))).shape, (5, SIZE, SIZE, 1))
        with self.assertRaisesRegex(ValueError, "slice_size must be an integer >= 32"):
            SSIMRegressor(slice_size=16)
        with self.assertRaisesRegex(ValueError, r"input shape \(None, 32, 32, 1\)"):
            SSIMRegressor(ResNetBackbone(rank=2, depth=10, input_channels=3), slice_size=SIZE)


class SSIMClassesTest(TestCase):
    def test_bins_and_classes(self):
        np.testing.assert_allclose(ssim_bins(5), [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
        np.testing.assert_allclose(ssim_bins(10, (0.0, 1.0)), np.linspace(0, 1, 11))
        np.testing.assert_array_equal(ssim_to_class([0.2, 0.5, 0.66, 0.67, 0.99, 1.0, 1.2], 3), [0, 0, 0, 1, 2, 2, 2])
        with self.assertRaisesRegex(ValueError, "num_classes"):
            ssim_bins(1)
        with self.assertRaisesRegex(ValueError, "ssim_range"):
            ssim_bins(3, (0.9, 0.8))


def _scored(model_std, constant_std):
    return {"score": {"metrics": {"residual_std": model_std},
                      "baselines": {"constant_train_mean": {"residual_std": constant_std}}}}


class BestPresetTest(TestCase):
    def test_the_lowest_sigma_relative_to_its_own_constant_wins(self):
        # "b" has the lower raw σ but explains less of its (easier) test set's spread than "a".
        presets = {"a": _scored(0.06, 0.12), "b": _scored(0.05, 0.06), "unscored": {"score": {}}}
        self.assertEqual(best_preset(presets), "a")
        self.assertEqual(best_preset({**presets, "c": _scored(0.04, 0.12)}), "c")
        with self.assertRaisesRegex(ValueError, r"No preset has a stored score.*Received: presets=\['unscored'\]"):
            best_preset({"unscored": {"score": {}}})

    def test_from_preset_without_a_name_loads_the_best_shipped_preset(self):
        presets = SSIMRegressor.presets()
        name = best_preset(presets)
        ratios = {n: m["score"]["metrics"]["residual_std"] / m["score"]["baselines"]["constant_train_mean"]["residual_std"]
                  for n, m in presets.items()}
        self.assertEqual(ratios[name], min(ratios.values()))
        default, named = SSIMRegressor.from_preset(), SSIMRegressor.from_preset(name)
        self.assertEqual(default.backbone.get_config()["widths"], named.backbone.get_config()["widths"])
        x = np.random.default_rng(0).uniform(0, 1, (2, 128, 128, 1)).astype("float32")
        np.testing.assert_array_equal(default.predict_ssim(x), named.predict_ssim(x))
        with pytest.raises(ValueError, match="No preset 'nope'"):
            SSIMRegressor.from_preset("nope")
