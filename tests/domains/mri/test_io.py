"""domains.mri.io: loading, checking and saving NIfTI volumes; the foreground mask."""

import gzip
import pathlib

import nibabel as nib
import numpy as np
import pytest
from absl.testing import parameterized

from core.data import samples
from core.data import zscore
from core.testing import TestCase
from domains.mri.io import NiftiError, foreground_mask, list_volumes, load_volume, save_volume, scaled_affine


def _write(path, data, affine=None):
    nib.save(nib.Nifti1Image(np.asarray(data), np.eye(4) if affine is None else affine), str(path))
    return path


class LoadVolumeTest(TestCase):
    def setUp(self):
        super().setUp()
        self.tmp = pathlib.Path(self.get_temp_dir())

    def test_real_anatomical_volume(self):
        volume, affine, voxel_size = load_volume(samples.fetch("mri.anatomical", verbose=False))
        self.assertEqual(volume.shape, (33, 41, 25))
        self.assertEqual(volume.dtype, np.float32)
        self.assertEqual(voxel_size, pytest.approx((2.0, 2.0, 2.0), abs=1e-3))
        self.assertGreater(np.linalg.det(affine[:3, :3]), 0)  # canonical RAS+

    def test_4d_file_is_refused(self):
        # The shape of nibabel's example4d.nii.gz, a real EPI time series (no longer a registered sample).
        four_d = _write(self.tmp / "example4d.nii.gz", np.zeros((128, 96, 24, 2), "int16"))
        with self.assertRaisesRegex(
            NiftiError, r"example4d.nii.gz: expected a 3-D volume. Received: a 4-D image of shape \(128, 96, 24, 2\)"
        ):
            load_volume(four_d)

    def test_2d_file_is_refused(self):
        with self.assertRaisesRegex(NiftiError, r"slice.nii: expected a 3-D volume. Received: a 2-D"):
            load_volume(_write(self.tmp / "slice.nii", np.zeros((8, 8), "float32")))

    def test_singleton_fourth_axis_is_accepted(self):
        volume, _, _ = load_volume(_write(self.tmp / "v.nii.gz", np.ones((4, 5, 6, 1), "float32")))
        self.assertEqual(volume.shape, (4, 5, 6))

    def test_truncated_gzip_names_the_file(self):
        path = _write(self.tmp / "full.nii.gz", np.random.default_rng(0).normal(size=(16, 16, 16)).astype("float32"))
        truncated = self.tmp / "truncated.nii.gz"
        truncated.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
        with self.assertRaisesRegex(NiftiError, r"truncated.nii.gz: not a readable NIfTI file"):
            load_volume(truncated)

    def test_corrupt_file_names_the_file(self):
        corrupt = self.tmp / "corrupt.nii.gz"
        corrupt.write_bytes(gzip.compress(b"this is not a nifti header" * 20))
        with self.assertRaisesRegex(NiftiError, r"corrupt.nii.gz: not a readable NIfTI file"):
            load_volume(corrupt)

    def test_nan_voxels(self):
        data = np.ones((4, 4, 4), "float32")
        data[1, 2, 3] = np.nan
        with self.assertRaisesRegex(NiftiError, r"nan.nii: 1 voxels are NaN"):
            load_volume(_write(self.tmp / "nan.nii", data))
        self.assertEqual(np.isnan(load_volume(self.tmp / "nan.nii", allow_nan=True)[0]).sum(), 1)

    @parameterized.named_parameters(("as_stored", False), ("canonical", True))
    def test_singular_affine(self, canonical):
        image = nib.Nifti1Image(np.ones((4, 4, 4), "float32"), np.eye(4))
        path = self.tmp / "flat.nii"
        nib.save(image, str(path))
        # nibabel refuses to write a singular affine: put one into the header's bytes directly.
        header = bytearray(path.read_bytes())
        srow_z = np.array([0.0, 0.0, 0.0, 0.0], "<f4").tobytes()
        header[320:336] = srow_z  # srow_z of the NIfTI-1 header
        header[252:254] = np.array([0], "<i2").tobytes()  # qform_code 0: use the sform
        path.write_bytes(bytes(header))
        with self.assertRaisesRegex(NiftiError, r"flat.nii: singular affine"):
            load_volume(path, canonical=canonical)

    def test_missing_file_and_folder(self):
        with self.assertRaisesRegex(FileNotFoundError, r"absent.nii.gz: no such NIfTI file"):
            load_volume(self.tmp / "absent.nii.gz")
        with self.assertRaisesRegex(FileNotFoundError, r"no .nii or .nii.gz files found"):
            list_volumes(self.tmp)
        with self.assertRaisesRegex(FileNotFoundError, r"no such folder"):
            list_volumes(self.tmp / "nope")


class SaveVolumeTest(TestCase):
    def test_save_round_trip_and_halved_voxels(self):
        tmp = pathlib.Path(self.get_temp_dir())
        affine = np.array([[2.0, 0, 0, -10], [0, 2.0, 0, -20], [0, 0, 2.0, -30], [0, 0, 0, 1]])
        data = np.random.default_rng(0).normal(size=(6, 7, 8)).astype("float32")
        path = save_volume(tmp / "sub" / "out.nii.gz", data, affine)
        loaded, loaded_affine, voxel_size = load_volume(path)
        np.testing.assert_array_equal(loaded, data)
        np.testing.assert_allclose(loaded_affine, affine)
        fine = scaled_affine(affine, 0.5)
        np.testing.assert_allclose(np.diag(fine)[:3], [1.0, 1.0, 1.0])
        # The field of view is unchanged: the old first voxel's lower corner is the new one's.
        old_corner = affine @ np.array([-0.5, -0.5, -0.5, 1.0])
        new_corner = fine @ np.array([-0.5, -0.5, -0.5, 1.0])
        np.testing.assert_allclose(old_corner, new_corner)
        self.assertEqual(list_volumes(tmp), [path])


class ForegroundMaskTest(TestCase):
    def test_zscore_and_mask(self):
        volume = np.zeros((10, 10, 10), "float32")
        volume[2:8, 2:8, 2:8] = 1.0 + np.random.default_rng(0).random((6, 6, 6))
        mask = foreground_mask(volume)
        self.assertEqual(mask.sum(), 216)
        normalised, _, _ = zscore(volume, mask)
        self.assertLess(abs(float(normalised[mask].mean())), 1e-5)
        self.assertLess(abs(float(normalised[mask].std()) - 1), 1e-4)
