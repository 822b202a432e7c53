"""domains.mri.quality.training: the augmentation of a training run (and the recipe, in test_task's large run)."""

import numpy as np

from core.testing import TestCase
from domains.mri.quality.data.augment import contrast_augment
from domains.mri.quality.training import training_augmentation


class TrainingAugmentationTest(TestCase):
    def test_training_augmentation_without_remapping_is_the_presets_stream(self):
        # ssim_mni_small and the README's axial rows were trained on contrast_augment(images, seed):
        # without remapping the augmentation must draw exactly that, or their commands stop repeating.
        images = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
        seed = np.array([3, 4], "int64")
        np.testing.assert_array_equal(training_augmentation(True, 0.0)(images, seed), contrast_augment(images, seed))
        remapped = training_augmentation(True, 1.0)(images, seed)
        assert not np.allclose(remapped, contrast_augment(images, seed))
        self.assertIsNone(training_augmentation(False, 0.0))
