"""The DISGAN recipe: data splits, an optional L1 warm-up of the generator, then the GAN.

- `template_split`: one volume (the MNI152 template) with a held-out slab: the test slab is the
  top `thickness` axial slices of the brain; the validation patches come from the slab just
  below it; training patches lie entirely below the validation slab, so no training patch
  overlaps either.
- `folder_split`: many volumes (an HCP tree or a folder); whole volumes are held out for
  validation.
- `train_disgan`: (1) optionally `pretrain_epochs` of L1-only training of the generator (the
  PSNR-oriented warm-up of ESRGAN, which DISGAN's code base inherits from; not in DISGAN's
  config — used here because the CPU budget allows only a short GAN phase), then (2) the GAN
  with the paper's losses and instance-noise schedule. Both phases use `core.training.fit`
  (best/backup/CSV callbacks); the best GAN checkpoint is chosen on the validation L1.
"""

import dataclasses
import json
import math
import pathlib
import time

import keras
import numpy as np

from core.optimizers import Adam
from core.training import StepCounter, TimeBudget, fit
from domains.mri.disgan.data import (
    PatchSampler,
    find_volumes,
    holdout_slab,
    load_training_volume,
    resolve_mix,
    split_volumes,
    training_pipeline,
    validation_pipeline,
)
from domains.mri.disgan.model import DISGAN, InstanceNoiseSchedule


@dataclasses.dataclass
class DataSplit:
    """What training needs: a patch sampler, fixed validation patches and test volumes.

    Attributes:
        sampler: PatchSampler of the training patches.
        val_patches: float32 (n, p, p, p, 1) validation HR patches.
        test: list of (path, region) to evaluate on: `region` is 3 slices (or None for the
            whole volume) on the HR grid.
        description: dict describing the split (printed and saved in reports).
    """

    sampler: PatchSampler
    val_patches: np.ndarray
    test: list
    description: dict


def template_split(path, patch_size=32, thickness=32, min_foreground=0.2, val_patches=8, seed=0):
    """Split one volume into training / validation / test slabs along the axial axis.

    Test: the top `thickness` axial slices of the brain (`holdout_slab`). Validation: the
    `patch_size` slices below it. Training: patches entirely below the validation slab.
    """
    volume = load_training_volume(path)
    test_start, test_stop = holdout_slab(volume.mask, thickness)
    val_start = test_start - patch_size
    if val_start - patch_size < 0:
        raise ValueError(
            f"{path}: too few slices below the held-out slab [{test_start}, {test_stop}) for validation and "
            f"training patches of {patch_size}"
        )
    full_x, full_y = (0, volume.volume.shape[0]), (0, volume.volume.shape[1])
    sampler = PatchSampler([volume], patch_size, min_foreground, regions=[[full_x, full_y, (0, val_start)]], seed=seed)
    val_sampler = PatchSampler([volume], patch_size, min_foreground, regions=[[full_x, full_y, (val_start, test_start)]],
                               seed=seed + 1)
    val, _ = val_sampler.fixed(val_patches)
    region = _axial_slab(test_start, test_stop)
    description = {
        "volume": str(path), "shape": list(volume.volume.shape),
        "train_axial_slices": [0, val_start], "validation_axial_slices": [val_start, test_start],
        "test_axial_slices": [test_start, test_stop], "patch_size": patch_size,
        "train_patch_corners": int(len(sampler.corners[0])), "min_foreground": min_foreground,
    }
    return DataSplit(sampler, val, [(str(path), region)], description)


def _axial_slab(start, stop):
    return (slice(None), slice(None), slice(start, stop))


def template_test(path, thickness=32):
    """The test part of `template_split` alone: the top `thickness` axial slices of the brain.

    What evaluation needs, without sampling training and validation patches.

    Args:
        path: str or Path of the volume (e.g. the MNI152 template).
        thickness: int. Held-out axial slices. Defaults to `32`.

    Returns:
        list of one (path, region): `region` is 3 slices on the HR grid, as `template_split(...).test`.

    Example:
    ```python
    from core.data import samples
    template_test(samples.fetch("mri.mni152_1mm"))   # [(".../mni_icbm152_...nii.gz", (:, :, 124:156))]
    ```
    """
    start, stop = holdout_slab(load_training_volume(path).mask, thickness)
    return [(str(path), _axial_slab(start, stop))]


def folder_split(root, patch_size=64, min_foreground=0.2, val_fraction=0.1, val_patches=16, seed=0, pattern=None):
    """Whole volumes of a folder (HCP tree or flat) split into training and validation volumes."""
    train_paths, val_paths = split_volumes(find_volumes(root, pattern), val_fraction, source=root)
    sampler = PatchSampler([load_training_volume(p) for p in train_paths], patch_size, min_foreground, seed=seed)
    val_sampler = PatchSampler([load_training_volume(p) for p in val_paths], patch_size, min_foreground, seed=seed + 1)
    val, _ = val_sampler.fixed(val_patches)
    description = {"root": str(root), "train_volumes": [str(p) for p in train_paths],
                   "validation_volumes": [str(p) for p in val_paths], "patch_size": patch_size}
    return DataSplit(sampler, val, [(str(p), None) for p in val_paths], description)


