"""The FusionActNet recipe: experts first, then the fused model end to end (paper §3)."""

import pathlib

import keras
import numpy as np

from core.data import from_arrays
from core.optimizers import Adam
from core.training import fit

# The paper's recipe: the fused stage's epochs and the batch size (also the `har.*` tasks' defaults).
FUSION_EPOCHS = 60
BATCH_SIZE = 10
SCHEDULES = ("constant", "cosine")


@keras.saving.register_keras_serializable(package="resuite.har")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy on integer labels with label smoothing (Keras' sparse loss has none).

    The target is `(1 - smoothing)` on the true class plus `smoothing / classes` on every class.

    Args:
        smoothing: float in [0, 1). Defaults to 0 (plain cross-entropy).
        from_logits: bool. `y_pred` are logits (`True`) or probabilities. Defaults to `False`.
        name: str. Defaults to "smoothed_sparse_crossentropy".

    Example:
    ```python
    loss = SmoothedSparseCrossentropy(0.1)
    loss(np.array([0]), np.array([[0.9, 0.1]]))   # 0.9 * -log 0.9 + 0.05 * (-log 0.9 - log 0.1)
    ```
    """

    def __init__(self, smoothing=0.0, from_logits=False, name="smoothed_sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0 <= smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1). Received: label_smoothing={smoothing}")
        self.smoothing = float(smoothing)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        from keras import ops

        if self.from_logits:
            log_p = ops.log_softmax(y_pred, axis=-1)
        else:
            log_p = ops.log(ops.clip(y_pred, 1e-7, 1.0))
        classes = ops.shape(y_pred)[-1]
        target = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), classes)
        target = target * (1.0 - self.smoothing) + self.smoothing / ops.cast(classes, y_pred.dtype)
        return -ops.sum(target * log_p, axis=-1)

    def get_config(self):
        return {**super().get_config(), "smoothing": self.smoothing, "from_logits": self.from_logits}


def stage_rate(rate, schedule, epochs, steps_per_epoch):
    """An optimizer's rate: `rate`, or a cosine decay from it to 0 over `epochs` (`schedule="cosine"`).

    Args:
        rate: float. The (initial) learning rate.
        schedule: "constant" or "cosine" (`SCHEDULES`).
        epochs: int. The stage's epochs.
        steps_per_epoch: int. Batches per epoch.

    Returns:
        float, or a `keras.optimizers.schedules.CosineDecay`.

    Example:
    ```python
    keras.optimizers.Adam(stage_rate(1e-4, "cosine", epochs=10, steps_per_epoch=40))
    ```
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}. Received: schedule={schedule!r}")
    if schedule == "cosine" and epochs > 0:
        return keras.optimizers.schedules.CosineDecay(rate, decay_steps=max(1, epochs * steps_per_epoch))
    return rate


def train_stream(x, y, batch_size, seed, augmentation=None):
    """The shuffled training batches of `(x, y)`, each window changed by `augmentation` when it is on.

    Args:
        x: float array `(windows, time, channels)`.
        y: int array `(windows,)`.
        batch_size: int.
        seed: int. The shuffle's seed.
        augmentation: `domains.har.augment.Augmentation` or `None`. Defaults to `None`.

    Returns:
        A batched `tf.data.Dataset` (`core.data.from_arrays`).

    Example:
    ```python
    batches = train_stream(data.x_train, data.y_train, 32, seed=0, augmentation=Augmentation(scale=0.1))
    ```
    """
    augment = augmentation if augmentation is not None and augmentation.enabled else None
    return from_arrays(x, y, batch_size=batch_size, training=True, seed=seed, augment_fn=augment)


