import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from core.metrics.image import PSNR
from core.metrics.image import SSIM
from core.metrics.image import nrmse
from core.metrics.image import psnr
from core.metrics.image import ssim
from core.testing import TestCase


def _pair(shape, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.random(shape).astype("float32")
    y_pred = (y_true + noise * rng.standard_normal(shape)).astype("float32")
    return y_true, y_pred


def _numpy_psnr(y_true, y_pred, data_range=None):
    axes = tuple(range(1, y_true.ndim))
    mse = np.mean((y_true.astype("float64") - y_pred) ** 2, axis=axes)
    if data_range is None:
        data_range = y_true.max(axis=axes) - y_true.min(axis=axes)
    return 10.0 * np.log10(np.asarray(data_range, "float64") ** 2 / mse)


class PSNRTest(TestCase):
    @parameterized.named_parameters(
        ("image", (3, 8, 8, 2)),
        ("volume", (2, 4, 6, 5, 1)),
        ("signal", (2, 16, 3)),
    )
    def test_matches_formula_with_gt_range(self, shape):
        y_true, y_pred = _pair(shape)
        y_true[0] *= 3.0  # different ranges per example
        self.assertAllClose(psnr(y_true, y_pred), _numpy_psnr(y_true, y_pred), atol=1e-4, rtol=1e-5)

    def test_explicit_data_range(self):
        y_true, y_pred = _pair((2, 4, 4, 4, 1))
        self.assertAllClose(psnr(y_true, y_pred, data_range=2.0), _numpy_psnr(y_true, y_pred, 2.0), atol=1e-4)

    def test_identical_inputs_are_capped(self):
        y_true, _ = _pair((2, 4, 4, 4, 1))
        self.assertAllClose(psnr(y_true, y_true), [100.0, 100.0])
        self.assertAllClose(psnr(y_true, y_true, max_psnr=60.0), [60.0, 60.0])
        self.assertTrue(np.all(np.isposinf(psnr(y_true, y_true, max_psnr=None).numpy())))

    def test_shape_mismatch_raises(self):
        with self.assertRaisesRegex(ValueError, "same shape"):
            psnr(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 5, 1)))


class SSIMTest(TestCase):
    @parameterized.named_parameters(("image", (2, 12, 12, 1)), ("volume", (2, 3, 12, 11, 1)))
    def test_identical_inputs_give_one(self, shape):
        y_true, _ = _pair(shape)
        self.assertAllClose(ssim(y_true, y_true), np.ones(shape[0]), atol=1e-5)

    def test_image_matches_tf_image_ssim(self):
        y_true, y_pred = _pair((3, 12, 12, 2))
        data_range = y_true.max(axis=(1, 2, 3)) - y_true.min(axis=(1, 2, 3))
        expected = [
            tf.image.ssim(y_true[i], y_pred[i], max_val=float(data_range[i])).numpy() for i in range(3)
        ]
        self.assertAllClose(ssim(y_true, y_pred), expected, atol=1e-5)

    @parameterized.parameters(1, 2, 3, -2)
    def test_volume_equals_mean_of_slices(self, axis):
        y_true, y_pred = _pair((2, 8, 9, 10, 1), noise=0.2)
        y_true[1] *= 2.0
        expected = []
        for example in range(2):
            volume_true = np.moveaxis(y_true[example], axis % 5 - 1, 0)
            volume_pred = np.moveaxis(y_pred[example], axis % 5 - 1, 0)
            data_range = float(y_true[example].max() - y_true[example].min())
            per_slice = [
                tf.image.ssim(volume_true[s], volume_pred[s], max_val=data_range, filter_size=7).numpy()
                for s in range(volume_true.shape[0])
            ]
            expected.append(np.mean(per_slice))
        self.assertAllClose(ssim(y_true, y_pred, axis=axis, filter_size=7), expected, atol=1e-5)

    def test_slices_smaller_than_filter_raise(self):
        y_true, y_pred = _pair((1, 4, 8, 8, 1))
        with self.assertRaisesRegex(ValueError, "filter_size"):
            ssim(y_true, y_pred)  # 8 x 8 slices, 11 x 11 window
        self.assertEqual(ssim(y_true, y_pred, filter_size=7).shape, (1,))

    def test_invalid_axis_and_rank_raise(self):
        y_true, y_pred = _pair((1, 8, 8, 8, 1))
        with self.assertRaisesRegex(ValueError, "axis"):
            ssim(y_true, y_pred, axis=4)
        with self.assertRaisesRegex(ValueError, "images"):
            ssim(y_true[..., 0, 0], y_pred[..., 0, 0])

    def test_mask_averages_foreground_slices_only(self):
        y_true, y_pred = _pair((2, 4, 8, 8, 1), noise=0.2)
        mask = np.zeros((2, 4, 8, 8, 1), "float32")
        mask[0, 1, 2, 2] = 1.0
        mask[0, 3, 5, 5] = 1.0
        per_slice = [
            tf.image.ssim(y_true[:, s], y_pred[:, s], max_val=np.ptp(y_true, axis=(1, 2, 3, 4)).reshape(2, 1, 1, 1),
                          filter_size=7).numpy()
            for s in range(4)
        ]
        value = ssim(y_true, y_pred, filter_size=7, mask=mask).numpy()
        self.assertAllClose(value[0], (per_slice[1][0] + per_slice[3][0]) / 2, atol=1e-5)
        self.assertTrue(np.isnan(value[1]))  # no foreground in example 1


