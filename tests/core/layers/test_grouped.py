"""core.layers.SplitGroupConv1D: Keras' grouped Conv1D outputs and gradients, one conv per group."""

import keras
import numpy as np
import tensorflow as tf

from core.layers import SplitGroupConv1D, WeightNormalization
from core.testing import TestCase


class SplitGroupConv1DTest(TestCase):
    def test_equals_keras_grouped_conv_in_outputs_and_gradients(self):
        x = tf.constant(np.random.default_rng(0).normal(size=(2, 30, 8)).astype("float32"))
        ours = SplitGroupConv1D(12, 5, strides=2, groups=4, padding="same")
        reference = keras.layers.Conv1D(12, 5, strides=2, groups=4, padding="same")
        ours.build(x.shape)
        reference.build(x.shape)
        reference.set_weights(ours.get_weights())
        grads = []
        for layer in (ours, reference):
            with tf.GradientTape() as tape:
                y = layer(x)
                loss = tf.reduce_sum(y ** 2)
            grads.append(tape.gradient(loss, layer.trainable_variables))
        self.assertAllClose(ours(x), reference(x), atol=1e-5)
        for a, b in zip(*grads):
            self.assertAllClose(a, b, atol=1e-4)

    def test_weight_normalised_and_saved(self):
        layer = WeightNormalization(SplitGroupConv1D(8, 3, groups=2))
        inputs = keras.Input((None, 4))
        model = keras.Model(inputs, layer(inputs))
        self.run_model_saving_test(model, np.random.default_rng(1).normal(size=(1, 9, 4)).astype("float32"))
