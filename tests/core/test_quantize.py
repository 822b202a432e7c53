"""core.quantize: a network runs its exported (quantised) file in every way a task's evaluation calls it."""

import keras
import numpy as np
import pytest

from core import export, quantize
from core.testing import TestCase


class Doubling(keras.Model):
    """A network class with a method of its own calling the network, as RRNet.predict_gaussian does."""

    def doubled(self, x):
        return 2 * np.asarray(self.predict(x, verbose=0))


def _two_headed():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 3))
    x = keras.layers.Flatten()(keras.layers.Conv1D(16, 3, activation="relu")(inputs))
    return keras.Model(inputs, {"score": keras.layers.Dense(2, name="score")(x),
                                "value": keras.layers.Dense(1, name="value")(x)}, name="two_headed")


def _shift(layer):
    """Change the Keras weights after the export: only the exported file still gives the old outputs."""
    layer.bias.assign(layer.bias + 1.0)


class ExportedRuntimeTest(TestCase):
    def test_calls_predict_and_datasets_run_the_export_in_the_networks_structure(self):
        import tensorflow as tf

        network = _two_headed()
        folder = self.get_temp_dir()
        export.export_model(network, folder, "savedmodel")
        x = np.random.default_rng(0).standard_normal((5, 8, 3)).astype("float32")
        expected = {key: np.asarray(value) for key, value in network(x, training=False).items()}
        _shift(network.get_layer("score"))
        runtime = quantize.ExportedRuntime(network, folder)
        got = network(x)
        self.assertEqual(sorted(got), ["score", "value"])
        for source in (x, tf.data.Dataset.from_tensor_slices((x, np.zeros(5))).batch(2)):
            predicted = network.predict(source, batch_size=2, verbose=0)
            for key in expected:
                self.assertAllClose(got[key], expected[key], atol=1e-5)
                self.assertAllClose(predicted[key], expected[key], atol=1e-5)
        self.assertEqual(runtime.calls, 1 + 3 + 3)
        runtime.restore()
        self.assertAllClose(np.asarray(network(x)["score"]), expected["score"] + 1.0, atol=1e-5)  # its own layers again

    def test_the_network_classes_own_methods_reach_the_export(self):
        inputs = keras.Input((4,))
        network = Doubling(inputs, keras.layers.Dense(3)(inputs))
        folder = self.get_temp_dir()
        export.export_model(network, folder, "savedmodel")
        x = np.ones((2, 4), "float32")
        expected = 2 * np.asarray(network(x))
        _shift(network.layers[-1])
        runtime = quantize.ExportedRuntime(network, folder)
        self.assertAllClose(network.doubled(x), expected, atol=1e-5)
        self.assertEqual(runtime.calls, 1)

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
        quantize.ExportedRuntime(network, folder)
        got = network.predict(x, batch_size=4, verbose=0)
        change = np.max(np.abs(got - expected)) / np.max(np.abs(expected))
        self.assertTrue(0 < change <= export.QUANTIZE_TOLERANCE["int8"], change)

    def test_a_gan_runs_its_exported_generator(self):
        from core.training import GANModel

        generator = keras.Sequential([keras.Input((None, 3)), keras.layers.Conv1D(2, 3, padding="same")], name="g")
        discriminator = keras.Sequential([keras.Input((None, 2)), keras.layers.Conv1D(1, 3)], name="d")
        gan = GANModel(generator, discriminator)
        folder = self.get_temp_dir()
        export.export_model(gan, folder, "savedmodel", input_shape=(1, 7, 3))
        x = np.ones((2, 5, 3), "float32")
        expected = np.asarray(generator(x))
        _shift(generator.layers[-1])
        runtime = quantize.with_exported(gan, folder)
        self.assertIs(runtime.network, generator)
        self.assertAllClose(gan.preset_network()(x), expected, atol=1e-5)  # eager, one output
        self.assertAllClose(generator.predict(x, verbose=0), expected, atol=1e-5)  # in a tf.function
        self.assertEqual(runtime.calls, 2)


def _tiny(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((8, 3)), keras.layers.Conv1D(4, 3, activation="relu"), keras.layers.Flatten(),
                             keras.layers.Dense(2)])


class _Counting:
    """`core.export.export_model` that counts its calls (an export the cache should have spared)."""

    def __init__(self):
        self.calls, self.export_model = 0, export.export_model

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.export_model(*args, **kwargs)