class NRMSETest(TestCase):
    @parameterized.parameters("minmax", "min-max", "euclidean", "mean")
    def test_matches_formula(self, normalization):
        y_true, y_pred = _pair((2, 4, 5, 6, 1))
        axes = (1, 2, 3, 4)
        rmse = np.sqrt(np.mean((y_true - y_pred) ** 2, axis=axes))
        denominator = {
            "minmax": np.ptp(y_true, axis=axes),
            "min-max": np.ptp(y_true, axis=axes),
            "euclidean": np.sqrt(np.mean(y_true**2, axis=axes)),
            "mean": np.mean(y_true, axis=axes),
        }[normalization]
        self.assertAllClose(nrmse(y_true, y_pred, normalization), rmse / denominator, atol=1e-6, rtol=1e-5)

    def test_unknown_normalization_raises(self):
        with self.assertRaisesRegex(ValueError, "normalization='max'"):
            nrmse(np.zeros((1, 2)), np.zeros((1, 2)), normalization="max")


class MetricObjectsTest(TestCase):
    @parameterized.named_parameters(
        ("psnr", PSNR, {}, psnr, {}),
        ("ssim", SSIM, {"filter_size": 7, "axis": 2}, ssim, {"filter_size": 7, "axis": 2}),
    )
    def test_accumulates_over_updates_and_resets(self, metric_cls, init_kwargs, fn, fn_kwargs):
        first = _pair((2, 8, 8, 8, 1), seed=1)
        second = _pair((3, 8, 8, 8, 1), noise=0.3, seed=2)
        metric = metric_cls(**init_kwargs)
        self.assertEqual(metric.name, fn.__name__)
        metric.update_state(*first)
        metric.update_state(*second)
        expected = np.concatenate([fn(*first, **fn_kwargs).numpy(), fn(*second, **fn_kwargs).numpy()]).mean()
        self.assertAllClose(metric.result(), expected, atol=1e-5)
        metric.reset_state()
        self.assertAllClose(metric.result(), 0.0)
        metric.update_state(*second)
        self.assertAllClose(metric.result(), fn(*second, **fn_kwargs).numpy().mean(), atol=1e-5)

    def test_sample_weight(self):
        y_true, y_pred = _pair((2, 8, 8, 1))
        metric = PSNR()
        metric.update_state(y_true, y_pred, sample_weight=[1.0, 0.0])
        self.assertAllClose(metric.result(), psnr(y_true, y_pred)[0], atol=1e-5)

    @parameterized.named_parameters(
        ("psnr", PSNR, {"data_range": 2.0, "max_psnr": 80.0, "name": "val_psnr"}),
        ("ssim", SSIM, {"data_range": 1.0, "axis": 3, "filter_size": 7, "filter_sigma": 1.0, "name": "s"}),
    )
    def test_config_round_trip(self, metric_cls, init_kwargs):
        metric = metric_cls(**init_kwargs)
        config = metric.get_config()
        for key, value in init_kwargs.items():
            self.assertEqual(config[key], value)
        self.assertEqual(metric_cls.from_config(config).get_config(), config)
        revived = keras.metrics.deserialize(keras.metrics.serialize(metric))
        self.assertIsInstance(revived, metric_cls)
        self.assertEqual(revived.get_config(), config)

    def test_in_compiled_model(self):
        inputs = keras.Input((8, 8, 1))
        model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
        model.compile(loss="mae", metrics=[PSNR(), SSIM(filter_size=7)], jit_compile=False)
        y_true, y_pred = _pair((4, 8, 8, 1))
        logs = model.evaluate(y_pred, y_true, batch_size=2, verbose=0, return_dict=True)
        self.assertTrue(np.isfinite(logs["psnr"]))
        self.assertTrue(-1.0 <= logs["ssim"] <= 1.0)
