"""Contrast changes of a motion-free slice before the motion: the paper's augmentation and remapping.

- `contrast_augment` (training switch `contrast_augmentation`): per slice a gamma (log-uniform
  0.7-1.5), a contrast factor about the slice mean (0.7-1.3) and an intensity scale (0.8-1.2),
  applied to the motion-free slice before the motion is simulated (the label is then the SSIM of
  what the model sees).
- `intensity_remap` (training option `remap_probability`): a share of the motion-free slices pass
  through a random piecewise-linear intensity curve (air kept black, not necessarily monotone), so
  a model trained on T1 slices also sees T2-, PD- or FLAIR-like contrasts; the paper's data held
  several contrasts, the real samples only T1.

`training.training_augmentation` combines them for a training run.

Example:
```python
images = tf.random.uniform((4, 32, 32, 1))
changed = contrast_augment(intensity_remap(images, tf.constant([1, 2])), tf.constant([3, 4]))
```
"""

import tensorflow as tf

from core.data.augment import random_gamma_contrast

CONTRAST_RANGES = {"gamma": (0.7, 1.5), "contrast": (0.7, 1.3), "scale": (0.8, 1.2)}
REMAP_KNOTS = 5


def contrast_augment(images, seed):
    """The paper's contrast augmentation: `core.data.augment.random_gamma_contrast` at `CONTRAST_RANGES`.

    Args:
        images: float `(B, H, W, 1)` or `(H, W, 1)`, non-negative intensities.
        seed: shape-`(2,)` integer tensor.

    Returns:
        float32 tensor of the input's shape.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    return random_gamma_contrast(images, seed, batched=images.shape.rank == 4, **CONTRAST_RANGES)


def intensity_remap(images, seed, knots=REMAP_KNOTS, probability=1.0):
    """Random intensity remapping to other tissue contrasts: a random piecewise-linear curve per slice.

    Each slice's intensities (normalised, about 0-1) go through a curve through `knots` evenly
    spaced points on [0, 1] (values above 1 follow the last segment's level), anchored at
    f(0) = 0 so that air stays black, with the other knot heights uniform in [0.05, 1]. Unlike
    gamma and contrast changes, the curve need not be monotone: CSF can come out brighter than
    white matter (T2-like), grey matter brightest, and so on. A slice is remapped with
    `probability` and kept otherwise. Used before the motion, as `contrast_augment` is.

    Args:
        images: float `(B, H, W, 1)` or `(H, W, 1)`.
        seed: shape-`(2,)` integer tensor.
        knots: int >= 3. Number of curve points, the fixed f(0) = 0 included. Defaults to 5.
        probability: float in [0, 1]. Share of slices remapped. Defaults to 1.

    Returns:
        float32 tensor of the input's shape.

    Example:
    ```python
    out = intensity_remap(tf.random.uniform((4, 32, 32, 1)), tf.constant([1, 2]))
    ```
    """
    if not isinstance(knots, int) or knots < 3:
        raise ValueError(f"intensity_remap needs knots >= 3 (f(0) = 0 and two more). Received: knots={knots!r}")
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape.rank == 3:
        return intensity_remap(images[tf.newaxis], seed, knots, probability)[0]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)
    batch = tf.shape(images)[0]
    heights = tf.random.stateless_uniform([batch, knots - 1], seeds[0], 0.05, 1.0)
    heights = tf.concat([tf.zeros([batch, 1]), heights], axis=1)  # (B, knots)
    position = tf.clip_by_value(images, 0.0, 1.0) * (knots - 1)
    index = tf.minimum(tf.cast(tf.floor(position), tf.int32), knots - 2)
    fraction = position - tf.cast(index, tf.float32)
    low = tf.gather(heights, index, batch_dims=1)
    high = tf.gather(heights, index + 1, batch_dims=1)
    remapped = low + fraction * (high - low)
    chosen = tf.random.stateless_uniform([batch, 1, 1, 1], seeds[1]) < probability
    return tf.where(chosen, remapped, images)
