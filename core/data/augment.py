"""Stateless random augmentations for `tf.data`, one example at a time, for any spatial rank.

Each function takes one example `(*spatial, channels)` (a signal, an image or a volume) and a
shape-`(2,)` integer seed, and is deterministic given the seed, so that a `tf.data` pipeline
that derives a seed per example (`tf.data.Dataset.random` zipped in, or
`tf.random.experimental.stateless_split`) is reproducible. Values are floats on any scale;
`value_range` bounds what brightness adds and where results are clipped.

- `random_flip`: each spatial axis flipped with probability 1/2;
- `random_brightness_contrast`: an additive brightness and a contrast factor about the mean;
- `random_saturation_hue`: saturation and hue jitter of RGB examples (the last axis of 3);
- `random_rotate_scale_2d`: rotation by any angle and isotropic scaling of an image about its centre;
- `random_gamma_contrast`: gamma, contrast and intensity scaling of non-negative intensities (MRI,
  microscopy, spectra), per example, also on a batch at once.

Example:
```python
from core.data.augment import random_brightness_contrast, random_flip

image = tf.random.uniform((32, 32, 3))
seeds = tf.random.experimental.stateless_split(tf.constant([1, 2], tf.int64), 2)
out = random_brightness_contrast(random_flip(image, seeds[0]), seeds[1], brightness=0.1, contrast=(0.8, 1.2))
out.shape   # (32, 32, 3)
```
"""

import math

import tensorflow as tf


def _split(seed, count):
    return tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), count)


def random_flip(x, seed, axes=None):
    """Flip each chosen spatial axis of one example with probability 1/2.

    Args:
        x: tensor `(*spatial, channels)`.
        seed: shape-`(2,)` integer seed.
        axes: tuple of spatial axes (0-based) or None (all of them). Defaults to None.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
    ```python
    flipped = random_flip(tf.reshape(tf.range(6.0), (2, 3, 1)), tf.constant([0, 3]))
    ```
    """
    x = tf.convert_to_tensor(x)
    rank = x.shape.rank - 1
    axes = tuple(range(rank)) if axes is None else tuple(axes)
    if not all(0 <= axis < rank for axis in axes):
        raise ValueError(f"axes must be spatial axes in [0, {rank}). Received: axes={axes}")
    draws = tf.random.stateless_uniform((len(axes),), _split(seed, 1)[0])
    for i, axis in enumerate(axes):
        x = tf.cond(draws[i] < 0.5, lambda a=axis, t=x: tf.reverse(t, [a]), lambda t=x: t)
    return x


def random_brightness_contrast(x, seed, brightness=0.1, contrast=(0.8, 1.2), value_range=(0.0, 1.0)):
    """Add a random brightness and scale the contrast about the example's mean, then clip.

    `x <- (x - mean) * c + mean + b * (high - low)`, b uniform in [-brightness, brightness] and c
    uniform in `contrast`, the mean over the whole example (every channel the same change).

    Args:
        x: float tensor `(*spatial, channels)`.
        seed: shape-`(2,)` integer seed.
        brightness: float. Largest shift as a fraction of the value range; 0 disables it. Defaults to 0.1.
        contrast: (low, high) factor range; (1, 1) disables it. Defaults to (0.8, 1.2).
        value_range: (low, high) of the values, or None for no clipping. Defaults to (0, 1).

    Returns:
        float32 tensor of `x`'s shape.
    """
    x = tf.cast(x, tf.float32)
    seeds = _split(seed, 2)
    span = 1.0 if value_range is None else float(value_range[1] - value_range[0])
    shift = tf.random.stateless_uniform((), seeds[0], -brightness, brightness) * span if brightness else 0.0
    factor = tf.random.stateless_uniform((), seeds[1], float(contrast[0]), float(contrast[1]))
    mean = tf.reduce_mean(x)
    x = (x - mean) * factor + mean + shift
    return x if value_range is None else tf.clip_by_value(x, value_range[0], value_range[1])


def random_saturation_hue(x, seed, saturation=(0.8, 1.2), hue=0.02):
    """Jitter the saturation and hue of an RGB example with values in [0, 1] (`tf.image`'s stateless ops).

    Args:
        x: float tensor `(*spatial, 3)` in [0, 1].
        seed: shape-`(2,)` integer seed.
        saturation: (low, high) factor; (1, 1) disables it. Defaults to (0.8, 1.2).
        hue: float in [0, 0.5]. Largest hue shift (a fraction of the colour circle); 0 disables it.
            Defaults to 0.02.

    Returns:
        float32 tensor of `x`'s shape, in [0, 1].
    """
    x = tf.cast(x, tf.float32)
    if x.shape[-1] != 3:
        raise ValueError(f"random_saturation_hue needs RGB examples (last axis 3). Received: shape={x.shape}")
    seeds = _split(seed, 2)
    if tuple(saturation) != (1, 1):
        x = tf.image.stateless_random_saturation(x, float(saturation[0]), float(saturation[1]), seeds[0])
    if hue:
        x = tf.image.stateless_random_hue(x, float(hue), seeds[1])
    return tf.clip_by_value(x, 0.0, 1.0)


