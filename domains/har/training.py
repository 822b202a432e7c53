"""The FusionActNet recipe: experts first, then the fused model end to end (paper §3)."""

import pathlib

import keras
import numpy as np

from core.data import from_arrays
from core.training import fit

# The paper's recipe: the fused stage's epochs and the batch size (also the `har.*` tasks' defaults).
FUSION_EPOCHS = 60
BATCH_SIZE = 10


def _fit_expert(expert, x_train, y_train, x_val, y_val, epochs, batch_size, learning_rate, output_dir, seed, verbose):
    expert.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=False,
    )
    validation = from_arrays(x_val, y_val, batch_size=batch_size, training=False) if len(x_val) else None
    # Keep the weights of the best validation epoch (never chosen on the test set).
    fit(
        expert, from_arrays(x_train, y_train, batch_size=batch_size, training=True, seed=seed),
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
        )
    model.compile(optimizer=keras.optimizers.Adam(fusion_learning_rate))
    validation = from_arrays(data.x_val, data.y_val, batch_size=batch_size, training=False) if len(data.x_val) else None
    return fit(
        model, from_arrays(data.x_train, data.y_train, batch_size=batch_size, training=True, seed=seed),
        epochs=fusion_epochs, output_dir=output_dir, validation_data=validation, seed=seed, verbose=verbose,
        restore_best=True,
    )
