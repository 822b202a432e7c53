"""domains.mri.quality.data.augment: the contrast augmentation and the intensity remapping."""

import numpy as np
import tensorflow as tf

from core.testing import TestCase
from domains.mri.quality.data.augment import contrast_augment, intensity_remap


class AugmentTest(TestCase):
    def test_contrast_augment_is_stateless_per_slice_and_single_or_batched(self):
        x = tf.random.stateless_uniform((4, 16, 16, 1), [0, 1])
        a = contrast_augment(x, tf.constant([5, 6]))
        np.testing.assert_array_equal(a.numpy(), contrast_augment(x, tf.constant([5, 6])).numpy())
        assert not np.allclose(a.numpy(), x.numpy())
        self.assertEqual(contrast_augment(x[0], tf.constant([1, 2])).shape, (16, 16, 1))

    def test_intensity_remap_keeps_air_black_and_can_invert_the_contrast(self):
        ramp = tf.reshape(tf.linspace(0.0, 1.0, 64), (1, 8, 8, 1))
        images = tf.tile(ramp, (64, 1, 1, 1))
        out = intensity_remap(images, tf.constant([3, 4])).numpy()
        np.testing.assert_array_equal(out, intensity_remap(images, tf.constant([3, 4])).numpy())
        assert np.all(out[:, 0, 0, 0] == 0.0) and 0.0 <= out.min() and out.max() <= 1.0
        # Other contrasts: for some slices the dark end of the ramp comes out brighter than the bright end.
        assert np.any(out[:, 2, 0, 0] > out[:, 7, 7, 0])
        self.assertEqual(len({float(v) for v in out[:, 4, 4, 0]}), 64)  # a curve of its own per slice
        np.testing.assert_array_equal(intensity_remap(images, tf.constant([3, 4]), probability=0.0).numpy(), images)
        self.assertEqual(intensity_remap(images[0], tf.constant([1, 2])).shape, (8, 8, 1))
        with self.assertRaisesRegex(ValueError, "Received: knots=2"):
            intensity_remap(images, tf.constant([3, 4]), knots=2)
