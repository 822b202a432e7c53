"""The recipe: step decay, noise switched on from epoch 5 (here 1), statistics from the training set."""

import pathlib

import keras
import numpy as np

from core.testing import TestCase
from domains.lamost.model import RRNet
from domains.lamost.synthetic import make_dataset
from domains.lamost.training import step_decay, train_rrnet


class _Record(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.noise = []

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.noise.append(float(self.model.standardization.noise_active))


class TrainingTest(TestCase):
    def test_step_decay_is_torch_steplr(self):
        schedule = step_decay(5e-4)
        self.assertAllClose([schedule(e) for e in (0, 9, 10, 19, 20, 29)], [5e-4, 5e-4, 5e-5, 5e-5, 5e-6, 5e-6])

    def test_train_rrnet_records_noise_switch_statistics_and_best_epoch(self):
        output = pathlib.Path(self.get_temp_dir())
        x, y, _ = make_dataset(40, seed=0)
        model = RRNet(mode="raw", hidden_units=(8,))
        record = _Record()
        train_rrnet(model, (x[:32], y[:32]), (x[32:], y[32:]), output, epochs=2, batch_size=16, noise_from_epoch=1,
                    callbacks=[record])
        self.assertEqual(record.noise, [0.0, 1.0])
        self.assertEqual(float(model.standardization.noise_active), 0.0)   # off after training
        self.assertAllClose(model.target_mean, y[:32].mean(axis=0))
        good = x[:32, :, 1] > 0
        expected = np.array([x[:32, p, 0][good[:, p]].mean() for p in (0, 3600, 7199)])
        self.assertAllClose(np.asarray(model.standardization.mean)[[0, 3600, 7199]], expected, atol=1e-5)
        log = (output / "log.csv").read_text().splitlines()
        self.assertEqual(len(log), 3)
        self.assertTrue((output / "best.keras").exists())
        with self.assertRaisesRegex(ValueError, r"train must be x \(n, 7200, 2\)"):
            train_rrnet(model, (x[:, :100], y), (x, y), output / "bad")
