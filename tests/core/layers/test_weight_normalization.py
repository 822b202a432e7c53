import keras
import numpy as np
from absl.testing import parameterized

from core.layers.weight_normalization import WeightNormalization, fold_weight_normalization
from core.testing import TestCase


def _random(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# name, inner layer factory, input shape, number of g entries (output channels)
CASES = [
    ("conv1d", lambda: keras.layers.Conv1D(5, 3, padding="same", name="inner"), (2, 8, 3), 5),
    ("conv2d", lambda: keras.layers.Conv2D(4, 3, name="inner"), (2, 5, 5, 2), 4),
    ("conv3d", lambda: keras.layers.Conv3D(3, 2, name="inner"), (1, 3, 3, 3, 2), 3),
    ("dense", lambda: keras.layers.Dense(6, name="inner"), (2, 4), 6),
    ("conv1d_transpose", lambda: keras.layers.Conv1DTranspose(4, 4, strides=2, name="inner"), (2, 5, 3), 4),
]


class WeightNormalizationTest(TestCase):
    @parameterized.named_parameters(*CASES)
    def test_identical_to_inner_layer_at_init(self, make_layer, shape, out_channels):
        x = _random(shape)
        inner = make_layer()
        expected = inner(x)
        wrapped = WeightNormalization(inner)
        self.assertAllClose(wrapped(x), expected, atol=1e-6)
        self.assertEqual(tuple(wrapped.g.shape), (out_channels,))
        self.assertEqual(wrapped.count_params(), inner.count_params() + out_channels)
        self.assertEqual(len(wrapped.trainable_weights), len(inner.trainable_weights) + 1)

    @parameterized.named_parameters(*CASES)
    def test_g_scales_output_channels(self, make_layer, shape, out_channels):
        x = _random(shape)
        wrapped = WeightNormalization(make_layer())
        wrapped(x)
        inner = wrapped.layer
        inner.bias.assign(_random(inner.bias.shape, seed=2))
        scale = np.arange(1, out_channels + 1, dtype="float32")
        bias = keras.ops.convert_to_numpy(inner.bias)
        before = keras.ops.convert_to_numpy(wrapped(x)) - bias
        wrapped.g.assign(keras.ops.convert_to_numpy(wrapped.g) * scale)
        self.assertAllClose(keras.ops.convert_to_numpy(wrapped(x)) - bias, before * scale, atol=1e-5, rtol=1e-5)
        # `fold()` is the kernel the layer computes with; the folded plain layer agrees.
        plain = fold_weight_normalization(wrapped)
        self.assertAllClose(plain.kernel, wrapped.fold())
        self.assertAllClose(plain(x), wrapped(x), atol=1e-5)
        self.assertEqual(plain.count_params(), wrapped.count_params() - out_channels)

    def test_fold_norms(self):
        wrapped = WeightNormalization(keras.layers.Conv2D(4, 3))
        wrapped(_random((1, 5, 5, 2)))
        wrapped.g.assign(np.array([1.0, 2.0, 3.0, 4.0], "float32"))
        norms = np.sqrt((keras.ops.convert_to_numpy(wrapped.fold()) ** 2).sum(axis=(0, 1, 2)))
        self.assertAllClose(norms, [1.0, 2.0, 3.0, 4.0], atol=1e-5)

    def test_fold_into_another_class_of_the_same_config(self):
        from core.layers import TimeSplitConv1D

        wrapped = WeightNormalization(keras.layers.Conv1D(4, 5, padding="same", name="inner"))
        x = _random((1, 23, 3))
        wrapped(x)
        wrapped.g.assign(np.array([0.5, 1.0, 2.0, 3.0], "float32"))
        plain = fold_weight_normalization(wrapped, TimeSplitConv1D)
        self.assertIsInstance(plain, TimeSplitConv1D)
        self.assertEqual(plain.name, "inner")
        self.assertAllClose(plain(x), wrapped(x), atol=1e-5)

    def test_transposed_conv_axes(self):
        x = _random((2, 5, 3))
        default = WeightNormalization(keras.layers.Conv1DTranspose(4, 4, strides=2))
        default(x)
        self.assertEqual(tuple(default.g.shape), (4,))  # kernel (4, out=4, in=3): per output channel
        torch_like = WeightNormalization(keras.layers.Conv1DTranspose(4, 4, strides=2), axis=-1)
        inner_out = torch_like.layer(x)
        self.assertAllClose(torch_like(x), inner_out, atol=1e-6)
        self.assertEqual(tuple(torch_like.g.shape), (3,))  # per input channel, as torch's dim=0

    def test_training_step_changes_g_and_v(self):
        x = _random((4, 8, 3))
        y = _random((4, 8, 5), seed=1)
        wrapped = WeightNormalization(keras.layers.Conv1D(5, 3, padding="same"))
        inputs = keras.Input(shape=(8, 3))
        model = keras.Model(inputs, wrapped(inputs))
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", jit_compile=False)
        g0 = keras.ops.convert_to_numpy(wrapped.g).copy()
        v0 = keras.ops.convert_to_numpy(wrapped.layer.kernel).copy()
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)
        self.assertFalse(np.allclose(keras.ops.convert_to_numpy(wrapped.g), g0))
        self.assertFalse(np.allclose(keras.ops.convert_to_numpy(wrapped.layer.kernel), v0))

    @parameterized.named_parameters(CASES[0], CASES[3])
    def test_layer(self, make_layer, shape, out_channels):
        out_shape = tuple(make_layer().compute_output_shape(shape))
        self.run_layer_test(WeightNormalization, {"layer": make_layer()}, _random(shape), out_shape)

    def test_config_and_keras_round_trip(self):
        wrapped = WeightNormalization(keras.layers.Conv2D(3, 3, padding="same", activation="relu"), axis=-1, name="wn")
        config = keras.layers.serialize(wrapped)
        revived = keras.layers.deserialize(config)
        self.assertIsInstance(revived, WeightNormalization)
        self.assertIsInstance(revived.layer, keras.layers.Conv2D)
        self.assertEqual(revived.get_config(), wrapped.get_config())

        x = _random((2, 6, 6, 2))
        inputs = keras.Input(shape=(6, 6, 2))
        model = keras.Model(inputs, wrapped(inputs))
        wrapped.g.assign(keras.ops.convert_to_numpy(wrapped.g) * 1.5)  # g no longer equals ||v||
        restored = self.run_model_saving_test(model, x)
        self.assertAllClose(restored.get_layer("wn").g, wrapped.g)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"wraps a keras.layers.Layer instance. Received: layer="):
            WeightNormalization("conv")
        with self.assertRaisesRegex(ValueError, r"plain `kernel` variable.*Received: layer=ReLU"):
            WeightNormalization(keras.layers.ReLU())(np.zeros((1, 3), "float32"))
        with self.assertRaisesRegex(ValueError, r"axis must index the kernel.*Received: axis=3"):
            WeightNormalization(keras.layers.Dense(2), axis=3)(np.zeros((1, 3), "float32"))
