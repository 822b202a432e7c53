"""The training recipe of `AramaicClassifier`: `model.fit` on the endless synthetic stream, then calibration.

Every training batch is new: `AramaicSynth` renders it inside `tf.data` (in parallel threads,
overlapping the training step), so there is no fixed training set to over-fit; an "epoch" is
`steps_per_epoch` batches. The paper trains on 250,000 images and validates on 25,000 (its
optimiser and epochs are not given): the defaults here, 40 × 200 × 64 = 512,000 streamed images,
are the project's. AdamW with a cosine decay, cross-entropy with label smoothing 0.1.
`best.keras` is the epoch with the best validation accuracy (`core.training.fit`: resumable,
`log.csv`, `final.keras`); the temperature and the "illegible" threshold are then fitted on the
same validation set, never on the test set, and the calibrated model is saved as `calibrated.keras`.
"""

import pathlib

import keras

from core.api import export
from core.optimizers import AdamW
from core.training import StepCounter, TimeBudget, fit

DEFAULT_EPOCHS = 40
DEFAULT_STEPS_PER_EPOCH = 200
DEFAULT_BATCH_SIZE = 64
DEFAULT_LEARNING_RATE = 2e-3
LABEL_SMOOTHING = 0.1


def compile_aramaic_classifier(model, total_steps, learning_rate=DEFAULT_LEARNING_RATE):
    """AdamW (weight decay 1e-4), cosine decay over `total_steps`, smoothed cross-entropy, accuracy and top-3."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(int(total_steps), 1), alpha=0.01)
    # Label smoothing needs one-hot targets: the sparse loss has none, so the classes are one-hot encoded in the loss.
    model.compile(
        optimizer=AdamW(learning_rate=schedule, weight_decay=1e-4),
        loss=SmoothedSparseCrossEntropy(LABEL_SMOOTHING, model.num_classes),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                 keras.metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")],
    )
    return model


@export
class SmoothedSparseCrossEntropy(keras.losses.Loss):
    """Categorical cross-entropy from logits with label smoothing, on integer labels.

    Args:
        label_smoothing: float in [0, 1). Defaults to 0.1.
        num_classes: int. Defaults to 23.

    Example:
    ```python
    loss = SmoothedSparseCrossEntropy(0.1, 3)
    loss(np.array([0, 2]), np.array([[5.0, 0.0, 0.0], [0.0, 0.0, 5.0]]))
    ```
    """

    def __init__(self, label_smoothing=0.1, num_classes=23, name="smoothed_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)
        self.num_classes = int(num_classes)

    def call(self, y_true, y_pred):
        labels = keras.ops.one_hot(keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32"), self.num_classes)
        return keras.losses.categorical_crossentropy(labels, y_pred, from_logits=True,
                                                     label_smoothing=self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing, "num_classes": self.num_classes}


def train_aramaic_classifier(model, splits, output_dir, epochs=DEFAULT_EPOCHS, steps_per_epoch=DEFAULT_STEPS_PER_EPOCH,
                             learning_rate=DEFAULT_LEARNING_RATE, target_accuracy=0.99, time_budget=None, seed=0,
                             verbose=0, compile=True):
    """Train on the synthetic stream, keep the best validation epoch, then calibrate on validation.

    Args:
        model: AramaicClassifier (built inside the strategy's scope if distributed).
        splits: `domains.aramaic.data.SyntheticSplits` (its images must match `model.image_size`).
        output_dir: str or Path.
        epochs: int. Defaults to 40.
        steps_per_epoch: int. Batches per epoch. Defaults to 200.
        learning_rate: float. Peak AdamW rate. Defaults to 2e-3.
        target_accuracy: float. Validation accuracy of the answered letters that sets the
            "illegible" threshold. Defaults to 0.99.
        time_budget: float or None. Stop training after this many seconds (then validate,
            keep the best epoch and calibrate as usual). Defaults to None.
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 0.
        compile: bool. Compile with `compile_aramaic_classifier` first. Defaults to True.

    Returns:
        dict: "history" (per-epoch logs of this call), "steps" (of the whole run, every leg of a
        resumed one), "train_seconds" and "images_per_second" (this call's) and the calibration
        (`AramaicClassifier.calibrate`).
    """
    val_images, val_labels = splits.val[0], splits.val[1]
    if val_images.shape[1] != model.image_size:
        raise ValueError(f"The data's images are {val_images.shape[1]} px but the model expects {model.image_size} px: "
                         f"make the splits with image_size={model.image_size}")
    output_dir = pathlib.Path(output_dir)
    if compile:
        compile_aramaic_classifier(model, epochs * steps_per_epoch, learning_rate)
    counter = StepCounter()
    history = fit(model, splits.train, epochs=epochs, output_dir=output_dir, validation_data=(val_images, val_labels),
                  monitor="val_accuracy", mode="max", steps_per_epoch=steps_per_epoch, seed=seed, verbose=verbose,
                  validation_batch_size=128, restore_best=True, callbacks=[counter, TimeBudget(time_budget)])
    calibrated = model.calibrate(val_images, val_labels, target_accuracy)
    model.save(output_dir / "calibrated.keras")
    batch_size = int(splits.train.element_spec[0].shape[0])
    return {"history": history.history, "steps": counter.run_steps, "train_seconds": round(counter.seconds, 1),
            "images_per_second": round(counter.steps * batch_size / max(counter.seconds, 1e-9), 1),
            "calibration": calibrated}


def _jitter_photometry(images, labels):
    """Random brightness and contrast of real crops (the letters' shapes are left as photographed)."""
    import tensorflow as tf

    images = tf.image.random_brightness(images, 0.1)
    images = tf.image.random_contrast(images, 0.8, 1.2)
    return tf.clip_by_value(images, 0.0, 1.0), labels


def fine_tune_on_crops(model, train, val, output_dir, epochs=20, batch_size=32, learning_rate=2e-4,
                       target_accuracy=0.99, seed=0, verbose=0):
    """Fine-tune on real letter crops, keep the best validation epoch, then calibrate on validation.

    Args:
        model: AramaicClassifier (typically trained on the synthetic stream first).
        train: `(images, labels)` of real crops (`domains.aramaic.data.load_letter_folder`).
        val: `(images, labels)` of other real crops (never the test crops).
        output_dir: str or Path.
        epochs: int. Defaults to 20.
        batch_size: int. Defaults to 32.
        learning_rate: float. Peak AdamW rate (cosine decay). Defaults to 2e-4.
        target_accuracy: float. Sets the "illegible" threshold on validation. Defaults to 0.99.
        seed: int. Defaults to 0.
        verbose: int. Defaults to 0.

    Returns:
        dict like `train_aramaic_classifier`'s.
    """
    from core.data import from_arrays

    output_dir = pathlib.Path(output_dir)
    steps = max(1, -(-len(train[0]) // batch_size))
    compile_aramaic_classifier(model, epochs * steps, learning_rate)
    data = from_arrays(train[0], train[1], batch_size=batch_size, seed=seed, augment_fn=_jitter_photometry)
    counter = StepCounter()
    history = fit(model, data, epochs=epochs, output_dir=output_dir, validation_data=tuple(val), monitor="val_accuracy",
                  mode="max", seed=seed, verbose=verbose, restore_best=True, callbacks=[counter])
    calibrated = model.calibrate(val[0], val[1], target_accuracy)
    model.save(output_dir / "calibrated.keras")
    return {"history": history.history, "steps": counter.run_steps, "train_seconds": round(counter.seconds, 1),
            "images_per_second": round(counter.steps * batch_size / max(counter.seconds, 1e-9), 1),
            "calibration": calibrated}
