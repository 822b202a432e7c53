import numpy as np
import pytest
import tensorflow as tf

from core.data import augment
from core.data.augment import random_brightness_contrast, random_flip, random_rotate_scale_2d, random_saturation_hue


@pytest.mark.parametrize("shape", [(8, 2), (6, 5, 3), (4, 5, 6, 1)])
def test_random_flip_any_rank(shape):
    x = tf.reshape(tf.range(np.prod(shape), dtype=tf.float32), shape)
    seen = set()
    # Every output is x with some of its spatial axes reversed.
    candidates = [np.asarray(x)]
    for axis in range(len(shape) - 1):
        candidates += [np.flip(c, axis) for c in candidates]
    for seed in range(40):
        out = random_flip(x, tf.constant([seed, 0])).numpy()
        assert any(np.array_equal(out, c) for c in candidates)
        seen.add(out.tobytes())
    assert len(seen) == 2 ** (len(shape) - 1)  # every combination occurs over the seeds
    np.testing.assert_array_equal(random_flip(x, tf.constant([5, 0])), random_flip(x, tf.constant([5, 0])))
    with pytest.raises(ValueError, match="spatial axes"):
        random_flip(x, tf.constant([0, 0]), axes=(len(shape) - 1,))


def test_brightness_contrast_about_the_mean():
    x = tf.random.stateless_uniform((5, 6, 7, 2), [0, 1], 0.3, 0.7)
    out = random_brightness_contrast(x, tf.constant([1, 1]), brightness=0.0, contrast=(1.5, 1.5))
    np.testing.assert_allclose(out, (x - tf.reduce_mean(x)) * 1.5 + tf.reduce_mean(x), atol=1e-6)
    shifted = random_brightness_contrast(x, tf.constant([1, 1]), brightness=0.2, contrast=(1, 1), value_range=None)
    delta = np.asarray(shifted - x)
    assert np.allclose(delta, delta.flat[0], atol=1e-6) and 0 < abs(delta.flat[0]) <= 0.2
    clipped = random_brightness_contrast(x * 10, tf.constant([2, 1]))
    assert float(tf.reduce_max(clipped)) <= 1.0 and float(tf.reduce_min(clipped)) >= 0.0


def test_saturation_hue_keeps_grey_and_needs_rgb():
    grey = tf.fill((4, 4, 3), 0.4)
    np.testing.assert_allclose(random_saturation_hue(grey, tf.constant([0, 1]), saturation=(0.5, 2.0), hue=0.2),
                               grey, atol=1e-6)
    colour = tf.random.stateless_uniform((4, 4, 3), [1, 1])
    assert np.abs(random_saturation_hue(colour, tf.constant([0, 1])) - colour).max() > 1e-3
    with pytest.raises(ValueError, match="RGB"):
        random_saturation_hue(tf.zeros((4, 4, 1)), tf.constant([0, 1]))


def test_rotate_scale_2d():
    image = tf.random.stateless_uniform((9, 11, 2), [3, 4])
    same = random_rotate_scale_2d(image, tf.constant([0, 1]), max_degrees=0.0, scale=(1.0, 1.0))
    np.testing.assert_allclose(same, image, atol=1e-5)
    square = np.zeros((21, 21, 1), "float32")
    square[10, 15] = 1.0  # 5 px right of the centre
    rotated = np.asarray(random_rotate_scale_2d(square, tf.constant([7, 7]), max_degrees=180.0, scale=(1.0, 1.0)))
    assert rotated.sum() == pytest.approx(1.0, abs=0.05)  # bilinear: mass conserved, moved on the circle
    y, x = np.unravel_index(np.argmax(rotated[..., 0]), (21, 21))
    assert abs(np.hypot(y - 10, x - 10) - 5) <= 1
    zoomed = np.asarray(random_rotate_scale_2d(np.ones((21, 21, 1), "float32"), tf.constant([0, 1]),
                                               max_degrees=0.0, scale=(0.5, 0.5), fill_value=-1.0))
    assert zoomed[10, 10, 0] == 1.0 and zoomed[0, 0, 0] == -1.0  # shrunk: the border comes from outside


def test_random_gamma_contrast_is_per_example_for_any_rank():
    seed = tf.constant([3, 4])
    volume = tf.random.stateless_uniform((6, 6, 6, 1), [0, 1])
    # All three disabled: the identity on non-negative intensities; negatives are clipped to 0 first.
    same = augment.random_gamma_contrast(volume, seed, gamma=(1, 1), contrast=(1, 1), scale=(1, 1))
    np.testing.assert_allclose(same.numpy(), volume.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(augment.random_gamma_contrast(-volume, seed, gamma=(1, 1), contrast=(1, 1),
                                                                scale=(1, 1)).numpy(), 0.0)
    # Scale only, on a batch of 1-D signals: one factor per example, inside its range, seeded.
    signals = tf.random.stateless_uniform((8, 50, 2), [5, 6], 0.1, 1.0)
    scaled = augment.random_gamma_contrast(signals, seed, gamma=(1, 1), contrast=(1, 1), scale=(0.5, 2.0), batched=True)
    ratio = (scaled / signals).numpy()
    np.testing.assert_allclose(ratio, ratio[:, :1, :1] * np.ones_like(ratio), rtol=1e-5)
    assert np.all((ratio >= 0.5) & (ratio <= 2.0)) and np.unique(ratio[:, 0, 0].round(5)).size == 8
    again = augment.random_gamma_contrast(signals, seed, gamma=(1, 1), contrast=(1, 1), scale=(0.5, 2.0), batched=True)
    np.testing.assert_array_equal(scaled.numpy(), again.numpy())
    # Gamma keeps each example's maximum and order of intensities.
    curved = augment.random_gamma_contrast(volume, seed, contrast=(1, 1), scale=(1, 1)).numpy()
    assert np.isclose(curved.max(), volume.numpy().max(), rtol=1e-5)
    order = np.argsort(volume.numpy().ravel())
    assert np.all(np.diff(curved.ravel()[order]) >= -1e-6)
