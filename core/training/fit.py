"""`fit` with the standard callbacks: best checkpoint, resumable backup, NaN guard, logs."""

import os
import pathlib
import tempfile

import keras
import tensorflow as tf

from core.training.strategy import is_chief


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
    - `backup/`: `BackupAndRestore`, so that a killed run started again with the same
      `output_dir` resumes from its last saved epoch (or step, with `backup_save_freq=N`);
    - `TerminateOnNaN`; `log.csv` (continued when a run resumes); optional `tensorboard/`.

    On a non-chief worker of a multi-worker run, files go to a temporary folder so that
    workers do not overwrite each other.

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
    model.fit(train, validation_data=val, epochs=30, callbacks=standard_callbacks("runs/exp1"))
    ```
    """
    output_dir = pathlib.Path(output_dir if is_chief() else tempfile.mkdtemp(prefix="resuite-worker-"))
    output_dir.mkdir(parents=True, exist_ok=True)
    callbacks = []
    if backup:
        callbacks.append(
            keras.callbacks.BackupAndRestore(str(output_dir / "backup"), save_freq=backup_save_freq)
        )
    if terminate_on_nan:
        callbacks.append(keras.callbacks.TerminateOnNaN())
    if checkpoint:
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                str(output_dir / "best.keras"), monitor=monitor, mode=mode, save_best_only=True
            )
        )
    if csv_log:
        # Append only when resuming from a backup; a fresh run starts a fresh log.
        resuming = backup and (output_dir / "backup").exists()
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
    **fit_kwargs,
):
    """Train `model` with the standard callbacks and save `final.keras` in `output_dir`.

    Run it again with the same `output_dir` after a crash or a kill: training resumes
    from the backup and stops at `epochs` in total.

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
        **fit_kwargs: passed to `Model.fit` (e.g. `steps_per_epoch`, `class_weight`).

    Returns:
        keras.callbacks.History of this (possibly resumed) run.

    Example:
    ```python
    history = fit(model, train_ds, epochs=20, output_dir="runs/har", validation_data=val_ds, seed=0)
    best = keras.saving.load_model("runs/har/best.keras")
    ```
    """
    if seed is not None:
        set_seed(seed)
    if monitor is None:
        monitor = "val_loss" if validation_data is not None else "loss"
    all_callbacks = standard_callbacks(
        output_dir, monitor=monitor, mode=mode, tensorboard=tensorboard, backup_save_freq=backup_save_freq
    ) + list(callbacks)
    if isinstance(train_data, tf.data.Dataset):
        fit_kwargs.setdefault("shuffle", False)  # a Dataset shuffles itself (core.data.make_pipeline)
    history = model.fit(
        train_data,
        validation_data=validation_data,
        epochs=epochs,
        callbacks=all_callbacks,
        verbose=verbose,
        **fit_kwargs,
    )
    if is_chief():
        model.save(os.path.join(output_dir, "final.keras"))
    return history
