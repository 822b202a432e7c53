"""core.layers.TimeSplitConv1D: Keras' Conv1D outputs, computed on pieces of each sequence stacked on the batch."""

import keras
import numpy as np
import tensorflow as tf

from core.layers import TimeSplitConv1D
from core.testing import TestCase


def _pair(x_shape, splits, **conv):
    reference = keras.layers.Conv1D(6, **conv)
    reference.build(x_shape)
    reference.set_weights([np.random.default_rng(1).normal(size=w.shape).astype("float32")
                           for w in reference.get_weights()])
    ours = TimeSplitConv1D.from_config({**reference.get_config(), "splits": splits})
    ours.build(x_shape)
    ours.set_weights(reference.get_weights())
    return reference, ours


class TimeSplitConv1DTest(TestCase):
    def test_equals_conv1d_for_every_kernel_dilation_padding_and_length(self):
        rng = np.random.default_rng(0)
        cases = [  # (kernel, dilation, padding, frames, batch, splits): odd and even spans, pieces that do
            (3, 1, "same", 17, 2, 2),  # not divide the length, sequences shorter than the kernel
            (11, 5, "same", 101, 1, 2),
            (4, 1, "same", 9, 1, 3),
            (6, 2, "valid", 30, 2, 4),
            (7, 1, "same", 3, 1, 2),
            (1, 1, "same", 5, 1, 2),
        ]
        for kernel, dilation, padding, frames, batch, splits in cases:
            x = rng.normal(size=(batch, frames, 4)).astype("float32")
            reference, ours = _pair(x.shape, splits, kernel_size=kernel, dilation_rate=dilation, padding=padding)
            expected = reference(x)
            self.assertEqual(tuple(ours(x).shape), tuple(expected.shape))
            self.assertAllClose(ours(x), expected, atol=1e-5, msg=str((kernel, dilation, padding, frames, splits)))
            # traced with unknown batch and length, as inside a functional model
            traced = tf.function(ours, input_signature=[tf.TensorSpec((None, None, 4))])
            self.assertAllClose(traced(x), expected, atol=1e-5)

    def test_strided_and_grouped_convolutions_are_computed_as_conv1d_does(self):
        x = np.random.default_rng(0).normal(size=(1, 20, 4)).astype("float32")
        for conv in ({"kernel_size": 3, "strides": 2, "padding": "same"},
                     {"kernel_size": 3, "groups": 2, "padding": "same"},
                     {"kernel_size": 3, "padding": "causal"}):
            reference, ours = _pair(x.shape, 2, **conv)
            self.assertAllClose(ours(x), reference(x), atol=1e-5, msg=str(conv))

    def test_a_copy_from_conv1d_config_keeps_name_and_weights_and_the_model_saves(self):
        reference, ours = _pair((None, None, 4), 3, kernel_size=5, padding="same", name="conv_in")
        self.assertEqual(ours.name, "conv_in")
        self.assertEqual(ours.splits, 3)
        for a, b in zip(ours.get_weights(), reference.get_weights()):
            np.testing.assert_array_equal(a, b)
        inputs = keras.Input((None, 4))
        model = keras.Model(inputs, ours(inputs))
        path = f"{self.get_temp_dir()}/split.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        x = np.random.default_rng(2).normal(size=(1, 40, 4)).astype("float32")
        self.assertIsInstance(loaded.layers[1], TimeSplitConv1D)
        self.assertEqual(loaded.layers[1].splits, 3)
        self.assertAllClose(loaded(x), reference(x), atol=1e-5)

    def test_splits_must_be_a_positive_integer(self):
        for splits in (0, -1, 1.5):
            with self.assertRaisesRegex(ValueError, "splits must be an integer >= 1"):
                TimeSplitConv1D(4, 3, splits=splits)