def _fit_expert(expert, x_train, y_train, x_val, y_val, epochs, batch_size, learning_rate, output_dir, seed, verbose,
                augmentation=None, label_smoothing=0.0, schedule="constant"):
    steps = -(-len(x_train) // batch_size)
    expert.compile(
        optimizer=Adam(stage_rate(learning_rate, schedule, epochs, steps)),
        loss=(SmoothedSparseCrossentropy(label_smoothing, from_logits=True) if label_smoothing
              else keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=False,
    )
    validation = from_arrays(x_val, y_val, batch_size=batch_size, training=False) if len(x_val) else None
    # Keep the weights of the best validation epoch (never chosen on the test set).
    fit(
        expert, train_stream(x_train, y_train, batch_size, seed, augmentation),
        epochs=epochs, output_dir=output_dir, validation_data=validation, seed=seed, verbose=verbose,
        restore_best=True,
    )


def train_fusionactnet(
    model,
    data,
    output_dir,
    expert_epochs=(50, 15),
    fusion_epochs=FUSION_EPOCHS,
    batch_size=BATCH_SIZE,
    expert_learning_rate=1e-4,
    fusion_learning_rate=1e-4,
    seed=0,
    verbose=0,
    augmentation=None,
    label_smoothing=0.0,
    schedule="constant",
):
    """Train a `FusionActNet` as the paper does: each expert on its group, then all of it.

    1. The static expert on the static windows (`expert_epochs[0]` epochs), the dynamic expert
       on the dynamic ones (`expert_epochs[1]`), each with Adam at `expert_learning_rate` and
       cross-entropy on its group's labels; the best epoch on the group's validation windows
       is kept. A one-class group has nothing to learn and is skipped.
    2. The fused model end to end (experts not frozen, as in the official code) for
       `fusion_epochs` with Adam at `fusion_learning_rate`; `best.keras` is chosen on the
       validation split, and `model` ends with its weights.

    The paper's rates are 1e-4 (experts) and 1e-6 (fusion, 60 epochs, on UCI HAR's 7,352
    windows). The fusion default here is 1e-4: the gate starts untrained, and on a small set
    such as BasicMotions (32 training windows) 1e-6 moves it too little to learn anything;
    pass `fusion_learning_rate=1e-6` for the paper's setting.

    Args:
        model: FusionActNet, built (and compiled later here) inside the strategy's scope.
        data: domains.har.data.HARData with train/val arrays.
        output_dir: str or Path. Gets `static_expert/`, `dynamic_expert/` and the fused run.
        expert_epochs: (static, dynamic) epochs. Defaults to (50, 15) as the paper.
        fusion_epochs: int. Defaults to 60.
        batch_size: int. Defaults to 10 as the paper.
        expert_learning_rate: float. Defaults to 1e-4.
        fusion_learning_rate: float. Defaults to 1e-4.
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 0.
        augmentation: `domains.har.augment.Augmentation` or `None`. Random changes of the training
            windows (both stages; never of validation). Defaults to `None`.
        label_smoothing: float in [0, 1). Both stages' cross-entropy (`SmoothedSparseCrossentropy`).
            Defaults to 0.
        schedule: "constant" or "cosine" (each stage's rate decays to 0 over its epochs).
            Defaults to "constant" (the paper's).

    Returns:
        keras.callbacks.History of the fused training.

    Example:
    ```python
    from domains.har import FusionActNet, load_har
    data = load_har("basicmotions")
    model = FusionActNet(data.num_channels, data.class_names, ["Standing"], window_length=data.window_length,
                         expert_filters=(16, 32, 64, 128, 128), gate_stem_filters=8, gate_stages=((16, 2), (32, 3)))
    history = train_fusionactnet(model, data, "runs/har", expert_epochs=(0, 2), fusion_epochs=2)
    ```
    """
    output_dir = pathlib.Path(output_dir)
    for group, expert, epochs in (
        ("static", model.static_expert, expert_epochs[0]),
        ("dynamic", model.dynamic_expert, expert_epochs[1]),
    ):
        indices = model.static_indices if group == "static" else model.dynamic_indices
        if expert is None or len(indices) < 2 or epochs == 0:
            continue
        train = np.isin(data.y_train, indices)
        val = np.isin(data.y_val, indices)
        _fit_expert(
            expert, data.x_train[train], model.group_labels(data.y_train[train], group),
            data.x_val[val], model.group_labels(data.y_val[val], group),
            epochs, batch_size, expert_learning_rate, output_dir / f"{group}_expert", seed, verbose,
            augmentation, label_smoothing, schedule,
        )
    steps = -(-len(data.x_train) // batch_size)
    model.compile(optimizer=Adam(stage_rate(fusion_learning_rate, schedule, fusion_epochs, steps)),
                  loss=SmoothedSparseCrossentropy(label_smoothing) if label_smoothing else "auto")
    validation = from_arrays(data.x_val, data.y_val, batch_size=batch_size, training=False) if len(data.x_val) else None
    return fit(
        model, train_stream(data.x_train, data.y_train, batch_size, seed, augmentation),
        epochs=fusion_epochs, output_dir=output_dir, validation_data=validation, seed=seed, verbose=verbose,
        restore_best=True,
    )