class UseEngineTest(TestCase):
    def setUp(self):
        super().setUp()
        self.cache = self.get_temp_dir()
        self.counting = _Counting()
        self.patch = pytest.MonkeyPatch()
        self.patch.setattr(export, "export_model", self.counting)
        self.addCleanup(self.patch.undo)

    def test_the_fingerprint_ignores_automatic_names_and_sees_every_weight(self):
        first, second = _tiny(), _tiny()
        self.assertNotEqual(first.name, second.name)
        self.assertEqual(quantize.network_fingerprint(first), quantize.network_fingerprint(second))
        _shift(second.layers[-1])
        self.assertNotEqual(quantize.network_fingerprint(first), quantize.network_fingerprint(second))
        other = keras.Sequential([keras.Input((8, 3)), keras.layers.Conv1D(4, 3, activation="tanh"),
                                  keras.layers.Flatten(), keras.layers.Dense(2)])
        other.set_weights(first.get_weights())  # the same weights in another architecture
        self.assertNotEqual(quantize.network_fingerprint(first), quantize.network_fingerprint(other))

    def test_the_export_is_made_once_and_made_again_when_a_weight_changes(self):
        folder, exported = quantize.cached_export(_tiny(), "savedmodel", self.cache)
        self.assertTrue(exported)
        again, exported = quantize.cached_export(_tiny(), "savedmodel", self.cache)  # loaded again: same weights
        self.assertEqual((again, exported, self.counting.calls), (folder, False, 1))
        changed = _tiny()
        _shift(changed.layers[-1])
        other, exported = quantize.cached_export(changed, "savedmodel", self.cache)
        self.assertTrue(exported)
        self.assertNotEqual(other, folder)
        self.assertEqual(self.counting.calls, 2)
        self.assertEqual(sorted(p.name for p in export.pathlib.Path(self.cache).iterdir()),
                         sorted([folder.name, other.name]))  # no partial folder left

    def test_the_cache_keeps_the_most_recently_used_exports_per_engine_and_a_bounded_size(self):
        import os

        cache = export.pathlib.Path(self.cache)
        folders = []
        for bias in range(3):  # three weights of one network: three exports of one class and engine
            network = _tiny()
            network.layers[-1].bias.assign([float(bias), 0.0])
            folder, _ = quantize.cached_export(network, "savedmodel", cache)
            os.utime(folder / export.RECORD, (1000 + bias, 1000 + bias))  # used in this order
            folders.append(folder)
        again = _tiny()
        again.layers[-1].bias.assign([0.0, 0.0])
        self.assertEqual(quantize.cached_export(again, "savedmodel", cache), (folders[0], False))  # used again: newest
        partial = cache / ".Sequential-savedmodel-killed.abc"
        partial.mkdir()
        os.utime(partial, (0, 0))  # left by a killed export long ago
        self.assertEqual(quantize.prune_engine_cache(cache, keep=3), [partial])
        self.assertEqual(quantize.prune_engine_cache(cache, keep=2), [folders[1]])  # the least recently used
        self.assertEqual(sorted(p.name for p in cache.iterdir()), sorted([folders[0].name, folders[2].name]))
        # By size: the least recently used goes first; the protected one stays even alone above the bound.
        self.assertEqual(quantize.prune_engine_cache(cache, max_bytes=0, protect=(folders[2],)), [folders[0]])
        self.assertEqual([p.name for p in cache.iterdir()], [folders[2].name])
        with self.assertRaisesRegex(ValueError, "Received: keep=0"):
            quantize.prune_engine_cache(cache, keep=0)

    def test_a_new_export_prunes_the_cache(self):
        for bias in range(quantize.ENGINE_CACHE_KEEP + 1):
            network = _tiny()
            network.layers[-1].bias.assign([float(bias), 0.0])
            quantize.cached_export(network, "savedmodel", self.cache)
        left = list(export.pathlib.Path(self.cache).iterdir())
        self.assertEqual(len(left), quantize.ENGINE_CACHE_KEEP)
        self.assertEqual(self.counting.calls, quantize.ENGINE_CACHE_KEEP + 1)

    def test_a_refused_or_failed_export_leaves_nothing_in_the_cache(self):
        import tensorflow as tf

        if export.missing_modules("onnx"):
            pytest.skip("onnxruntime is not installed")
        spectrum = keras.Sequential([keras.Input((8,)), keras.layers.Lambda(lambda x: tf.abs(tf.signal.rfft(x)))])
        with self.assertRaisesRegex(ValueError, "cannot be exported to onnx: its graph computes complex-valued"):
            quantize.use_engine(spectrum, "onnx", self.cache)
        self.assertEqual(self.counting.calls, 0)

        def fails(*args, **kwargs):
            raise ValueError("converter failed")

        self.patch.setattr(export, "export_model", fails)
        with self.assertRaisesRegex(ValueError, "converter failed"):
            quantize.cached_export(_tiny(), "savedmodel", self.cache)
        self.assertEqual(list(export.pathlib.Path(self.cache).iterdir()), [])

    def test_the_switch_reaches_a_predict_traced_before_it_and_the_keras_path_comes_back(self):
        network = _tiny()
        x = np.random.default_rng(0).standard_normal((5, 8, 3)).astype("float32")
        expected = network.predict(x, verbose=0)  # traces Keras's predict function before the switch
        with quantize.use_engine(network, "savedmodel", self.cache) as engine:
            _shift(network.layers[-1])  # Keras's own layers now give other outputs; the export does not
            # The same batches as before: a function traced then would run again without retracing.
            self.assertAllClose(network.predict(x, verbose=0), expected, atol=1e-5)
            self.assertEqual(engine.calls, 1)
            engine.check_ran()
        self.assertAllClose(network.predict(x, verbose=0), expected + 1.0, atol=1e-5)  # the Keras path again
        self.assertEqual(engine.calls, 1)
        self.assertEqual(engine.describe(), {"engine": "savedmodel", "engine_runtime": "tensorflow", "engine_calls": 1,
                                             "engine_folder": str(engine.folder)})

    def test_an_engine_that_never_ran_is_refused_and_tensorflow_changes_nothing(self):
        network = _tiny()
        with quantize.use_engine(network, "savedmodel", self.cache) as engine:
            pass
        with self.assertRaisesRegex(ValueError, r"the check never ran the savedmodel engine .*Received: calls=0"):
            engine.check_ran("the check")
        keras_engine = quantize.use_engine(network, "tensorflow", self.cache)
        self.assertIsInstance(keras_engine, quantize.KerasEngine)
        self.assertNotIn("call", vars(network))
        self.assertEqual(keras_engine.describe(), {"engine": "tensorflow"})
        with self.assertRaisesRegex(ValueError, r"Unknown inference engine\. Expected one of: tensorflow, savedmodel"):
            quantize.use_engine(network, "onnx float32", self.cache)