class CosineToBudget(keras.callbacks.Callback):
    """Cosine decay of the optimizer's rate to `alpha` of it over the planned steps or the time budget.

    Whichever ends first sets the progress: `max(iterations / steps, elapsed / seconds)`. A
    step-based cosine planned for an uncontended CPU would stop, under a wall-time budget on a
    shared machine, with its rate still near the peak; this one reaches its floor either way.
    After a resume, the optimizer's restored iterations carry the step progress on.

    Args:
        initial: float. The peak rate.
        steps: int. Planned steps.
        seconds: float or None. Wall-time budget (None: steps only).
        alpha: float. Floor as a fraction of `initial`. Defaults to `0.05`.

    Example:
    ```python
    model.compile(optimizer=keras.optimizers.Adam(3e-4), loss="mae")
    model.fit(data, epochs=60, steps_per_epoch=150, callbacks=[CosineToBudget(3e-4, 9000, seconds=3600)])
    ```
    """

    def __init__(self, initial, steps, seconds=None, alpha=0.05):
        super().__init__()
        self.initial, self.steps, self.seconds, self.alpha = float(initial), int(steps), seconds, float(alpha)

    def rate(self, iterations, elapsed):
        progress = iterations / max(self.steps, 1)
        if self.seconds:
            progress = max(progress, elapsed / self.seconds)
        progress = min(1.0, progress)
        return self.initial * (self.alpha + (1.0 - self.alpha) * 0.5 * (1.0 + math.cos(math.pi * progress)))

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        iterations = int(self.model.optimizer.iterations.numpy())
        self.model.optimizer.learning_rate.assign(self.rate(iterations, time.perf_counter() - self.start))


def _best_epoch(history, key):
    """The epoch (1-based, of this call) whose checkpoint `best.keras` holds, and its validation L1."""
    values = history.history.get(key, [])
    if not values:
        return {"best_epoch": None, "best_val_l1": None}
    best = int(np.argmin(values))
    return {"best_epoch": best + 1, "best_val_l1": float(values[best])}


