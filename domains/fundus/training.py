"""The training recipe of `DRClassifier` on `core.training.fit` (resumable, best epoch on validation).

The paper releases no training code (docs/papers.md §3: optimiser, schedule and augmentation are
unverified). The project's choice: AdamW (weight decay 1e-4), peak rate 1e-3 with a cosine
decay to 1 % over the run, cross-entropy on the 2 classes (or 5 grades), batch 16, the
augmentation of `preprocessing.AUGMENTATION` (flips, any rotation, +-10 % scale, mild colour
jitter), `best.keras` chosen on the validation loss.
"""

import pathlib

import keras

from core.optimizers import AdamW
from core.training import fit
from domains.fundus.data import dataset

DEFAULT_EPOCHS = 30
DEFAULT_BATCH_SIZE = 16
DEFAULT_LEARNING_RATE = 1e-3


def compile_dr_classifier(model, total_steps, learning_rate=DEFAULT_LEARNING_RATE):
    """AdamW (weight decay 1e-4) with a cosine decay over `total_steps`; cross-entropy; accuracy."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(int(total_steps), 1), alpha=0.01)
    model.compile(optimizer=AdamW(learning_rate=schedule, weight_decay=1e-4))
    return model


def train_dr_classifier(model, data, output_dir, epochs=DEFAULT_EPOCHS, batch_size=DEFAULT_BATCH_SIZE,
                        learning_rate=DEFAULT_LEARNING_RATE, steps_per_epoch=None, seed=0, verbose=0,
                        augmentation=None, compile=True):
    """Train a `DRClassifier`; it ends with the weights of its best validation epoch.

    Args:
        model: DRClassifier (built inside the strategy's scope if distributed).
        data: FundusData (`synthetic_data`, `load_fundus`).
        output_dir: str or Path. Gets `best.keras`, `final.keras`, `log.csv`, `backup/`.
        epochs: int. Defaults to 30.
        batch_size: int. Global batch size. Defaults to 16.
        learning_rate: float. Peak AdamW rate. Defaults to 1e-3.
        steps_per_epoch: int or None: None is one pass over the training split. Defaults to None.
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 0.
        augmentation: dict or None. Overrides of `preprocessing.AUGMENTATION`.
        compile: bool. Compile with `compile_dr_classifier` first. Defaults to True.

    Returns:
        keras.callbacks.History.
    """
    if len(data.train) == 0 or len(data.validation) == 0:
        raise ValueError(f"training needs images in the train and validation splits. Received: {data.summary()}")
    steps = steps_per_epoch or max(1, -(-len(data.train) // batch_size))
    if compile:
        compile_dr_classifier(model, epochs * steps, learning_rate)
    options = dict(size=model.image_size, batch_size=batch_size, num_classes=model.num_classes,
                   radius=model.graham_radius)
    train = dataset(data.train, training=True, seed=seed, augmentation=augmentation, **options)
    validation = dataset(data.validation, training=False, **options)
    return fit(model, train, epochs=epochs, output_dir=pathlib.Path(output_dir), validation_data=validation,
               steps_per_epoch=steps, seed=seed, verbose=verbose, restore_best=True)
