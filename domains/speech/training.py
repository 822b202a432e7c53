"""The APNet recipe on `core.training.fit`.

The official `config.json`: AdamW lr 2e-4, betas (0.8, 0.99), the rate times 0.999 after every
epoch (`ExponentialLR`, here a staircase schedule of `steps_per_epoch`), batch 16, segments of
100 hops (8000 samples at 16 kHz), seed 1234; discriminators updated first. `train_apnet`
writes `best.keras` (chosen on the validation mel L1, `val_generator_mel`), `final.keras`,
`log.csv`, `backup/` (a killed run started again resumes), and `generator.keras`, the best
generator alone.

Example:
```python
# example: not run (trains for minutes)
model = APNet(feature_config="8k")
train_apnet(model, train_waveforms, val_segments, "runs/apnet", epochs=10, steps_per_epoch=200)
```
"""

import pathlib

import keras
import numpy as np
import tensorflow as tf

from core.training import StepCounter, TimeBudget, fit
from domains.speech.data import segment_dataset
from domains.speech.model import default_optimizer

__all__ = ["EPOCHS", "LR_DECAY", "PAPER_BATCH_SIZE", "STEPS_PER_EPOCH", "train_apnet"]

PAPER_BATCH_SIZE = 16
LR_DECAY = 0.999  # per epoch
EPOCHS = 10  # the default budget of `speech.apnet`: a short run, far below the paper's
STEPS_PER_EPOCH = 200


def train_apnet(model, train_waveforms, val_segments, output_dir, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH,
                batch_size=PAPER_BATCH_SIZE, learning_rate=2e-4, seconds=None, seed=0, verbose=1, callbacks=()):
    """Compile `model` with the paper's optimizers and train it with `core.training.fit`.

    Build `model` inside the strategy's scope and call this inside it too.

    Args:
        model: APNet.
        train_waveforms: list of float32 arrays at the model's sample rate.
        val_segments: float32 array `(n, segment_length)`: validation batches, fixed.
        output_dir: str or Path.
        epochs: int. Total epochs (a resumed run stops there). Defaults to 10.
        steps_per_epoch: int. Defaults to 200.
        batch_size: int. Global batch. Defaults to 16 (the paper's).
        learning_rate: float. Initial AdamW rate of both networks. Defaults to 2e-4.
        seconds: float or None. Wall-time budget (`core.training.TimeBudget`). Defaults to None.
        seed: int. Defaults to 0.
        verbose: int. Defaults to 1.
        callbacks: extra Keras callbacks.

    Returns:
        dict: `history` (the logs), `seconds` and `steps` (of this run), `segments_per_second`, `best_epoch`,
        `best_val_mel`, `generator` (path of the best generator alone).
    """
    output_dir = pathlib.Path(output_dir)
    config = model.feature_config
    schedule = keras.optimizers.schedules.ExponentialDecay(learning_rate, steps_per_epoch, LR_DECAY, staircase=True)
    model.compile(default_optimizer(schedule), default_optimizer(schedule))
    train = segment_dataset(train_waveforms, config.segment_length, batch_size, seed=seed)
    validation = tf.data.Dataset.from_tensor_slices(np.asarray(val_segments, "float32")).batch(batch_size)
    counter = StepCounter()
    history = fit(model, train, epochs, output_dir, validation_data=validation, monitor="val_generator_mel",
                  mode="min", seed=seed, verbose=verbose, steps_per_epoch=steps_per_epoch,
                  callbacks=[counter, TimeBudget(seconds), *callbacks], restore_best=True)
    seconds, steps = counter.seconds, counter.steps
    generator_path = output_dir / "generator.keras"
    model.generator.save(generator_path)
    values = history.history.get("val_generator_mel", [])
    best = int(np.argmin(values)) if values else None
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()}, "seconds": seconds,
            "steps": steps, "segments_per_second": steps * batch_size / max(seconds, 1e-9),
            "best_epoch": None if best is None else best + 1,
            "best_val_mel": None if best is None else float(values[best]), "generator": str(generator_path)}
