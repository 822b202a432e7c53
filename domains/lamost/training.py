"""RRNet's recipe (official `train.py`) on `core.training.fit`: Adam 5e-4, step decay, noise after epoch 5.

- Adam at 5e-4, the rate × 0.1 every 10 epochs (torch's StepLR(step 10, γ 0.1)), 30 epochs,
  batch 256; the best epoch on the validation loss (`best.keras`), never on the test set;
- from epoch 5 on (counting from 0, as the official loop), N(0, 1) noise is added to a random 25 %
  of the standardised pixels of each training spectrum (`SpectrumStandardization`);
- the per-pixel flux statistics and the label statistics come from the training set and are
  saved in the model.

Example:
```python
from domains.lamost import RRNet
from domains.lamost.synthetic import make_dataset
x, y, _ = make_dataset(64, seed=0)                      # SYNTHETIC spectra
model = RRNet(mode="raw", widths=(2, 4, 8), hidden_units=(16,))
train_rrnet(model, (x[:48], y[:48]), (x[48:], y[48:]), "runs/rrnet", epochs=1, batch_size=16)
```
"""

import pathlib

import keras

from core.data import from_arrays
from core.optimizers import Adam
from core.training import fit

DEFAULT_EPOCHS = 30
DEFAULT_BATCH_SIZE = 256
DEFAULT_LEARNING_RATE = 5e-4
DECAY_EVERY = 10
DECAY_FACTOR = 0.1
NOISE_FROM_EPOCH = 5


def step_decay(learning_rate, every=DECAY_EVERY, factor=DECAY_FACTOR):
    """The learning rate of each epoch (from 0): `learning_rate · factor ** (epoch // every)`."""
    return lambda epoch, _current=None: float(learning_rate * factor ** (epoch // every))


class NoiseFromEpoch(keras.callbacks.Callback):
    """Switch a model's noise augmentation on from epoch `start` (0-based) on; resumed runs too.

    Args:
        start: int. Defaults to 5 (the paper's).

    Example:
    ```python
    callback = NoiseFromEpoch(5)   # pass to fit(..., callbacks=[callback]) of an RRNet or StarNet
    ```
    """

    def __init__(self, start=NOISE_FROM_EPOCH):
        super().__init__()
        self.start = int(start)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.set_noise(epoch >= self.start)


def train_rrnet(model, train, validation, output_dir, epochs=DEFAULT_EPOCHS, batch_size=DEFAULT_BATCH_SIZE,
                learning_rate=DEFAULT_LEARNING_RATE, noise_from_epoch=NOISE_FROM_EPOCH, fit_statistics=True,
                seed=0, verbose=0, callbacks=()):
    """Train an RRNet or StarNet with the paper's recipe; it ends holding its best validation epoch.

    Args:
        model: RRNet or StarNet (built inside the strategy's scope if distributed).
        train: (x (n, 7200, 2), y (n, labels)) in the labels' units (x (n, 7200, 3) for a
            `noise_input` RRNet).
        validation: (x, y) for the best epoch.
        output_dir: str or Path. `best.keras`, `final.keras`, `log.csv`, `backup/` (resumable).
        epochs: int. Defaults to 30.
        batch_size: int. Defaults to 256.
        learning_rate: float. Adam's initial rate. Defaults to 5e-4.
        noise_from_epoch: int or None. First noisy epoch; None: no noise. Defaults to 5.
        fit_statistics: bool. Take the flux and label statistics from `train` (False when
            fine-tuning a trained model). Defaults to True.
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 0.
        callbacks: extra callbacks.

    Returns:
        keras.callbacks.History.
    """
    x, y = train
    channels = 3 if model.noise_input else 2
    if x.shape[1:] != (model.num_pixels, channels) or y.shape[1:] != (len(model.label_names),):
        raise ValueError(f"train must be x (n, {model.num_pixels}, {channels}) and y (n, {len(model.label_names)}) "
                         f"(3 channels, the noise σ last, for noise_input models). Received: x {x.shape}, y {y.shape}")
    if fit_statistics:
        model.set_flux_statistics(x[..., 0], x[..., 1] > 0)
        model.set_target_statistics(y)
    model.compile(optimizer=Adam(learning_rate))
    # Built now: left to the first step, its variables would make Keras trace the train step twice.
    model.optimizer.build(model.trainable_variables)
    train_data = from_arrays(x, model.standardize_targets(y), batch_size=batch_size, seed=seed)
    validation_data = (validation[0], model.standardize_targets(validation[1]))
    extra = [keras.callbacks.LearningRateScheduler(step_decay(learning_rate))]
    if noise_from_epoch is not None:
        extra.append(NoiseFromEpoch(noise_from_epoch))
    history = fit(model, train_data, epochs=epochs, output_dir=pathlib.Path(output_dir),
                  validation_data=validation_data, callbacks=extra + list(callbacks), seed=seed, verbose=verbose,
                  validation_batch_size=batch_size, restore_best=True)
    model.set_noise(False)  # the best epoch's weights may come with the switch on (it acts in training only)
    return history
