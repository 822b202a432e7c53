"""`fit` with the standard callbacks: best checkpoint, resumable backup, NaN guard, logs."""

import csv
import math
import os
import pathlib

import keras
import tensorflow as tf

from core.training.callbacks import BackupAgreement
from core.training.strategy import worker_name


def set_seed(seed, deterministic=False):
    """Seed Python, NumPy and TensorFlow; optionally make TF ops deterministic (slower).

    Args:
        seed: int. The seed.
        deterministic: bool. Also call `tf.config.experimental.enable_op_determinism()`.
            Defaults to False.

    Example:
    ```python
    set_seed(0)
    ```
    """
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def best_logged_value(log_path, monitor, mode="auto"):
    """The best `monitor` value recorded in a run's `log.csv`, or None.

    A resumed run's `best.keras` must only be replaced by an epoch better than every epoch
    before the kill, not merely better than those since the restart. The direction comes from
    `mode`; with `"auto"` it is known only for losses (minimised), otherwise None is returned.

    Args:
        log_path: str or Path of a `CSVLogger` file.
        monitor: str. The monitored column, e.g. "val_loss".
        mode: str. "auto", "min" or "max". Defaults to "auto".
    """
    if mode == "auto":
        mode = "min" if monitor.removeprefix("val_").endswith("loss") else None
    path = pathlib.Path(log_path)
    if mode not in ("min", "max") or not path.is_file():
        return None
    with open(path, newline="") as f:
        values = [float(row[monitor]) for row in csv.DictReader(f) if row.get(monitor) not in (None, "")]
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return None
    return min(values) if mode == "min" else max(values)


def worker_output_dir(output_dir):
    """Where this process writes a run's files: `output_dir`, or a folder of its own inside it.

    The chief of a multi-worker run (and a single process) writes into `output_dir`; every other
    worker into `output_dir/<type>-<index>` (e.g. `worker-1`, from `TF_CONFIG` or the SLURM
    task, `core.training.strategy.worker_name`): its backup, `log.csv`, `best.keras` and
    `final.keras`. The folder is the same on every launch, so after a kill each worker finds
    its own backup again and all resume from the same epoch; workers never write the same file.

    Args:
        output_dir: str or Path. Folder of the run.

    Returns:
        pathlib.Path.

    Example:
    ```python
    worker_output_dir("runs/har")   # Path("runs/har") here; Path("runs/har/worker-1") on worker 1
    ```
    """
    name = worker_name()
    return pathlib.Path(output_dir) if name is None else pathlib.Path(output_dir) / name


def standard_callbacks(
    output_dir,
    monitor="val_loss",
    mode="auto",
    checkpoint=True,
    backup=True,
    backup_save_freq="epoch",
    csv_log=True,
    tensorboard=False,
    terminate_on_nan=True,
):
    """The suite's callbacks, writing into `output_dir`.

    - `best.keras`: `ModelCheckpoint` of the best model by `monitor` (whole model, `.keras`);
      a resumed run keeps it unless an epoch beats the best one in `log.csv` (`best_logged_value`);
    - `backup/`: `BackupAndRestore`, so that a killed run started again with the same
      `output_dir` resumes from its last saved epoch (or step, with `backup_save_freq=N`);
    - `TerminateOnNaN`; `log.csv` (continued when a run resumes); optional `tensorboard/`.

    On a non-chief worker of a multi-worker run, all of these go to `output_dir/worker-<index>`
    (`worker_output_dir`): every worker writes and restores a backup of its own, the same
    folder on every launch, and `BackupAgreement` stops a resumed run whose workers restored
    different epochs.

    Args:
        output_dir: str or Path. Folder of the run.
        monitor: str. Quantity for the best checkpoint ("val_loss", "val_accuracy", ...).
            Defaults to "val_loss".
        mode: str. "auto", "min" or "max". Defaults to "auto".
        checkpoint: bool. Defaults to True.
        backup: bool. Defaults to True.
        backup_save_freq: "epoch" or int (batches). Defaults to "epoch".
        csv_log: bool. Defaults to True.
        tensorboard: bool. Defaults to False.
        terminate_on_nan: bool. Defaults to True.

    Returns:
        list of keras.callbacks.Callback.

    Example:
    ```python
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.rand(32, 4), np.random.rand(32, 1)
    model.fit(x, y, validation_split=0.25, epochs=2, verbose=0, callbacks=standard_callbacks("runs/exp1"))
    ```
    """
    output_dir = worker_output_dir(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    callbacks = []
    # Resuming: a backup of a killed run is there to be restored.
    resuming = backup and (output_dir / "backup").exists()
    if backup:
        callbacks.append(
            keras.callbacks.BackupAndRestore(str(output_dir / "backup"), save_freq=backup_save_freq)
        )
        callbacks.append(BackupAgreement(output_dir / "backup"))
    if terminate_on_nan:
        callbacks.append(keras.callbacks.TerminateOnNaN())
    if checkpoint:
        best_so_far = best_logged_value(output_dir / "log.csv", monitor, mode) if resuming and csv_log else None
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                str(output_dir / "best.keras"), monitor=monitor, mode=mode, save_best_only=True,
                initial_value_threshold=best_so_far,
            )
        )
    if csv_log:
        # Append only when resuming from a backup; a fresh run starts a fresh log.
        callbacks.append(keras.callbacks.CSVLogger(str(output_dir / "log.csv"), append=resuming))
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(output_dir / "tensorboard")))
    return callbacks


