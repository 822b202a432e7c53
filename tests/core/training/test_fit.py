import csv
import json
import os
import pathlib
from unittest import mock

import keras
import numpy as np

from core.testing import TestCase
from core.training import StepCounter, fit
from core.training.callbacks import BackupAgreement
from core.training.fit import best_logged_value, worker_output_dir


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

    def test_a_resumed_run_keeps_the_best_checkpoint_of_the_epochs_before_the_kill(self):
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
        out = pathlib.Path(self.get_temp_dir())

        class Kill(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 2:
                    raise RuntimeError("killed")

        with self.assertRaisesRegex(RuntimeError, "killed"):
            fit(_model(), x, epochs=4, output_dir=out, validation_data=(x, y), y=y, batch_size=8, verbose=0,
                callbacks=[Kill()])
        with open(out / "log.csv") as f:
            logged = [float(row["val_loss"]) for row in csv.DictReader(f)]
        self.assertLen(logged, 2)
        self.assertEqual(best_logged_value(out / "log.csv", "val_loss"), min(logged))
        self.assertEqual(best_logged_value(out / "log.csv", "val_loss", mode="max"), max(logged))
        self.assertIsNone(best_logged_value(out / "log.csv", "val_mae"))  # "auto": direction unknown
        saved = (out / "best.keras").stat().st_mtime_ns
        # The resumed epochs validate far worse (shifted targets): best.keras must stay the old one.
        counter = StepCounter()
        history = fit(_model(), x, epochs=4, output_dir=out, validation_data=(x, y + 100.0), y=y, batch_size=8,
                      verbose=0, callbacks=[counter])
        self.assertLen(history.history["val_loss"], 2)
        # 4 steps an epoch: this call trained epochs 2 and 3, the run all four.
        self.assertEqual((counter.steps, counter.run_steps), (2 * 4, 4 * 4))
        self.assertGreater(min(history.history["val_loss"]), max(logged))
        self.assertEqual((out / "best.keras").stat().st_mtime_ns, saved)
        self.assertEqual(_epochs(out / "log.csv"), ["0", "1", "2", "3"])


    def test_a_non_chief_worker_writes_and_resumes_in_its_own_folder(self):
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
        out = pathlib.Path(self.get_temp_dir())
        worker_1 = {"TF_CONFIG": json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}})}

        class Kill(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 2:
                    raise RuntimeError("killed")

        # No strategy: only the files' places are tested here (test_multi_worker_resume.py kills a real cluster).
        with mock.patch.dict(os.environ, worker_1):
            self.assertEqual(worker_output_dir(out), out / "worker-1")
            with self.assertRaisesRegex(RuntimeError, "killed"):
                fit(_model(), x, epochs=4, output_dir=out, y=y, batch_size=8, verbose=0, callbacks=[Kill()])
            self.assertEqual(sorted(p.name for p in out.iterdir()), ["worker-1"])  # nothing of the chief's
            self.assertEqual(json.loads((out / "worker-1/backup/training_metadata.json").read_text())["epoch"], 2)
            # Launched again, the same worker finds its backup: epochs 2 and 3 only.
            history = fit(_model(), x, epochs=4, output_dir=out, y=y, batch_size=8, verbose=0)
        self.assertLen(history.history["loss"], 2)
        self.assertEqual(_epochs(out / "worker-1/log.csv"), ["0", "1", "2", "3"])
        self.assertEqual(sorted(p.name for p in (out / "worker-1").iterdir()), ["best.keras", "final.keras", "log.csv"])
        with mock.patch.dict(os.environ, {"TF_CONFIG": ""}):
            self.assertEqual(worker_output_dir(out), out)  # the chief (or one process): the run's folder

    def test_backup_agreement_reads_the_restored_point_and_is_a_no_op_on_one_worker(self):
        out = pathlib.Path(self.get_temp_dir())
        agreement = BackupAgreement(out / "backup")
        self.assertEqual(agreement.restored_point(), (0, 0))  # no backup: a fresh start
        (out / "backup").mkdir()
        (out / "backup/training_metadata.json").write_text('{"epoch": 3, "batch": 5}')
        self.assertEqual(agreement.restored_point(), (3, 5))
        model = _model()
        model.fit(np.zeros((8, 4)), np.zeros((8, 1)), epochs=1, verbose=0, callbacks=[agreement])
        self.assertIsNone(agreement.restored)  # nothing gathered outside a multi-worker strategy


class _SpoilAfterFirstEpoch(keras.callbacks.Callback):
    """Makes every epoch after the first far worse, so that the best epoch is the first."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch:
            self.model.layers[-1].kernel.assign(np.full((4, 1), 100.0, "float32"))


class RestoreBestTest(TestCase):
    def test_the_model_ends_with_the_best_epochs_weights_not_the_last(self):
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
        for restore_best in (True, False):
            out = pathlib.Path(self.get_temp_dir()) / str(restore_best)
            model = _model()
            history = fit(model, x, y=y, epochs=3, output_dir=out, validation_data=(x, y), batch_size=8, verbose=0,
                          callbacks=[_SpoilAfterFirstEpoch()], restore_best=restore_best)
            self.assertEqual(int(np.argmin(history.history["val_loss"])), 0)
            best = keras.saving.load_model(out / "best.keras").get_weights()
            final = keras.saving.load_model(out / "final.keras").get_weights()
            expected, other = (best, final) if restore_best else (final, best)
            for ours, theirs, not_theirs in zip(model.get_weights(), expected, other):
                np.testing.assert_array_equal(ours, theirs)
            self.assertFalse(np.array_equal(model.get_weights()[0], other[0]))


class CallbacksTest(TestCase):
    def test_time_budget_stops_after_the_batch_that_exceeds_it_and_the_counter_counts(self):
        from core.training import TimeBudget

        x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
        counter, budget = StepCounter(), TimeBudget(1e-9)
        _model().fit(x, y, batch_size=8, epochs=5, callbacks=[counter, budget], verbose=0)
        self.assertEqual(budget.stopped_at, 0)
        self.assertEqual(counter.steps, 1)
        counter, unlimited = StepCounter(), TimeBudget(None)
        _model().fit(x, y, batch_size=8, epochs=2, callbacks=[counter, unlimited], verbose=0)
        self.assertIsNone(unlimited.stopped_at)
        self.assertEqual((counter.steps, counter.run_steps), (16, 16))  # a fresh model: the run is this call
        self.assertGreater(counter.seconds, 0)

    def test_score_every_scores_every_few_epochs_and_the_last_and_a_resumed_run_continues_its_file(self):
        from core.training import ScoreEvery

        path = pathlib.Path(self.get_temp_dir()) / "curve.json"
        model, written = _model(), []
        x, y = np.ones((16, 4), "float32"), np.ones((16, 1), "float32")
        score = lambda trained: {"loss": float(trained.evaluate(x, y, verbose=0))}
        curve = ScoreEvery(score, path, every=2, steps_per_epoch=10, on_write=lambda rows: written.append(len(rows)))
        model.fit(x, y, batch_size=16, epochs=3, callbacks=[curve], verbose=0)
        rows = json.loads(path.read_text())
        self.assertEqual([(row["epoch"], row["step"]) for row in rows], [(2, 20), (3, 30)])
        self.assertEqual(written, [1, 2])
        self.assertAllClose(rows[-1]["loss"], model.evaluate(x, y, verbose=0))  # the weights of the epoch just ended
        # a run resumed from the backup of epoch 2 drops the stale row of epoch 3 and scores epoch 3 again
        resumed = ScoreEvery(lambda trained: {"loss": -1.0}, path, every=2, steps_per_epoch=10)
        resumed.set_model(model)
        resumed.on_train_begin()
        resumed.on_epoch_begin(2)
        resumed.on_epoch_end(2)
        resumed.on_train_end()
        self.assertEqual([(row["epoch"], row["loss"]) for row in json.loads(path.read_text())],
                         [(2, rows[0]["loss"]), (3, -1.0)])
        with self.assertRaisesRegex(ValueError, "every"):
            ScoreEvery(score, path, every=0)
