"""Motion corruption and SSIM labels: one example on the fly, or a fixed, seeded evaluation set.

Step 5 of `domains.mri.quality.data`: optionally a contrast change of the motion-free slice first
(`augment_fn`, e.g. `training.training_augmentation`), then `simulate_motion` with a severity drawn
uniformly from `severity_range` (default [0, 1], 4 movements); the label is the SSIM
(`tf.image.ssim`, 11 x 11 Gaussian window, data range = max - min of the motion-free slice) between
the corrupted and the motion-free slice, averaged over the foreground of the motion-free slice (the
SSIM index map masked, `ssim_label`). Training examples are drawn by `corrupt_and_label` inside
`tf.data` (`data.stream`); validation and test examples are simulated once with fixed seeds
(`corrupt_slices`).

Example:
```python
clean = tf.random.uniform((2, 32, 32, 1))
corrupted, label = corrupt_and_label(clean, tf.ones_like(clean), tf.constant([1, 2]))
label.shape   # (2,)
```
"""

import dataclasses

import numpy as np
import tensorflow as tf

from domains.mri.quality.motion import simulate_motion

SEVERITY_RANGE = (0.0, 1.0)
SSIM_FILTER_SIZE = 11


@dataclasses.dataclass
class CorruptedSet:
    """Motion-corrupted slices with their SSIM labels (a fixed, seeded evaluation set).

    Attributes:
        x: float32 `(M, S, S, 1)` corrupted slices (the model's input).
        y: float32 `(M,)` SSIM against the motion-free slice, on the foreground.
        severity: float32 `(M,)` severity used for each example.
        slice_index: int `(M,)` row of the `SliceSet` each example was made from.
    """

    x: np.ndarray
    y: np.ndarray
    severity: np.ndarray
    slice_index: np.ndarray

    def __len__(self):
        return len(self.y)


def ssim_label(clean, corrupted, mask=None, filter_size=SSIM_FILTER_SIZE):
    """SSIM of corrupted vs motion-free slices, averaged over the foreground.

    `tf.image.ssim` (Gaussian window `filter_size`, sigma 1.5, k1 0.01, k2 0.03) with the data
    range `max - min` of each motion-free slice and `return_index_map=True`; the index map (the
    "valid" part, `filter_size - 1` smaller) is averaged over the mask cropped the same way. A
    slice whose cropped mask is empty is averaged over the whole map.

    Args:
        clean: float `(B, H, W, 1)` motion-free slices.
        corrupted: float `(B, H, W, 1)`.
        mask: float/bool `(B, H, W, 1)` or None (whole slice). Defaults to None.
        filter_size: int. Defaults to 11.

    Returns:
        float32 `(B,)`.
    """
    clean = tf.convert_to_tensor(clean, tf.float32)
    corrupted = tf.convert_to_tensor(corrupted, tf.float32)
    value_range = tf.reduce_max(clean, axis=[1, 2, 3]) - tf.reduce_min(clean, axis=[1, 2, 3])
    value_range = tf.maximum(value_range, 1e-6)[:, None, None, None]
    index_map = tf.image.ssim(clean, corrupted, max_val=value_range, filter_size=filter_size,
                              return_index_map=True)  # (B, H - f + 1, W - f + 1)
    if mask is None:
        return tf.reduce_mean(index_map, axis=[1, 2])
    half = filter_size // 2
    mask = tf.cast(tf.convert_to_tensor(mask), tf.float32)[:, half:-half, half:-half, 0]
    mask = tf.where(tf.reduce_sum(mask, axis=[1, 2], keepdims=True) > 0, mask, tf.ones_like(mask))
    return tf.reduce_sum(index_map * mask, axis=[1, 2]) / tf.reduce_sum(mask, axis=[1, 2])


def corrupt_and_label(image, mask, seed, severity_range=SEVERITY_RANGE, augment_fn=None, motion_kwargs=None):
    """One training example: (optional contrast change) → motion → (corrupted, SSIM label).

    Works on one slice `(S, S, 1)` (inside `tf.data`) or a batch `(B, S, S, 1)`. The contrast
    augmentation, when given, changes the motion-free slice *before* the motion, so the label is
    the SSIM of exactly what the model sees against its own motion-free version.

    Args:
        image, mask: float `(S, S, 1)` or `(B, S, S, 1)`.
        seed: shape-`(2,)` integer tensor (stateless).
        severity_range: (low, high). Severity is uniform in it. Defaults to (0, 1).
        augment_fn: callable `(images (B,S,S,1), seed) -> images` or None. Defaults to None.
        motion_kwargs: dict for `simulate_motion` or None.

    Returns:
        (corrupted, label[, ...]): `(x, y)` shaped like the input and `()`/`(B,)`.
    """
    single = image.shape.rank == 3
    if single:
        image, mask = image[tf.newaxis], mask[tf.newaxis]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    if augment_fn is not None:
        image = augment_fn(image, seeds[0])
    severity = tf.random.stateless_uniform(tf.shape(image)[:1], seeds[1], *severity_range)
    corrupted = simulate_motion(image, severity, seeds[2], **(motion_kwargs or {}))
    label = ssim_label(image, corrupted, mask)
    if single:
        return corrupted[0], label[0]
    return corrupted, label


def corrupt_slices(slices, draws=4, seed=0, severity_range=SEVERITY_RANGE, augment_fn=None, motion_kwargs=None,
                   batch_size=64):
    """A fixed evaluation set: each slice corrupted `draws` times with seeded motions.

    Args:
        slices: SliceSet.
        draws: int. Corrupted versions per slice. Defaults to 4.
        seed: int. Defaults to 0.
        severity_range: (low, high). Defaults to (0, 1).
        augment_fn: optional contrast change before the motion (see `corrupt_and_label`).
        motion_kwargs: dict for `simulate_motion` or None.
        batch_size: int. Slices simulated at once. Defaults to 64.

    Returns:
        CorruptedSet of `len(slices) * draws` examples.
    """
    index = np.repeat(np.arange(len(slices)), draws)
    xs, ys, severities = [], [], []
    for start in range(0, len(index), batch_size):
        rows = index[start:start + batch_size]
        batch_seed = tf.constant([seed, start], tf.int64)
        image = tf.constant(slices.images[rows])
        seeds = tf.random.experimental.stateless_split(batch_seed, 3)
        if augment_fn is not None:
            image = augment_fn(image, seeds[0])
        severity = tf.random.stateless_uniform([len(rows)], seeds[1], *severity_range)
        corrupted = simulate_motion(image, severity, seeds[2], **(motion_kwargs or {}))
        ys.append(ssim_label(image, corrupted, slices.masks[rows]).numpy())
        xs.append(corrupted.numpy())
        severities.append(severity.numpy())
    if not xs:
        size = slices.slice_size
        return CorruptedSet(np.zeros((0, size, size, 1), "float32"), np.zeros(0, "float32"),
                            np.zeros(0, "float32"), index)
    return CorruptedSet(np.concatenate(xs), np.concatenate(ys), np.concatenate(severities), index)
