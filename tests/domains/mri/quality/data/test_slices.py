"""domains.mri.quality.data.slices: volumes to preprocessed slices."""

import gzip

import nibabel as nib
import numpy as np
import pytest

from core.data import samples
from core.testing import TestCase
from domains.mri.io import NiftiError
from domains.mri.quality.data.slices import check_volume_size, min_in_plane_side, slice_axes, volume_slices


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

    def test_a_volume_too_small_for_the_slices_is_refused_per_orientation(self):
        self.assertEqual([min_in_plane_side(s) for s in (16, 32, 64, 128, 256)], [4, 4, 8, 16, 32])
        slab = f"{self.get_temp_dir()}/slab.nii.gz"  # 40 x 44 axial slices, 5 of them
        volume = np.zeros((40, 44, 5), "float32")
        volume[5:35, 5:39, :] = 100.0 + np.arange(5, dtype="float32")
        nib.save(nib.Nifti1Image(volume, np.eye(4)), slab)
        self.assertEqual(volume_slices(slab, slice_size=64, axis=2).images.shape[1:], (64, 64, 1))
        with self.assertRaisesRegex(ValueError, r"slab.nii.gz: volume too small for 64-pixel slices: its sagittal "
                                                r"slices are 44×5 voxels; each side must be at least 8 voxels "
                                                r"\(an eighth of the slice\)\. Received: shape=\(40, 44, 5\)"):
            volume_slices(slab, slice_size=64, axis=0)
        check_volume_size((40, 44, 8), slab, 64, 0)  # the minimum itself passes
        with self.assertRaisesRegex(ValueError, "coronal slices are 40×7 voxels"):
            check_volume_size((40, 44, 7), slab, 64, 1)

    def test_slice_axes(self):
        assert slice_axes("all") == (0, 1, 2) and slice_axes([2, 0]) == (2, 0) and slice_axes(1) == (1,)
        self.assertEqual(slice_axes("0,2"), (0, 2))
        for bad in (3, [0, 0], "axial", []):
            with self.assertRaisesRegex(ValueError, "axis must be 0, 1 or 2"):
                slice_axes(bad)
