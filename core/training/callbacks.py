"""Small training callbacks that any domain can use: a wall-time budget, a step counter, a learning
curve scored every N epochs, and the check that the workers of a resumed multi-worker run restored
the same epoch."""

import json
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf


class TimeBudget(keras.callbacks.Callback):
    """Stop training (after the current batch) once `seconds` have passed since `fit` began.

    Args:
        seconds: float or None. The budget; None or 0 means no limit.

    Example:
    ```python
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    budget = TimeBudget(2)
    model.fit(x, y, epochs=1000, callbacks=[budget], verbose=0)   # about 2 s, whatever the epoch count
    budget.stopped_at                                   # the batch it stopped after, or None
    ```
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.stopped_at = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.seconds and time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True
            self.stopped_at = batch


class StepCounter(keras.callbacks.Callback):
    """Counts the batches trained, by this `fit` call and by the whole run, and this call's wall time.

    `steps` and `seconds` are this call's (its throughput). `run_steps` is the whole run's: this
    call's steps plus the updates the model's optimizer had already made when its first batch
    began (a `core.training.GANModel`'s: its generator optimizer's). A run killed and started
    again with `core.training.fit` restores the optimizer from its backup before that, so
    `run_steps` counts every leg (the batches a kill lost since the last backup, trained again, once).
    A model with no optimizer counts from 0; a compiled model fitted twice counts both calls.

    Example:
    ```python
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    counter = StepCounter()
    model.fit(x, y, batch_size=32, epochs=2, callbacks=[counter], verbose=0)
    counter.steps, counter.run_steps, counter.seconds   # (4, 4, ...)
    ```
    """

    def on_train_begin(self, logs=None):
        self.steps, self.start, self.steps_before = 0, time.perf_counter(), None

    def on_train_batch_begin(self, batch, logs=None):
        if self.steps_before is None:  # every callback's on_train_begin has run: a backup is restored
            self.steps_before = _optimizer_steps(self.model)

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def on_train_end(self, logs=None):
        self.seconds = time.perf_counter() - self.start
        if self.steps_before is None:  # no batch left to train (a run resumed after its last epoch)
            self.steps_before = _optimizer_steps(self.model)
        self.run_steps = self.steps_before + self.steps


def _optimizer_steps(model):
    """The updates `model`'s optimizer has made (a `GANModel`'s: its generator's); 0 with none."""
    optimizer = getattr(model, "generator_optimizer", None)
    if optimizer is None:
        optimizer = getattr(model, "optimizer", None)
    return 0 if optimizer is None else int(keras.ops.convert_to_numpy(optimizer.iterations))


class ScoreEvery(keras.callbacks.Callback):
    """A learning curve: call `score(model)` every `every` epochs and keep its rows in a JSON file.

    Each row is `{"epoch", "step", **score(model)}` (the model being trained, with the weights of
    the epoch just ended), appended to `path` (a JSON list) as soon as it is
    scored. The last epoch of `fit` is always scored, also when a wall-time budget stopped it early.
    A run resumed from its backup continues the file: rows of epochs it has not reached again are
    dropped.

    Args:
        score: callable taking the model being trained and returning a JSON-serialisable dict
            (e.g. the metrics of held-out data).
        path: str or Path of the JSON file.
        every: int. Epochs between scorings. Defaults to 10.
        steps_per_epoch: int. For the `step` column. Defaults to 1.
        on_write: callable or None. Called with the list of rows after each write (e.g. to redraw
            a plot). Defaults to None.

    Example:
    ```python
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    curve = ScoreEvery(lambda trained: {"mse": float(trained.evaluate(x, y, verbose=0))}, "curve.json", every=2)
    model.fit(x, y, epochs=3, callbacks=[curve], verbose=0)
    [row["epoch"] for row in json.loads(pathlib.Path("curve.json").read_text())]   # [2, 3]
    ```
    """

    def __init__(self, score, path, every=10, steps_per_epoch=1, on_write=None):
        super().__init__()
        if not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"ScoreEvery scores every `every` >= 1 epochs. Received: every={every!r}")
        self.score, self.path, self.on_write = score, pathlib.Path(path), on_write
        self.every, self.steps_per_epoch = int(every), int(steps_per_epoch)
        self.rows, self.last_epoch = [], None

    def on_train_begin(self, logs=None):
        self.rows = json.loads(self.path.read_text()) if self.path.is_file() else []
        self.last_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.last_epoch is None:  # a resumed run starts again after its backup's epoch: later rows are stale
            self.rows = [row for row in self.rows if row["epoch"] <= epoch]

    def on_epoch_end(self, epoch, logs=None):
        self.last_epoch = epoch + 1
        if self.last_epoch % self.every == 0:
            self._score(self.last_epoch)

    def on_train_end(self, logs=None):
        if self.last_epoch is not None:
            self._score(self.last_epoch)

    def _score(self, epoch):
        if self.rows and self.rows[-1]["epoch"] == epoch:
            return
        self.rows.append({"epoch": epoch, "step": epoch * self.steps_per_epoch, **self.score(self.model)})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.rows, indent=1) + "\n")
        if self.on_write is not None:
            self.on_write(self.rows)


class BackupAgreement(keras.callbacks.Callback):
    """Stop a multi-worker run whose workers restored their backups at different points.

    Each worker of a multi-worker run restores its own backup (`keras.callbacks.BackupAndRestore`
    in a folder of its own, see `core.training.fit.standard_callbacks`). A kill that lands after
    some workers saved an epoch's backup and before the others did leaves backups one epoch
    apart; resumed from them, the workers would hold different weights and run different
    numbers of epochs (a silent divergence, then a hang). At the start of `fit` this callback
    gathers every replica's restored (epoch, batch) from its backup's `training_metadata.json`
    and raises `ValueError` on every worker when they differ. Outside a multi-worker strategy
    it does nothing. Put it after the `BackupAndRestore` callback it checks.

    Args:
        backup_dir: str or Path. This worker's `BackupAndRestore` folder.

    Example:
    ```python
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    callbacks = [keras.callbacks.BackupAndRestore("run/backup"), BackupAgreement("run/backup")]
    model.fit(x, y, epochs=2, callbacks=callbacks, verbose=0)   # one process: nothing to compare
    ```
    """

    def __init__(self, backup_dir):
        super().__init__()
        self.backup_dir = pathlib.Path(backup_dir)
        self.restored = None

    def restored_point(self):
        """(epoch, batch) the backup in `backup_dir` restores; (0, 0) when there is none."""
        path = self.backup_dir / "training_metadata.json"
        if not path.is_file():
            return 0, 0
        metadata = json.loads(path.read_text())
        return int(metadata.get("epoch", 0)), int(metadata.get("batch", 0))

    def on_train_begin(self, logs=None):
        strategy = self.model.distribute_strategy
        if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return
        local = tf.constant([self.restored_point()], dtype=tf.int64)
        per_replica = strategy.experimental_distribute_values_from_function(lambda context: local)
        self.restored = [tuple(int(v) for v in row) for row in strategy.gather(per_replica, axis=0).numpy()]
        if len(set(self.restored)) > 1:
            raise ValueError(
                "The workers of this multi-worker run restored their backups at different points (the run "
                "was killed while some workers were saving an epoch's backup and others had not yet): "
                "resumed, they would diverge. Copy the chief's backup folder (`OUTPUT/backup`) over every "
                "other worker's (`OUTPUT/worker-<index>/backup`) to resume from the chief's epoch, or delete "
                "them all to start again. Received: restored (epoch, batch) per replica="
                f"{self.restored}, this worker's backup_dir={str(self.backup_dir)!r}"
            )
