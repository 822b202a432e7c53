"""The APNet recipe on `core.training.fit`.

The official `config.json`: AdamW lr 2e-4, betas (0.8, 0.99), the rate times 0.999 after every
epoch (`ExponentialLR`, here a staircase schedule of `steps_per_epoch`), batch 16, segments of
100 hops (8000 samples at 16 kHz), seed 1234; discriminators updated first. `train_apnet`
writes `best.keras` (chosen on the validation mel L1, `val_generator_mel`), `final.keras`,
`log.csv`, `backup/` (a killed run started again resumes), and `generator.keras`, the best
generator alone. `overfit_generator` fits the generator alone to a few whole utterances (the
evidence that the pipeline can learn; `scripts/speech_overfit.py`).

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

from core.optimizers import Adam
from core.training import StepCounter, TimeBudget, fit
from domains.speech.data import segment_dataset
from domains.speech.model import default_optimizer

__all__ = ["EPOCHS", "LR_DECAY", "PAPER_BATCH_SIZE", "RECIPES", "STEPS_PER_EPOCH", "overfit_generator",
           "overfit_schedule", "score_utterances", "train_apnet"]

PAPER_BATCH_SIZE = 16
LR_DECAY = 0.999  # per epoch
EPOCHS = 10  # the default budget of `speech.apnet`: a short run, far below the paper's
STEPS_PER_EPOCH = 200


RECIPES = ("paper", "spectral")
# The generator-only recipe's schedule: constant, then a cosine decay over this last fraction of the steps.
SPECTRAL_DECAY_FRACTION = 0.2


def train_apnet(model, train_waveforms, val_segments, output_dir, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH,
                batch_size=PAPER_BATCH_SIZE, learning_rate=2e-4, seconds=None, seed=0, verbose=1, callbacks=(),
                recipe="paper"):
    """Compile `model` for a recipe and train it with `core.training.fit`.

    `recipe="paper"`: the GAN, both networks on AdamW (betas 0.8, 0.99), the rate times 0.999 per
    epoch. `recipe="spectral"`: the generator alone on the paper's non-adversarial losses
    (`APNet.spectral_losses`, `compile(adversarial=False)`), Adam (betas 0.8, 0.99) at a constant
    rate, then a cosine decay to 1 % over the last `SPECTRAL_DECAY_FRACTION` of the
    `epochs * steps_per_epoch` steps (`overfit_schedule`): what `overfit_generator` showed to
    learn the phase within minutes on this CPU; no discriminator is run.

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
        recipe: "paper" or "spectral" (see above). Defaults to "paper".

    Returns:
        dict: `history` (the logs) and `seconds` of this call, `steps` of the whole run (every leg of a
        resumed one, `StepCounter.run_steps`), `segments_per_second` (this call's), `best_epoch`, `best_val_mel`,
        `generator` (path of the best generator alone).

    Raises:
        ValueError: an unknown `recipe`.
    """
    output_dir = pathlib.Path(output_dir)
    config = model.feature_config
    if recipe == "paper":
        schedule = keras.optimizers.schedules.ExponentialDecay(learning_rate, steps_per_epoch, LR_DECAY, staircase=True)
        model.compile(default_optimizer(schedule), default_optimizer(schedule))
    elif recipe == "spectral":
        schedule = overfit_schedule(learning_rate, epochs * steps_per_epoch, SPECTRAL_DECAY_FRACTION)
        model.compile(Adam(schedule, beta_1=0.8, beta_2=0.99), default_optimizer(),
                      adversarial=False)
    else:
        raise ValueError(f"recipe must be one of {RECIPES}. Received: recipe={recipe!r}")
    train = segment_dataset(train_waveforms, config.segment_length, batch_size, seed=seed)
    validation = tf.data.Dataset.from_tensor_slices(np.asarray(val_segments, "float32")).batch(batch_size)
    counter = StepCounter()
    history = fit(model, train, epochs, output_dir, validation_data=validation, monitor="val_generator_mel",
                  mode="min", seed=seed, verbose=verbose, steps_per_epoch=steps_per_epoch,
                  callbacks=[counter, TimeBudget(seconds), *callbacks], restore_best=True)
    seconds = counter.seconds
    generator_path = output_dir / "generator.keras"
    model.generator.save(generator_path)
    values = history.history.get("val_generator_mel", [])
    best = int(np.argmin(values)) if values else None
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()}, "seconds": seconds,
            "steps": counter.run_steps, "segments_per_second": counter.steps * batch_size / max(seconds, 1e-9),
            "best_epoch": None if best is None else best + 1,
            "best_val_mel": None if best is None else float(values[best]), "generator": str(generator_path)}


def overfit_schedule(learning_rate, steps, decay_fraction=0.0, floor=0.01):
    """The overfit's learning rate: constant, then a cosine decay to `floor` times it over the last steps.

    Args:
        learning_rate: float. The constant rate.
        steps: int. The step at which the decay ends (the fit's last step).
        decay_fraction: float in [0, 1). The fraction of `steps` at the end over which the rate
            decays; 0 keeps it constant. Defaults to 0.
        floor: float. The final rate relative to `learning_rate`. Defaults to 0.01.

    Returns:
        a `keras.optimizers.schedules.LearningRateSchedule` of the optimizer's iteration count.

    Raises:
        ValueError: `decay_fraction` outside [0, 1).

    Example:
    ```python
    schedule = overfit_schedule(1e-3, 1000, decay_fraction=0.25)
    [round(float(schedule(s)), 6) for s in (0, 750, 1000)]   # [0.001, 0.001, 1e-05]
    ```
    """
    if not 0.0 <= decay_fraction < 1.0:
        raise ValueError(f"overfit_schedule: decay_fraction must be in [0, 1). Received: decay_fraction={decay_fraction}")
    return _ConstantThenCosine(float(learning_rate), int(steps), float(decay_fraction), float(floor))


@keras.saving.register_keras_serializable(package="resuite.speech")
class _ConstantThenCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, learning_rate, steps, decay_fraction, floor):
        self.learning_rate, self.steps, self.decay_fraction, self.floor = learning_rate, steps, decay_fraction, floor

    def __call__(self, step):
        if self.decay_fraction == 0.0:
            return keras.ops.convert_to_tensor(self.learning_rate, "float32")
        start = self.steps * (1.0 - self.decay_fraction)
        t = keras.ops.clip((keras.ops.cast(step, "float32") - start) / (self.steps - start), 0.0, 1.0)
        cosine = 0.5 * (1.0 + keras.ops.cos(np.pi * t))
        return self.learning_rate * (self.floor + (1.0 - self.floor) * cosine)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "steps": self.steps, "decay_fraction": self.decay_fraction,
                "floor": self.floor}


def score_utterances(model, waveforms, metrics=True):
    """Vocode whole utterances from their mel and score them: the means of `evaluation.compare` and the level.

    Args:
        model: APNet.
        waveforms: list of float32 arrays (any lengths) at the model's rate, or an array `(n, samples)`.
        metrics: bool. Every metric of `compare` (PESQ, STOI, F0 RMSE, V/UV, LSD, ...: seconds per
            utterance), or the level alone. Defaults to True.

    Returns:
        dict: `level_db` (the output's level minus the input's, dB, averaged over the utterances) and,
        with `metrics`, the mean (NaNs left out) of each of `compare`'s metrics.

    Example:
    ```python
    model = build_model("8k", channels=8)
    score_utterances(model, [np.random.default_rng(0).normal(0, 0.1, 8000).astype("float32")])["level_db"]
    ```
    """
    from domains.speech.evaluation import compare, level_difference_db

    config = model.feature_config
    rows = []
    for waveform in waveforms:
        waveform = np.asarray(waveform, "float32")[: len(waveform) // config.hop_length * config.hop_length]
        generated = np.asarray(model.generator(model.mel(waveform[None]), training=False)["waveform"])[0]
        rows.append(compare(waveform, generated, config) if metrics
                    else {"level_db": level_difference_db(waveform, generated)})
    return {key: float(np.nanmean([row[key] for row in rows])) for key in rows[0]}


def overfit_generator(model, waveforms, steps, learning_rate=1e-3, log_every=100, seconds=None, metrics=True,
                      verbose=True, decay_fraction=0.0, first_step=0, on_score=None):
    """Fit `model.generator` alone to `waveforms` `(n, samples)` with `APNet.spectral_losses`; score as it goes.

    Every step is one Adam update (betas 0.8, 0.99) on the whole utterances, at a constant rate
    that decays over the last `decay_fraction` of the steps (`overfit_schedule`); every
    `log_every` steps (and at the first and the last) the same utterances are vocoded and
    compared with `evaluation.compare` (PESQ, STOI, F0 RMSE, V/UV, LSD, ...), beside `level_db`:
    the output's level minus the input's.

    Args:
        model: APNet. Its generator is trained in place.
        waveforms: float32 array `(n, samples)` at the model's rate (cut to a multiple of the hop).
        steps: int. The last step (counted from 0, including `first_step` steps done before).
        learning_rate: float. Defaults to 1e-3.
        log_every: int. Defaults to 100.
        seconds: float or None. Wall-time cap of this call. Defaults to None.
        metrics: bool. Score with `compare` (PESQ, F0, ...: seconds per row) or give only the
            losses and the level. Defaults to True.
        verbose: bool. Print each scored row. Defaults to True.
        decay_fraction: float. See `overfit_schedule`. Defaults to 0 (a constant rate).
        first_step: int. Steps already done (a resumed fit: the schedule and the step numbers
            continue from there; Adam's moments start afresh). Defaults to 0.
        on_score: callable or None. Called with each scored row as it comes (to save progress).
            Defaults to None.

    Returns:
        list of dict: one row per scoring: `step`, `seconds`, `learning_rate`, the mean of each
        spectral loss, the mean over the utterances of `compare`'s metrics (with `metrics`), and
        `level_db`.

    Raises:
        ValueError: `first_step` not below `steps`.

    Example:
    ```python
    # example: not run (minutes: see scripts/speech_overfit.py)
    model = build_model("8k", channels=64)
    curve = overfit_generator(model, utterances, steps=2000)
    curve[-1]["pesq"], curve[-1]["f0_rmse_hz"], curve[-1]["level_db"]
    ```
    """
    import time

    config = model.feature_config
    hop = config.hop_length
    waveforms = np.asarray(waveforms, "float32")
    waveforms = waveforms[:, : waveforms.shape[1] // hop * hop]
    mel = model.mel(waveforms)
    target = tf.constant(waveforms)
    generator = model.generator
    if not 0 <= first_step < steps:
        raise ValueError(f"overfit_generator: first_step must be in [0, steps={steps}). Received: first_step={first_step}")
    schedule = overfit_schedule(learning_rate, steps, decay_fraction)
    optimizer = Adam(schedule, beta_1=0.8, beta_2=0.99)
    optimizer.build(generator.trainable_weights)
    optimizer.iterations.assign(first_step)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            terms = model.spectral_losses(target, generator(mel, training=True))
            loss = tf.reduce_mean(terms["loss"])
        optimizer.apply_gradients(zip(tape.gradient(loss, generator.trainable_weights), generator.trainable_weights))
        return {k: tf.reduce_mean(v) for k, v in terms.items()}

    def score(done, elapsed, terms):
        row = {"step": done, "seconds": round(elapsed, 1), "learning_rate": float(schedule(done - 1)),
               **{k: float(v) for k, v in terms.items()},
               **score_utterances(model, waveforms, metrics=metrics)}
        if verbose and metrics:
            print(f"step {done:6d} {elapsed:7.0f} s  loss {row['loss']:.3f} amp {row['amplitude']:.3f} "
                  f"IP {row['instantaneous_phase']:.3f} GD {row['group_delay']:.3f} "
                  f"IAF {row['instantaneous_frequency']:.3f} mel {row['mel']:.3f} | PESQ {row['pesq']:.2f} "
                  f"STOI {row['stoi']:.3f} F0 {row['f0_rmse_hz']:.1f} Hz V/UV {row['vuv_error']:.3f} "
                  f"LSD {row['lsd_db']:.2f} level {row['level_db']:+.2f} dB", flush=True)
        return row

    curve, start = [], time.perf_counter()
    for done in range(first_step + 1, steps + 1):
        terms = step()
        elapsed = time.perf_counter() - start
        last = done == steps or (seconds is not None and elapsed > seconds)
        if done % log_every == 0 or last or done == 1:
            curve.append(score(done, elapsed, terms))
            if on_score is not None:
                on_score(curve[-1])
        if last:
            break
    return curve
