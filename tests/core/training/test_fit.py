import csv
import pathlib

import keras
import numpy as np

from core.testing import TestCase
from core.training import fit


def _model():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=False)
    return model


def _epochs(path):
    with open(path) as f:
        return [row["epoch"] for row in csv.DictReader(f)]


class FitTest(TestCase):
    def test_writes_checkpoints_and_a_fresh_log_per_run(self):
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
        out = self.get_temp_dir()
        history = fit(_model(), x, epochs=3, output_dir=out, validation_data=(x, y), y=y, batch_size=8, verbose=0,
                      seed=1)
        self.assertEqual(len(history.history["loss"]), 3)
        for name in ("best.keras", "final.keras", "log.csv"):
            self.assertTrue((pathlib.Path(out) / name).exists(), name)
        self.assertEqual(_epochs(f"{out}/log.csv"), ["0", "1", "2"])
        # A new, complete run in the same folder does not append to the old log.
        fit(_model(), x, epochs=2, output_dir=out, y=y, batch_size=8, verbose=0)
        self.assertEqual(_epochs(f"{out}/log.csv"), ["0", "1"])

    def test_terminates_on_nan(self):
        x = np.full((16, 4), np.nan, "float32")
        history = fit(_model(), x, epochs=5, output_dir=self.get_temp_dir(), y=np.zeros((16, 1), "float32"),
                      batch_size=8, verbose=0)
        self.assertEqual(len(history.history["loss"]), 1)
        self.assertTrue(np.isnan(history.history["loss"][0]))