def fit(
    model,
    train_data,
    epochs,
    output_dir,
    validation_data=None,
    monitor=None,
    mode="auto",
    callbacks=(),
    seed=None,
    verbose="auto",
    tensorboard=False,
    backup_save_freq="epoch",
    restore_best=False,
    **fit_kwargs,
):
    """Train `model` with the standard callbacks and save `final.keras` in `output_dir`.

    Run it again with the same `output_dir` after a crash or a kill: training resumes
    from the backup and stops at `epochs` in total. In a multi-worker run every worker does
    so from its own backup in `output_dir` (`worker_output_dir`): start all workers again
    with the same command.

    Args:
        model: compiled keras.Model (built inside the strategy's scope if distributed).
        train_data: tf.data.Dataset (or anything `Model.fit` accepts).
        epochs: int. Total number of epochs.
        output_dir: str or Path. Folder for checkpoints, backup and logs.
        validation_data: optional validation data; the best checkpoint is chosen on it.
        monitor: str or None. Defaults to "val_loss" with validation data, "loss" without.
        mode: str. "auto", "min" or "max". Defaults to "auto".
        callbacks: extra callbacks.
        seed: int or None. Seeds everything first when given.
        verbose: "auto", 0, 1 (progress bar) or 2. Defaults to "auto".
        tensorboard: bool. Also write TensorBoard logs. Defaults to False.
        backup_save_freq: "epoch" or int (batches). Defaults to "epoch".
        restore_best: bool. After training (and after saving `final.keras`), give `model` the
            weights of `best.keras`, the epoch chosen on `monitor`. Defaults to False (the
            last epoch's weights, as `Model.fit`).
        **fit_kwargs: passed to `Model.fit` (e.g. `steps_per_epoch`, `class_weight`).

    Returns:
        keras.callbacks.History of this (possibly resumed) run.

    Example:
    ```python
    from core.data import from_arrays

    x, y = np.random.rand(64, 16, 3).astype("float32"), np.random.randint(0, 2, size=64)
    train_ds = from_arrays(x[:48], y[:48], batch_size=16, seed=0)
    val_ds = from_arrays(x[48:], y[48:], batch_size=16, training=False)
    model = keras.Sequential([keras.Input((16, 3)), keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = fit(model, train_ds, epochs=2, output_dir="runs/har", validation_data=val_ds, seed=0, verbose=0,
                  restore_best=True)   # model now holds the best validation epoch: runs/har/best.keras
    ```
    """
    if seed is not None:
        set_seed(seed)
    if monitor is None:
        monitor = "val_loss" if validation_data is not None else "loss"
    all_callbacks = standard_callbacks(
        output_dir, monitor=monitor, mode=mode, tensorboard=tensorboard, backup_save_freq=backup_save_freq
    ) + list(callbacks)
    checkpoint_dir = _checkpoint_dir(all_callbacks, output_dir)
    if isinstance(train_data, tf.data.Dataset):
        fit_kwargs.setdefault("shuffle", False)  # a Dataset shuffles itself (core.data.make_pipeline)
        _build_before_tracing(model, train_data)
    history = model.fit(
        train_data,
        validation_data=validation_data,
        epochs=epochs,
        callbacks=all_callbacks,
        verbose=verbose,
        **fit_kwargs,
    )
    # Every worker takes part in saving (it reads variables through collective ops); only the
    # chief writes to output_dir, the others to their own folder in it (worker_output_dir).
    model.save(os.path.join(worker_output_dir(output_dir), "final.keras"))
    if restore_best:
        restore_best_weights(model, checkpoint_dir)
    return history


def _build_before_tracing(model, dataset):
    """Create the model's, optimizer's, loss's and metrics' variables before `fit` traces its train step.

    With no distribution strategy, Keras creates them inside the first trace of the train step, and
    TensorFlow traces a function that created variables a second time: a first `fit` paid for its
    train step's tracing twice (FusionActNet, one epoch of a tiny model: 25 s, 10 s with this). Under
    a strategy Keras builds them first itself. It builds from the dataset's element spec (symbolic
    tensors: no batch is drawn, nothing of the data's order changes); a model it cannot build that way
    is left to Keras, as before.
    """
    build = getattr(model, "_symbolic_build", None)
    if build is None or getattr(model, "_distribute_strategy", None) is not None:
        return
    spec = dataset.element_spec
    batch = keras.tree.map_structure(lambda s: keras.KerasTensor(s.shape, s.dtype.name),
                                     spec if isinstance(spec, tuple) else (spec,))
    try:
        build(data_batch=batch)
    except (ValueError, TypeError, NotImplementedError):  # e.g. a model whose call the spec does not fit
        pass


def _checkpoint_dir(callbacks, default):
    """Where `ModelCheckpoint` writes (`output_dir/worker-<index>` on a non-chief worker)."""
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.ModelCheckpoint):
            return pathlib.Path(callback.filepath).parent
    return pathlib.Path(default)


def restore_best_weights(model, output_dir):
    """Load the weights of `output_dir/best.keras` into `model` (no-op when no epoch was saved).

    Args:
        model: the keras.Model that `fit` trained into `output_dir`.
        output_dir: str or Path of the run.
    """
    best = pathlib.Path(output_dir) / "best.keras"
    if best.exists():
        model.load_weights(best)
