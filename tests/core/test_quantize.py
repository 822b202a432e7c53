"""core.quantize: an exported (quantised) network stands in for the Keras one in a task's evaluation."""

import keras
import numpy as np
import pytest

from core import export, quantize
from core.testing import TestCase


def _two_headed():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 3))
    x = keras.layers.Conv1D(16, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, {"score": keras.layers.Dense(2, name="score")(x),
                                 "value": keras.layers.Dense(1, name="value")(x)}, name="two_headed")
    model.label_names = ["a", "b"]
    return model


class Doubling(keras.Model):
    """A network class with a method of its own calling the network, as RRNet.predict_gaussian does."""

    def doubled(self, x):
        return 2 * np.asarray(self(x))


class ExportedNetworkTest(TestCase):
    def test_the_network_classes_own_methods_reach_the_export_and_are_counted(self):
        inputs = keras.Input((4,))
        network = Doubling(inputs, keras.layers.Dense(3)(inputs))
        folder = self.get_temp_dir()
        export.export_model(network, folder, "savedmodel")
        stand_in = quantize.ExportedNetwork(network, folder)
        self.assertEqual(stand_in.calls, 0)
        x = np.ones((2, 4), "float32")
        # The Keras network is shifted after the export: only the exported file gives the old outputs.
        expected = 2 * np.asarray(network(x))
        network.layers[-1].bias.assign(network.layers[-1].bias + 1.0)
        self.assertAllClose(stand_in.doubled(x), expected, atol=1e-5)
        self.assertEqual(stand_in.calls, 1)
        self.assertEqual(stand_in.count_params(), network.count_params())  # Keras's own methods: the network's

    def test_calls_and_predict_run_the_export_in_the_networks_structure(self):
        network = _two_headed()
        folder = self.get_temp_dir()
        export.export_model(network, folder, "savedmodel")
        stand_in = quantize.ExportedNetwork(network, folder)
        x = np.random.default_rng(0).standard_normal((5, 8, 3)).astype("float32")
        expected = network(x, training=False)
        got = stand_in(x)
        self.assertEqual(sorted(got), ["score", "value"])
        for key in expected:
            self.assertAllClose(got[key], expected[key], atol=1e-5)
        # predict in batches of 2 over an array, and over a dataset of (x, y) pairs
        import tensorflow as tf

        for source in (x, tf.data.Dataset.from_tensor_slices((x, np.zeros(5))).batch(2)):
            predicted = stand_in.predict(source, batch_size=2)
            for key in expected:
                self.assertAllClose(predicted[key], expected[key], atol=1e-5)
        self.assertEqual((stand_in.label_names, stand_in.name), (["a", "b"], "two_headed"))

    def test_a_quantised_export_stands_in_within_its_tolerance(self):
        if export.missing_modules("onnx"):
            pytest.skip("onnxruntime is not installed")
        keras.utils.set_random_seed(0)
        network = keras.Sequential([keras.Input((32, 3)), keras.layers.Conv1D(32, 3, activation="relu"),
                                    keras.layers.Flatten(), keras.layers.Dense(4)])
        folder = self.get_temp_dir()
        export.export_model(network, folder, "onnx", quantize="int8")
        x = np.random.default_rng(2).standard_normal((6, 32, 3)).astype("float32")
        expected = np.asarray(network(x))
        got = quantize.ExportedNetwork(network, folder).predict(x, batch_size=4)
        change = np.max(np.abs(got - expected)) / np.max(np.abs(expected))
        self.assertTrue(0 < change <= export.QUANTIZE_TOLERANCE["int8"], change)

    def test_a_gan_answers_with_its_exported_generator(self):
        from core.training import GANModel

        generator = keras.Sequential([keras.Input((None, 3)), keras.layers.Conv1D(2, 3, padding="same")], name="g")
        discriminator = keras.Sequential([keras.Input((None, 2)), keras.layers.Conv1D(1, 3)], name="d")
        gan = GANModel(generator, discriminator)
        folder = self.get_temp_dir()
        export.export_model(gan, folder, "savedmodel", input_shape=(1, 7, 3))
        wrapped = quantize.with_exported(gan, folder)
        x = np.ones((2, 5, 3), "float32")
        self.assertIsInstance(wrapped.preset_network(), quantize.ExportedNetwork)
        self.assertIs(wrapped.generator, wrapped.preset_network())
        self.assertAllClose(wrapped.generator(x), generator(x), atol=1e-5)
        self.assertIs(wrapped.discriminator, discriminator)
