"""Shared test helpers in the keras-hub manner: one `TestCase` every test module uses.

`run_layer_test` builds a layer, round-trips its config, takes one training step and
round-trips a `.keras` file; `run_model_saving_test` checks a saved model gives identical outputs.
"""

import os
import tempfile

import keras
import numpy as np
from absl.testing import parameterized


class TestCase(parameterized.TestCase):
    """Base class for the suite's tests (pytest collects it like `unittest.TestCase`).

    Example:
    ```python
    from core.layers import PixelShuffle

    class PixelShuffleTest(TestCase):
        def test_layer(self):
            self.run_layer_test(PixelShuffle, {"rank": 2, "scale": 2},
                                input_data=np.ones((2, 4, 4, 8)), expected_output_shape=(2, 8, 8, 2))
    ```
    """

    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(1337)
        keras.backend.clear_session()

    def get_temp_dir(self):
        path = tempfile.mkdtemp(prefix="resuite-test-")
        self.addCleanup(_rmtree, path)
        return path

    def assertAllClose(self, a, b, atol=1e-6, rtol=1e-6, msg=None):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=atol, rtol=rtol, err_msg=msg or ""
        )

    def run_layer_test(
        self,
        layer_cls,
        init_kwargs,
        input_data,
        expected_output_shape,
        run_training_step=True,
        run_saving_test=True,
        static_weights=(),
    ):
        """Build, config round trip, one training step, `.keras` save/load with equal outputs.

        The training step must move every trainable weight but those named in `static_weights`,
        which must stay put.

        Args:
            layer_cls: the layer class.
            init_kwargs: dict of its constructor arguments.
            input_data: NumPy batch.
            expected_output_shape: tuple.
            run_training_step: bool. Defaults to True.
            run_saving_test: bool. Defaults to True.
            static_weights: tuple of str. Ends of the paths (e.g. `"conv1/kernel"`) of trainable
                weights that legitimately do not change in the first step, e.g. those behind a
                zero-initialised scale. Defaults to `()`.
        """
        layer = layer_cls(**init_kwargs)
        output = layer(input_data)
        self.assertEqual(tuple(output.shape), tuple(expected_output_shape))

        # Config round trip: a layer rebuilt from the config has the same config and weights count.
        config = layer.get_config()
        for key, value in init_kwargs.items():
            if not isinstance(value, keras.layers.Layer):
                self.assertIn(key, config, f"{layer_cls.__name__}.get_config() lacks {key!r}")
        revived = layer_cls.from_config(config)
        self.assertEqual(revived.get_config(), config)
        revived(input_data)
        self.assertEqual(len(revived.weights), len(layer.weights))

        inputs = keras.Input(shape=input_data.shape[1:], batch_size=None)
        model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
        if run_training_step and model.trainable_weights:
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=False)
            before = [w.numpy().copy() for w in model.trainable_weights]
            target = np.random.default_rng(0).normal(size=expected_output_shape).astype("float32")
            history = model.fit(input_data, target, epochs=1, batch_size=len(input_data), verbose=0)
            self.assertTrue(np.isfinite(history.history["loss"][0]))
            paths = [w.path for w in model.trainable_weights]
            for end in static_weights:
                matches = [path for path in paths if path.endswith(end)]
                self.assertEqual(len(matches), 1, f"static_weights: {end!r} must name one weight of {paths}")
            moved = {w.path: not np.array_equal(w.numpy(), b) for w, b in zip(model.trainable_weights, before)}
            static = {path for path in paths if path.endswith(tuple(static_weights))}
            stuck = [path for path in paths if not moved[path] and path not in static]
            self.assertEqual(stuck, [], f"{layer_cls.__name__}: trainable weights unchanged by one training step")
            self.assertEqual([path for path in static if moved[path]], [], "static_weights that moved")
        if run_saving_test:
            self.run_model_saving_test(model, input_data)
        return layer

    def run_model_saving_test(self, model, input_data, atol=1e-6):
        """Save to `.keras`, load back (safe mode), and compare outputs on `input_data`."""
        expected = model.predict(input_data, verbose=0) if _is_array(input_data) else model(input_data)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        actual = restored.predict(input_data, verbose=0) if _is_array(input_data) else restored(input_data)
        keras.tree.map_structure(lambda a, b: self.assertAllClose(a, b, atol=atol, rtol=atol), expected, actual)
        return restored


def _is_array(x):
    return isinstance(x, np.ndarray)


def _rmtree(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)
