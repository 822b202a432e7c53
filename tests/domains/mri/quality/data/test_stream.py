"""domains.mri.quality.data.stream: the endless training stream of freshly corrupted slices."""

import numpy as np
import pytest

from core.testing import TestCase
from domains.mri.quality.data.augment import contrast_augment
from domains.mri.quality.data.slices import load_slices
from domains.mri.quality.data.stream import check_skull_probability, training_dataset


class TrainingDatasetTest(TestCase):
    @pytest.fixture(autouse=True)
    def _phantoms(self, phantom_folder):
        self.phantom_folder = phantom_folder

    def test_training_stream_is_fresh_deterministic_and_labelled(self):
        slices = load_slices(self.phantom_folder, slice_size=32)
        first = next(iter(training_dataset(slices, batch_size=8, seed=3)))
        again = next(iter(training_dataset(slices, batch_size=8, seed=3)))
        other = next(iter(training_dataset(slices, batch_size=8, seed=4)))
        self.assertEqual(first[0].shape, (8, 32, 32, 1))
        self.assertEqual(first[1].shape, (8,))
        np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
        assert not np.array_equal(first[0].numpy(), other[0].numpy())
        labels = first[1].numpy()
        assert np.all((labels > 0.2) & (labels <= 1.0 + 1e-6))
        # A long stream of one slice: every draw is a new motion.
        one = training_dataset(slices.subset([0]), batch_size=4, seed=0)
        batch = next(iter(one))[0].numpy()
        self.assertEqual(len({float(np.abs(b).sum()) for b in batch}), 4)
        augmented = next(iter(training_dataset(slices, batch_size=8, seed=3, augment_fn=contrast_augment)))
        assert not np.allclose(augmented[0].numpy(), first[0].numpy())

    def test_skull_probability_is_checked(self):
        slices = load_slices(self.phantom_folder, slice_size=32)
        for bad in (1.5, -0.1, "half", True):
            with self.assertRaisesRegex(ValueError, r"Received: skull_probability="):
                check_skull_probability(bad)
        with self.assertRaisesRegex(ValueError, "needs with-skull training slices"):
            training_dataset(slices, skull_probability=0.5)
