"""domains.mri.quality.data.slices: volumes to preprocessed slices."""

import gzip

import numpy as np
import pytest

from core.data import samples
from core.testing import TestCase
from domains.mri.io import NiftiError
from domains.mri.quality.data.slices import slice_axes, volume_slices


class VolumeSlicesTest(TestCase):
    def test_real_anatomical_slices(self):
        path = samples.fetch("mri.anatomical", verbose=False)
        slices = volume_slices(path, slice_size=32)
        assert 10 <= len(slices) <= 25  # 25 axial slices, the ends have little head
        self.assertEqual(slices.images.shape, (len(slices), 32, 32, 1))
        self.assertEqual(slices.images.dtype, np.float32)
        assert set(np.unique(slices.masks)) <= {0.0, 1.0}
        assert slices.masks.reshape(len(slices), -1).mean(axis=1).min() >= 0.15
        assert 0.0 <= slices.images.min() and 0.8 < np.percentile(slices.images[slices.masks > 0], 99.5) < 1.3
        assert np.all(np.diff(slices.positions) > 0) and np.all(slices.spacing_mm == pytest.approx(2.0))
        self.assertEqual(set(slices.sources), {str(path)})

    def test_other_axes_and_bad_arguments(self):
        path = samples.fetch("mri.anatomical", verbose=False)
        sagittal = volume_slices(path, slice_size=32, axis=0)
        assert sagittal.positions.max() < 33
        with self.assertRaisesRegex(ValueError, "axis must be 0, 1 or 2"):
            volume_slices(path, axis=3)
        with self.assertRaisesRegex(ValueError, "slice_size must be an integer >= 16"):
            volume_slices(path, slice_size=8)

    def test_a_corrupt_file_is_named(self):
        corrupt = f"{self.get_temp_dir()}/corrupt.nii.gz"
        with open(corrupt, "wb") as handle:
            handle.write(gzip.compress(b"not a nifti header" * 30))
        with self.assertRaisesRegex(NiftiError, r"corrupt.nii.gz: not a readable NIfTI file"):
            volume_slices(corrupt)

    def test_slice_axes(self):
        assert slice_axes("all") == (0, 1, 2) and slice_axes([2, 0]) == (2, 0) and slice_axes(1) == (1,)
        self.assertEqual(slice_axes("0,2"), (0, 2))
        for bad in (3, [0, 0], "axial", []):
            with self.assertRaisesRegex(ValueError, "axis must be 0, 1 or 2"):
                slice_axes(bad)