def random_rotate_scale_2d(x, seed, max_degrees=180.0, scale=(0.9, 1.1), fill_value=0.0,
                           interpolation="BILINEAR"):
    """Rotate one image by a random angle and scale it about its centre (output keeps its size).

    Args:
        x: float tensor `(height, width, channels)`.
        seed: shape-`(2,)` integer seed.
        max_degrees: float. Angles are uniform in [-max_degrees, max_degrees]. Defaults to 180.
        scale: (low, high) zoom factor (> 1 enlarges); (1, 1) disables it. Defaults to (0.9, 1.1).
        fill_value: float. Value of the pixels that come from outside the image. Defaults to 0.
        interpolation: "BILINEAR" or "NEAREST". Defaults to "BILINEAR".

    Returns:
        float32 tensor of `x`'s shape.

    Example:
    ```python
    image = tf.random.uniform((16, 16, 3))
    random_rotate_scale_2d(image, tf.constant([0, 1]), max_degrees=0.0, scale=(1.0, 1.0))  # == image
    ```
    """
    x = tf.cast(x, tf.float32)
    if x.shape.rank != 3:
        raise ValueError(f"random_rotate_scale_2d needs one image (height, width, channels). Received: shape={x.shape}")
    seeds = _split(seed, 2)
    angle = tf.random.stateless_uniform((), seeds[0], -max_degrees, max_degrees) * (math.pi / 180.0)
    zoom = tf.random.stateless_uniform((), seeds[1], float(scale[0]), float(scale[1]))
    height, width = tf.cast(tf.shape(x)[0], tf.float32), tf.cast(tf.shape(x)[1], tf.float32)
    cy, cx = (height - 1.0) / 2.0, (width - 1.0) / 2.0
    # The transform maps output pixel (x, y) to the input pixel it samples: the inverse rotation
    # and scaling about the centre.
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    transform = tf.stack([cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, 0.0, 0.0])
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=x[tf.newaxis], transforms=transform[tf.newaxis], output_shape=tf.shape(x)[:2],
        fill_value=float(fill_value), interpolation=interpolation, fill_mode="CONSTANT")
    return out[0]


def random_gamma_contrast(x, seed, gamma=(0.7, 1.5), contrast=(0.7, 1.3), scale=(0.8, 1.2), batched=False):
    """Random gamma, contrast and intensity scaling of non-negative intensities, per example.

    For each example: `x <- max * (x / max) ** g` (g log-uniform in `gamma`), then
    `x <- (x - mean) * c + mean` (c uniform in `contrast`, the mean over the example), then
    `x <- s * x` (s uniform in `scale`). Negative values are set to 0 first.

    Args:
        x: float tensor `(*spatial, channels)`, or `(batch, *spatial, channels)` with `batched=True`
            (one draw per example, the same draws as the examples would get in that batch order).
        seed: shape-`(2,)` integer seed.
        gamma, contrast, scale: (low, high) ranges; (1, 1) disables one.
        batched: bool. Whether the first axis is a batch. Defaults to False.

    Returns:
        float32 tensor of the input's shape.

    Example:
    ```python
    slices = tf.random.uniform((4, 32, 32, 1))
    out = random_gamma_contrast(slices, tf.constant([3, 4]), batched=True)
    out.shape   # (4, 32, 32, 1)
    ```
    """
    x = tf.convert_to_tensor(x, tf.float32)
    if not batched:
        return random_gamma_contrast(x[tf.newaxis], seed, gamma, contrast, scale, batched=True)[0]
    seeds = _split(seed, 3)
    axes = list(range(1, x.shape.rank))
    shape = tf.concat([tf.shape(x)[:1], tf.ones([x.shape.rank - 1], tf.int32)], axis=0)
    log_gamma = tf.random.stateless_uniform(shape, seeds[0], math.log(gamma[0]), math.log(gamma[1]))
    factor = tf.random.stateless_uniform(shape, seeds[1], *contrast)
    scaling = tf.random.stateless_uniform(shape, seeds[2], *scale)
    x = tf.maximum(x, 0.0)
    top = tf.maximum(tf.reduce_max(x, axis=axes, keepdims=True), 1e-6)
    x = top * tf.pow(x / top, tf.exp(log_gamma))
    mean = tf.reduce_mean(x, axis=axes, keepdims=True)
    return ((x - mean) * factor + mean) * scaling
