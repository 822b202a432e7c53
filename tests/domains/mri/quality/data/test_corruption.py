"""domains.mri.quality.data.corruption: SSIM labels and the fixed, seeded evaluation sets."""

import numpy as np
import pytest

from core.testing import TestCase
from domains.mri.quality.data.corruption import corrupt_slices, ssim_label
from domains.mri.quality.data.slices import load_slices


class SSIMLabelTest(TestCase):
    def test_ssim_label_uses_the_foreground(self):
        rng = np.random.default_rng(0)
        clean = rng.uniform(0, 1, (2, 32, 32, 1)).astype("float32")
        assert np.allclose(ssim_label(clean, clean).numpy(), 1.0)
        corrupted = clean.copy()
        corrupted[:, :, 20:] += rng.normal(0, 0.5, (2, 32, 12, 1)).astype("float32")  # damage the right side only
        mask = np.zeros_like(clean)
        mask[:, :, :14] = 1.0  # foreground: the undamaged left side
        whole, masked = ssim_label(clean, corrupted).numpy(), ssim_label(clean, corrupted, mask).numpy()
        assert np.all(whole < 0.9) and np.allclose(masked, 1.0, atol=1e-5)
        # An empty mask falls back to the whole slice.
        np.testing.assert_allclose(ssim_label(clean, corrupted, np.zeros_like(clean)).numpy(), whole, rtol=1e-6)


class CorruptSlicesTest(TestCase):
    @pytest.fixture(autouse=True)
    def _phantoms(self, phantom_folder):
        self.phantom_folder = phantom_folder

    def test_fixed_evaluation_sets_are_reproducible(self):
        slices = load_slices(self.phantom_folder, slice_size=32).subset(range(6))
        a, b = corrupt_slices(slices, draws=3, seed=1), corrupt_slices(slices, draws=3, seed=1)
        self.assertEqual(len(a), 18)
        self.assertEqual(a.x.shape, (18, 32, 32, 1))
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
        np.testing.assert_array_equal(a.slice_index, np.repeat(np.arange(6), 3))
        assert 0.0 <= a.severity.min() and a.severity.max() <= 1.0
