"""domains.mri.quality.data.heldout: whole held-out volumes, their SYNTHETIC-skull pairs, the constant's answer."""

import pathlib

import numpy as np
import pytest

from core.testing import TestCase
from domains.mri.quality.data import load_quality_data
from domains.mri.quality.data.heldout import (
    HELDOUT_SAMPLES,
    SYNTHETIC_SKULL,
    heldout_paths,
    load_heldout_data,
    sample_training_mean,
)
from domains.mri.quality.data.slices import load_slices
from domains.mri.quality.evaluation import training_label_mean


class HeldOutDataTest(TestCase):
    @pytest.fixture(autouse=True)
    def _phantoms(self, phantom_volume, write_volume, phantom_folder):
        self.tmp = pathlib.Path(self.get_temp_dir())
        self.phantom_folder = phantom_folder
        self.stripped = write_volume(self.tmp / "stripped.nii.gz", np.pad(phantom_volume(seed=0), 10))
        self.head = write_volume(self.tmp / "head.nii", phantom_volume(shape=(36, 40, 40), seed=1))

    def test_every_slice_of_each_volume_is_scored_with_seeded_motions(self):
        heldout = load_heldout_data([self.head], constant=0.8, slice_size=32, axis=[0, 2], draws=2, seed=3)
        self.assertEqual(list(heldout.sets), ["head.nii"])
        whole = load_slices([self.head], 32, [0, 2])  # no slab split: every usable slice of both axes
        scored = heldout.sets["head.nii"]
        self.assertEqual(len(scored.slices), len(whole))
        self.assertEqual(scored.skull, "as scanned")
        self.assertEqual(len(scored.corrupted), 2 * len(whole))
        again = load_heldout_data([self.head], constant=0.8, slice_size=32, axis=[0, 2], draws=2, seed=3)
        np.testing.assert_array_equal(again.sets["head.nii"].corrupted.y, scored.corrupted.y)
        other = load_heldout_data([self.head], constant=0.8, slice_size=32, axis=[0, 2], draws=2, seed=4)
        assert not np.array_equal(other.sets["head.nii"].corrupted.severity, scored.corrupted.severity)
        every_third = load_heldout_data([self.head], constant=0.8, slice_size=32, axis=2, draws=1, slice_step=3)
        positions = every_third.sets["head.nii"].slices.positions
        assert len(positions) and np.all(positions % 3 == 0)
        self.assertEqual(heldout.constant, 0.8)

    def test_a_skull_stripped_volume_gets_a_paired_synthetic_skull(self):
        heldout = load_heldout_data([self.stripped, self.head], constant=0.8, slice_size=32, axis=[0, 2], draws=2,
                                    skull_stripped=["stripped.nii.gz"], synthetic_skull=True)
        self.assertEqual(list(heldout.sets), ["stripped.nii.gz", "stripped.nii.gz" + SYNTHETIC_SKULL, "head.nii"])
        plain, wrapped = heldout.sets["stripped.nii.gz"], heldout.sets["stripped.nii.gz" + SYNTHETIC_SKULL]
        self.assertEqual((plain.skull, wrapped.skull, heldout.sets["head.nii"].skull),
                         ("skull-stripped", "SYNTHETIC", "as scanned"))
        self.assertGreater(len(wrapped.slices), 0)
        # The same positions in the same order, with the same motions; only the head differs.
        self.assertEqual(plain.slices.positions.tolist(), wrapped.slices.positions.tolist())
        self.assertEqual(plain.slices.axes.tolist(), wrapped.slices.axes.tolist())
        np.testing.assert_array_equal(plain.corrupted.severity, wrapped.corrupted.severity)
        assert not np.array_equal(plain.slices.images, wrapped.slices.images)
        # The synthetic head's foreground (the SSIM mask) is larger than the brain's.
        self.assertGreater(wrapped.slices.masks.sum(), plain.slices.masks.sum())
        self.assertEqual(heldout.config["skull_stripped"], ["stripped.nii.gz"])

    def test_bad_requests_are_refused_naming_what_was_expected(self):
        with self.assertRaisesRegex(ValueError, r"name them with skull_stripped=.*Received: skull_stripped=\[\]"):
            load_heldout_data([self.head], constant=0.8, slice_size=32, synthetic_skull=True)
        with self.assertRaisesRegex(ValueError, r"must name held-out volumes \(\['head.nii'\]\). "
                                                r"Received: skull_stripped=\['other.nii'\]"):
            load_heldout_data([self.head], constant=0.8, slice_size=32, skull_stripped=["other.nii"])
        with self.assertRaisesRegex(ValueError, "slice_step must be an integer >= 1. Received: slice_step=0"):
            load_heldout_data([self.head], constant=0.8, slice_size=32, slice_step=0)
        with self.assertRaisesRegex(ValueError, "expected a NIfTI volume"):
            heldout_paths([self.tmp / "notes.txt"])

    def test_paths_from_a_folder_a_file_or_the_samples(self):
        self.assertEqual(heldout_paths(str(self.head)), [str(self.head)])
        self.assertEqual({pathlib.Path(p).name for p in heldout_paths(self.phantom_folder)}, {"a.nii.gz", "b.nii"})
        self.assertEqual(HELDOUT_SAMPLES, ("mri.colin27_brain", "mri.colin27"))

    def test_the_constant_is_the_training_label_mean_of_the_same_data(self):
        data = load_quality_data(self.phantom_folder, slice_size=32, val_draws=2, test_draws=1, seed=5)
        constant = sample_training_mean(32, draws=2, seed=5, paths=data.sources)
        self.assertAlmostEqual(constant, training_label_mean(data), places=6)
        self.assertNotAlmostEqual(constant, sample_training_mean(32, draws=2, seed=6, paths=data.sources), places=6)