def train_disgan(
    generator,
    discriminator,
    feature_extractor,
    split,
    output_dir,
    epochs=20,
    steps_per_epoch=100,
    pretrain_epochs=0,
    pretrain_steps_per_epoch=None,
    batch_size=4,
    learning_rate=1e-4,
    discriminator_learning_rate=None,
    pretrain_learning_rate=2e-4,
    pretrain_decay=True,
    degradation="nearest",
    noise_sigma=0.0,
    degradation_mix=None,
    pretrain_seconds=None,
    gan_seconds=None,
    seed=0,
    verbose=1,
):
    """Train DISGAN: optional L1 warm-up of the generator, then the GAN (paper's losses).

    Build the networks inside the strategy's scope before calling this (it compiles them, so
    call it inside the scope too).

    Args:
        generator, discriminator, feature_extractor: the networks (`feature_extractor` may be None).
        split: DataSplit.
        output_dir: str or Path. Gets `pretrain/` (warm-up run), the GAN run's `best.keras`,
            `final.keras`, `log.csv`, `backup/`, and `generator.keras` (the best generator alone).
            Called again with the same folder after a kill, it resumes where the run stopped: in
            the warm-up from its backup, or in the GAN phase without repeating the warm-up.
        epochs: int. GAN epochs (the instance noise decays over them). Defaults to `20`.
        steps_per_epoch: int. GAN steps per epoch. Defaults to `100`.
        pretrain_epochs: int. L1-only warm-up epochs (0: none, as the paper). Defaults to `0`.
        pretrain_steps_per_epoch: int or None. Defaults to `steps_per_epoch`.
        batch_size: int. Global batch size (the paper: 4). Defaults to `4`.
        learning_rate: float. Adam for the generator in the GAN phase (the paper: 1e-4, from
            scratch). After a warm-up, a lower rate fine-tunes instead of restarting: a fresh
            Adam at 1e-4 moves every weight by about 1e-4 in its first steps, which costs the
            warm-up's gain in a short run (see README, DISGAN results). Defaults to `1e-4`.
        discriminator_learning_rate: float or None. Adam for the discriminator (the paper:
            1e-4); None uses `learning_rate`. Defaults to `None`.
        pretrain_learning_rate: float. Adam for the L1 warm-up (ESRGAN's PSNR-oriented
            pre-training rate). Defaults to `2e-4`.
        pretrain_decay: bool. Cosine decay of the warm-up rate to 5 % over its planned steps or
            its time budget, whichever ends first (`CosineToBudget`; ESRGAN halves its rate in
            steps; a cosine suits a short run). Defaults to `True`.
        degradation: str. LR degradation (`data.degrade`), or "mixed". Defaults to `"nearest"`.
        noise_sigma: float. Rician noise on the LR inputs (z-score units), 0 for none.
        degradation_mix: None or some of `data.DEGRADATIONS`: what "mixed" draws from (None:
            all). Defaults to `None`.
        pretrain_seconds, gan_seconds: float or None. Wall-time budgets: a phase stops after the
            batch that exceeds its budget (the reports say how many steps were done).
        seed: int. Seeds the run and the GAN's instance noise. Defaults to `0`.
        verbose: int. Keras verbosity. Defaults to `1`.

    Returns:
        dict: the DISGAN model and a summary of both phases (steps: the phase's, every leg of a
        resumed run; seconds and patches per second: this call's; last logs).
    """
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    train = training_pipeline(split.sampler.dataset(), batch_size, degradation=degradation, noise_sigma=noise_sigma,
                              seed=seed, mix=degradation_mix)
    val = validation_pipeline(split.val_patches, batch_size, degradation=degradation, mix=degradation_mix)
    discriminator_learning_rate = discriminator_learning_rate or learning_rate
    summary = {"split": split.description, "batch_size": batch_size, "degradation": degradation,
               "degradations_drawn": list(resolve_mix(degradation, degradation_mix)),
               "noise_sigma": noise_sigma, "learning_rate": learning_rate,
               "discriminator_learning_rate": discriminator_learning_rate,
               "pretrain_learning_rate": pretrain_learning_rate if pretrain_epochs else None,
               "pretrain_decay": ("cosine to 5% over the planned steps or the time budget, whichever ends first"
                                  if pretrain_decay and pretrain_epochs else None),
               "generator_parameters": int(generator.count_params()),
               "discriminator_parameters": int(discriminator.count_params())}

    warm_up_summary = output_dir / "pretrain" / "summary.json"
    if pretrain_epochs and (output_dir / "backup").is_dir() and warm_up_summary.is_file():
        # A killed run started again in its GAN phase: the warm-up had finished, and the GAN's
        # backup (restored by `fit`) holds the generator it left and trained on.
        summary["pretrain"] = {**json.loads(warm_up_summary.read_text()), "reused_after_resume": True}
    elif pretrain_epochs:
        pretrain_steps = pretrain_epochs * (pretrain_steps_per_epoch or steps_per_epoch)
        generator.compile(optimizer=Adam(pretrain_learning_rate), loss="mae", jit_compile=False)
        counter, budget = StepCounter(), TimeBudget(pretrain_seconds)
        decay = [CosineToBudget(pretrain_learning_rate, pretrain_steps, pretrain_seconds)] if pretrain_decay else []
        history = fit(generator, train, epochs=pretrain_epochs, output_dir=output_dir / "pretrain",
                      validation_data=val, steps_per_epoch=pretrain_steps_per_epoch or steps_per_epoch,
                      callbacks=[counter, budget, *decay], seed=seed, verbose=verbose, restore_best=True)
        summary["pretrain"] = {"epochs_run": len(history.history.get("loss", [])), "steps": counter.run_steps,
                               "seconds": round(counter.seconds, 1),
                               "patches_per_second": round(counter.steps * batch_size / max(counter.seconds, 1e-9), 3),
                               **_best_epoch(history, "val_loss"),
                               "stopped_by_time_budget": budget.stopped_at is not None}
        warm_up_summary.write_text(json.dumps(summary["pretrain"], indent=2))

    model = DISGAN(generator, discriminator, feature_extractor, seed=seed)
    model.compile(generator_optimizer=Adam(learning_rate), discriminator_optimizer=Adam(discriminator_learning_rate))
    summary["gan"] = {"epochs_planned": epochs, "steps_per_epoch": steps_per_epoch}
    if epochs:
        counter, budget = StepCounter(), TimeBudget(gan_seconds)
        history = fit(model, train, epochs=epochs, output_dir=output_dir, validation_data=val,
                      monitor="val_generator_l1", mode="min", steps_per_epoch=steps_per_epoch,
                      callbacks=[InstanceNoiseSchedule(epochs), counter, budget], seed=seed, verbose=verbose,
                      restore_best=True)
        summary["gan"].update({
            "epochs_run": len(history.history.get("generator_loss", [])), "steps": counter.run_steps,
            "seconds": round(counter.seconds, 1),
            "patches_per_second": round(counter.steps * batch_size / max(counter.seconds, 1e-9), 3),
            "last": {k: float(v[-1]) for k, v in history.history.items()},
            **_best_epoch(history, "val_generator_l1"),
            "stopped_by_time_budget": budget.stopped_at is not None,
        })
    model.generator.save(output_dir / "generator.keras")
    (output_dir / "training_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return {"model": model, "summary": summary}
