"""domains.mri.quality.data (the package's entry point): `load_quality_data`, `QualityData`, `with_train_volumes`."""

import gzip
import pathlib

import nibabel as nib
import numpy as np
import pytest

from core.testing import TestCase
from domains.mri.io import NiftiError
from domains.mri.quality.data import load_quality_data
from domains.mri.quality.data.splits import GAP_MM
from domains.mri.quality.evaluation import group_reports


class LoadQualityDataTest(TestCase):
    @pytest.fixture(autouse=True)
    def _phantoms(self, phantom_folder):
        self.phantom_folder = phantom_folder

    def test_load_quality_data_from_a_folder(self):
        data = load_quality_data(self.phantom_folder, slice_size=32, val_draws=1, test_draws=2)
        assert len(data.sources) == 2 and all(len(getattr(data, s)) for s in ("train", "val", "test"))
        assert len(data.test_set) == 2 * len(data.test) == len(data.test_contrast_set)
        assert not np.array_equal(data.test_set.x, data.test_contrast_set.x)
        rows = data.summary()
        self.assertEqual([r["split"] for r in rows], ["train", "val", "test"])
        self.assertEqual(rows[0]["examples"], "on the fly")

    def test_bad_volumes_are_named(self):
        four_d = self.phantom_folder / "four_d.nii.gz"  # a real 4-D EPI is refused the same way (tests/domains/mri/test_io.py)
        nib.save(nib.Nifti1Image(np.zeros((8, 6, 4, 2), "int16"), np.eye(4)), str(four_d))
        with self.assertRaisesRegex(NiftiError, r"four_d.nii.gz: expected a 3-D volume"):
            load_quality_data(self.phantom_folder, slice_size=32)
        folder = pathlib.Path(self.get_temp_dir())
        corrupt = folder / "corrupt.nii.gz"
        corrupt.write_bytes(gzip.compress(b"not a nifti header" * 30))
        with self.assertRaisesRegex(NiftiError, r"corrupt.nii.gz: not a readable NIfTI file"):
            load_quality_data(corrupt)
        (folder / "empty").mkdir()
        with self.assertRaisesRegex(FileNotFoundError, r"empty: no .nii or .nii.gz files found"):
            load_quality_data(folder / "empty")

    def test_all_orientations_split_per_volume_and_axis_and_train_volumes(self):
        data = load_quality_data(self.phantom_folder, slice_size=32, axis="all", val_draws=1, test_draws=1,
                                 train_volumes=1)
        first, second = data.sources
        self.assertEqual(data.config["axis"], [0, 1, 2])
        self.assertEqual(data.config["train_volumes"], 1)
        # train_volumes restricts training only: validation and test keep every volume.
        assert set(data.train.sources) == {first} and set(data.test.sources) == {first, second} == set(data.val.sources)
        for source in (first, second):
            for axis in (0, 1, 2):
                where = {name: (s.sources == source) & (s.axes == axis) for name, s in
                         (("train", data.train), ("val", data.val), ("test", data.test))}
                mm = {name: getattr(data, name).positions[rows] * getattr(data, name).spacing_mm[rows]
                      for name, rows in where.items()}
                assert len(mm["test"]), (source, axis)  # every stack feeds the test split
                for low, high in (("train", "val"), ("train", "test"), ("val", "test")):
                    if len(mm[low]) and len(mm[high]):  # no slice within the gap of a more protected split
                        assert np.abs(mm[low][:, None] - mm[high][None]).min() > GAP_MM
        # No test slice is a training slice: (volume, axis, position) never repeat across splits.
        keys = {name: set(zip(s.sources, s.axes.tolist(), s.positions.tolist())) for name, s in
                (("train", data.train), ("val", data.val), ("test", data.test))}
        assert not keys["train"] & keys["test"] and not keys["val"] & keys["test"] and not keys["train"] & keys["val"]
        assert [row[name] for row in data.summary() for name in ("sagittal", "coronal", "axial")]
        # The report scores each volume and each orientation of the test set; groups partition it.
        groups = group_reports(data, data.test_set, data.test_set.y, (0.5, 1.0))
        self.assertEqual(sum(groups[f"axis {name}"]["n"] for name in ("sagittal", "coronal", "axial")),
                         len(data.test_set))
        self.assertEqual(sum(r["n"] for name, r in groups.items() if name.startswith("volume")), len(data.test_set))
        assert all(r["residual_std"] == 0 for r in groups.values())
        assert len(data.test_remap_set) == len(data.test_set) and not np.allclose(data.test_remap_set.x, data.test_set.x)
        with self.assertRaisesRegex(ValueError, "train_volumes must be an integer from 1 to the 2"):
            load_quality_data(self.phantom_folder, slice_size=32, train_volumes=3)
