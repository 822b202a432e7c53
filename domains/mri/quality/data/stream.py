"""The training stream: an endless `tf.data` pipeline of freshly corrupted slices and their SSIM labels.

Every draw corrupts a training slice with a new random motion (and, if asked, a new contrast
change) inside `tf.data` (`corruption.corrupt_and_label`), in parallel with the training step;
with `skull_probability` a share of the draws come from the SYNTHETIC-head slices (`data.heads`).

Example:
```python
from domains.mri.quality.data import load_quality_data
data = load_quality_data(slice_size=64)
x, y = next(iter(training_dataset(data.train, batch_size=8, seed=0)))   # (8, 64, 64, 1), (8,)
```
"""

import tensorflow as tf

from domains.mri.quality.data.corruption import SEVERITY_RANGE, corrupt_and_label


def training_dataset(slices, batch_size=16, seed=0, augment_fn=None, severity_range=SEVERITY_RANGE,
                     motion_kwargs=None, skull_slices=None, skull_probability=0.0):
    """An endless `tf.data` stream of freshly corrupted training slices and their SSIM labels.

    The clean slices repeat endlessly, each draw zipped with its own random seed
    (`tf.data.Dataset.random`), then `core.data.make_pipeline` shuffles them and runs
    `corrupt_and_label` (contrast change if `augment_fn`, motion, label) as its parallel
    `augment_fn`, batches and prefetches: the simulation overlaps the training step. The same
    `seed` gives the same stream. Use `steps_per_epoch` with `fit`. With `skull_probability`, each
    draw comes from `skull_slices` (the with-skull versions, SYNTHETIC heads) with that probability.

    Args:
        slices: SliceSet (the training split).
        batch_size: int. Defaults to 16.
        seed: int. Defaults to 0.
        augment_fn: contrast augmentation `(images, seed) -> images` or None (off).
        severity_range: (low, high). Defaults to (0, 1).
        motion_kwargs: dict for `simulate_motion` or None.
        skull_slices: SliceSet or None. With-skull training slices (`QualityData.train_skull`).
        skull_probability: float in [0, 1]. Share of draws taken from `skull_slices`. Defaults to 0.

    Returns:
        tf.data.Dataset of `(x (B, S, S, 1), y (B,))`.
    """
    from core.data import make_pipeline

    if len(slices) == 0:
        raise ValueError("training_dataset: no training slices")
    check_skull_probability(skull_probability)
    if skull_probability and (skull_slices is None or len(skull_slices) == 0):
        raise ValueError("training_dataset: skull_probability > 0 needs with-skull training slices "
                         f"(load_quality_data(skull=True)). Received: skull_probability={skull_probability!r}")
    clean = tf.data.Dataset.from_tensor_slices((slices.images, slices.masks)).repeat()
    if skull_probability:
        skulls = tf.data.Dataset.from_tensor_slices((skull_slices.images, skull_slices.masks)).repeat()
        clean = tf.data.Dataset.sample_from_datasets([clean, skulls], [1.0 - skull_probability, skull_probability],
                                                     seed=seed, stop_on_empty_dataset=False)
    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    stream = tf.data.Dataset.zip(clean, seeds).map(lambda pair, s: (pair[0], pair[1], s))

    def draw(image, mask, element_seed):
        return corrupt_and_label(image, mask, element_seed, severity_range, augment_fn, motion_kwargs)

    return make_pipeline(stream, batch_size, training=True, shuffle=True, shuffle_buffer=max(len(slices), 2),
                         augment_fn=draw, seed=seed, drop_remainder=True)


def check_severity_max(value):
    """Raise a ValueError unless `value` is in (0, 1] (the `severity_max` option).

    Severity 1 is TorchIO's motion ranges (10 degrees, 10 pixels), on which the SSIM classes
    were set; `simulate_motion` takes more, but the task's labels are not meant for it, and 0
    leaves every training slice uncorrupted (every label 1).

    Args:
        value: the option's value.

    Example:
    ```python
    check_severity_max(0.5)   # passes; check_severity_max(2) raises
    ```
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
        raise ValueError(f"severity_max must be a number in (0, 1] (1: TorchIO's motion ranges, 10 degrees and "
                         f"10 pixels). Received: severity_max={value!r}")


def check_skull_probability(value):
    """Raise a ValueError unless `value` is a probability (the `skull_probability` option).

    Args:
        value: the option's value.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"skull_probability must be a number in [0, 1]. Received: skull_probability={value!r}")
