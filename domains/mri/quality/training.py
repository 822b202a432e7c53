"""The training recipe of `SSIMRegressor`: motion simulated on the fly, best epoch on validation."""

import pathlib

import keras
import numpy as np
import tensorflow as tf

from core.optimizers import AdamW
from core.training import fit
from domains.mri.quality.data.augment import contrast_augment, intensity_remap
from domains.mri.quality.data.stream import training_dataset

DEFAULT_EPOCHS = 20
DEFAULT_STEPS_PER_EPOCH = 30
DEFAULT_BATCH_SIZE = 16
DEFAULT_LEARNING_RATE = 1e-3


def compile_ssim_regressor(model, total_steps, learning_rate=DEFAULT_LEARNING_RATE):
    """AdamW (weight decay 1e-4) with a cosine decay over `total_steps`, MSE loss, MAE metric."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(int(total_steps), 1), alpha=0.01)
    model.compile(optimizer=AdamW(learning_rate=schedule, weight_decay=1e-4))
    return model


def train_ssim_regressor(
    model,
    data,
    output_dir,
    epochs=DEFAULT_EPOCHS,
    steps_per_epoch=DEFAULT_STEPS_PER_EPOCH,
    batch_size=DEFAULT_BATCH_SIZE,
    learning_rate=DEFAULT_LEARNING_RATE,
    contrast_augmentation=None,
    seed=0,
    verbose=0,
    compile=True,
    remap_probability=0.0,
    callbacks=(),
    skull_probability=0.0,
):
    """Train an `SSIMRegressor` on freshly simulated motion; it ends with its best validation epoch.

    Every training batch is new: `training_dataset` corrupts the training slices with a new
    random motion (and, if enabled, a new random contrast) inside `tf.data`, in parallel with
    the training step. An "epoch" is `steps_per_epoch` batches. `best.keras` is chosen on the
    fixed validation set (`data.val_set`), never on the test set; `final.keras`, `log.csv` and a
    resumable `backup/` are written too (`core.training.fit`).

    Args:
        model: SSIMRegressor (built inside the strategy's scope if distributed).
        data: QualityData (`load_quality_data`).
        output_dir: str or Path.
        epochs: int. Defaults to 20.
        steps_per_epoch: int. Defaults to 30 (20 x 30 x 16 = 9,600 simulated slices).
        batch_size: int. Defaults to 16.
        learning_rate: float. Peak AdamW rate, cosine-decayed to 1 % over the run. Defaults to 1e-3.
        contrast_augmentation: bool or None. None follows `model.contrast_augmentation`.
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 0.
        compile: bool. Compile with `compile_ssim_regressor` first. Defaults to True.
        remap_probability: float in [0, 1]. Share of training slices remapped to another
            contrast (`intensity_remap`) before the contrast augmentation. Defaults to 0.
        callbacks: extra Keras callbacks (e.g. `evaluation.TestCurve`). Defaults to ().
        skull_probability: float in [0, 1]. Share of training slices drawn with a SYNTHETIC skull
            (`data.train_skull`; `load_quality_data(skull=True)`). When > 0 the validation set
            also holds the with-skull validation slices (`data.val_skull_set`). Defaults to 0.

    Returns:
        keras.callbacks.History.
    """
    if data.train.slice_size != model.slice_size:
        raise ValueError(
            f"The data's slices are {data.train.slice_size} x {data.train.slice_size} but the model expects "
            f"{model.slice_size} x {model.slice_size}: load the data with slice_size={model.slice_size}"
        )
    if contrast_augmentation is None:
        contrast_augmentation = model.contrast_augmentation
    if not 0.0 <= remap_probability <= 1.0:
        raise ValueError(f"remap_probability must be in [0, 1]. Received: remap_probability={remap_probability!r}")
    train = training_dataset(
        data.train, batch_size=batch_size, seed=seed,
        augment_fn=training_augmentation(contrast_augmentation, remap_probability),
        severity_range=tuple(data.config["severity_range"]), motion_kwargs=data.config["motion_kwargs"] or None,
        skull_slices=data.train_skull, skull_probability=skull_probability,
    )
    if compile:
        compile_ssim_regressor(model, epochs * steps_per_epoch, learning_rate)
    validation = (data.val_set.x, data.val_set.y)
    if skull_probability and data.val_skull_set is not None and len(data.val_skull_set):
        validation = tuple(np.concatenate([a, b]) for a, b in zip(validation, (data.val_skull_set.x, data.val_skull_set.y)))
    return fit(model, train, epochs=epochs, output_dir=pathlib.Path(output_dir), validation_data=validation,
               steps_per_epoch=steps_per_epoch, seed=seed, verbose=verbose, validation_batch_size=64,
               restore_best=True, callbacks=callbacks)


def training_augmentation(contrast_augmentation=True, remap_probability=0.0):
    """The augmentation `(images, seed) -> images` applied before the motion, or None for none.

    With probability `remap_probability` a slice is remapped to another contrast
    (`intensity_remap`), then, if `contrast_augmentation`, it gets `contrast_augment`.

    Args:
        contrast_augmentation: bool. Random gamma, contrast and intensity. Defaults to True.
        remap_probability: float in [0, 1]. Share of the slices remapped first. Defaults to 0.
    """
    if not contrast_augmentation and not remap_probability:
        return None
    if not remap_probability:  # contrast_augment on the element's own seed: the stream the axial presets saw
        return contrast_augment

    def augment(images, seed):
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)
        if remap_probability:
            images = intensity_remap(images, seeds[0], probability=remap_probability)
        return contrast_augment(images, seeds[1]) if contrast_augmentation else images

    return augment
