"""domains.mri.quality.skull: synthetic heads around skull-stripped brains, and the with-skull data."""

import json
import pathlib

import numpy as np
import pytest
from scipy import ndimage

from core.testing import TestCase
from domains.mri.quality.data import load_quality_data
from domains.mri.quality.data.heads import _same_positions
from domains.mri.quality.data.stream import training_dataset
from domains.mri.quality.skull import CSF_MM, LAYERS, SCALP_MM, SKULL_MM, synthetic_head


def _brain(shape=(90, 100, 90)):
    """An ellipsoidal 'brain' (1 mm voxels) with a brighter core, 20+ mm from every side."""
    grid = np.stack(np.meshgrid(*[np.arange(n) - n / 2 for n in shape], indexing="ij"))
    radius = ((grid / np.array([25.0, 30.0, 22.0])[:, None, None, None]) ** 2).sum(0)
    volume = np.where(radius < 1, 120.0, 0.0) + np.where(radius < 0.4, 80.0, 0.0)
    return volume.astype("float32"), radius < 1


def _touching(region, other):
    """Voxels of `region` with a face neighbour in `other`."""
    return region & ndimage.binary_dilation(other)


class SyntheticHeadTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.volume, cls.mask = _brain()
        cls.head = synthetic_head(cls.volume, cls.mask, seed=3)  # one head shared by the class's tests

    def test_shell_wraps_the_brain_without_touching_it(self):
        volume, mask, head = self.volume, self.mask, self.head
        np.testing.assert_array_equal(head.volume[mask], volume[mask])
        self.assertTrue(np.all(head.labels[mask] == 1))
        self.assertFalse(np.any(head.labels[~mask] == 1))
        np.testing.assert_array_equal(head.volume[head.labels == 0], volume[head.labels == 0])  # air untouched
        for name in LAYERS:
            self.assertTrue(head.layer(name).any(), name)
        # T1 contrast: bone tables dark, marrow brighter, scalp fat brighter than the brain's white matter.
        level = {name: head.volume[head.layer(name)].mean() for name in LAYERS}
        self.assertLess(level["inner_table"], level["diploe"])
        self.assertLess(level["outer_table"], level["diploe"])
        self.assertLess(level["diploe"], level["fat"])
        self.assertGreater(level["fat"], np.percentile(volume[mask], 95) * 0.9)
        self.assertLess(level["csf"], level["diploe"])

    def test_layer_thicknesses_are_in_the_documented_ranges(self):
        mask, head = self.mask, self.head
        inside = head.layer("brain") | head.layer("csf")
        skull = head.layer("inner_table") | head.layer("diploe") | head.layer("outer_table")
        scalp = head.layer("fat") | head.layer("skin")
        # Local thickness = distance from a layer's outer surface to the region inside it (1 voxel slack).
        measured = {
            "csf": ndimage.distance_transform_edt(~mask)[_touching(head.layer("csf"), skull)],
            "skull": ndimage.distance_transform_edt(~inside)[_touching(skull, scalp)],
            "scalp": ndimage.distance_transform_edt(~(inside | skull))[_touching(scalp, head.labels == 0)],
        }
        for name, (low, high) in (("csf", CSF_MM), ("skull", SKULL_MM), ("scalp", SCALP_MM)):
            message = f"{name}: {measured[name].min()} to {measured[name].max()}"
            self.assertLessEqual(low - 1.0, measured[name].min(), message)
            self.assertLessEqual(measured[name].max(), high + 1.0, message)
            self.assertGreater(np.ptp(measured[name]), 0.3 * (high - low), name)  # the thickness varies over the head

    def test_heads_are_deterministic_by_seed(self):
        volume, mask, head = self.volume, self.mask, self.head
        again, other = synthetic_head(volume, mask, seed=[3, 4])
        np.testing.assert_array_equal(again.volume, head.volume)
        np.testing.assert_array_equal(again.labels, head.labels)
        self.assertFalse(np.array_equal(other.labels, head.labels))
        with self.assertRaisesRegex(ValueError, r"Received: volume.shape=\(4, 4\)"):
            synthetic_head(np.zeros((4, 4)), np.ones((4, 4), bool))


class WithSkullDataTest(TestCase):
    @pytest.fixture(autouse=True)
    def _phantoms(self, phantom_volume, write_volume):
        self.phantom_volume, self.write_volume = phantom_volume, write_volume
        self.tmp = pathlib.Path(self.get_temp_dir())

    def _skull_folder(self):
        """A phantom 'skull-stripped' volume with room for a head around it, and an unstripped one."""
        folder = self.tmp / "volumes"
        folder.mkdir()
        self.write_volume(folder / "stripped.nii.gz", np.pad(self.phantom_volume(seed=0), 10))
        self.write_volume(folder / "head.nii", self.phantom_volume(shape=(36, 40, 40), seed=1))
        return folder

    def test_with_skull_slices_report_and_training_stream(self):
        from domains.mri.quality.evaluation import report
        from domains.mri.quality.model import SSIMRegressor

        skull_folder = self._skull_folder()
        with self.assertRaisesRegex(ValueError, r"Received: skull_stripped=None"):
            load_quality_data(skull_folder, slice_size=32, skull=True)
        data = load_quality_data(skull_folder, slice_size=32, axis=[0, 2], val_draws=1, test_draws=2, skull=True,
                                 skull_stripped=["stripped.nii.gz"])
        stripped = str(skull_folder / "stripped.nii.gz")
        for split, skulls in (("train", data.train_skull), ("test", data.test_skull)):
            self.assertGreater(len(skulls), 0)
            self.assertEqual(set(skulls.sources), {stripped})
            plain = getattr(data, split)
            keys = set(zip(plain.axes[plain.sources == stripped].tolist(), plain.positions[plain.sources == stripped].tolist()))
            self.assertLessEqual(set(zip(skulls.axes.tolist(), skulls.positions.tolist())), keys)  # same positions: no leak
        self.assertEqual(len(data.test_skull_set), 2 * len(data.test_skull))
        # Paired: the stripped test slices at the same positions, in the same order, with the same motions.
        paired = _same_positions(data.test, data.test_skull)
        self.assertEqual(paired.positions.tolist(), data.test_skull.positions.tolist())
        self.assertEqual(paired.axes.tolist(), data.test_skull.axes.tolist())
        self.assertEqual(set(paired.sources), {stripped})
        np.testing.assert_array_equal(data.test_stripped_set.slice_index, data.test_skull_set.slice_index)
        np.testing.assert_array_equal(data.test_stripped_set.severity, data.test_skull_set.severity)
        self.assertFalse(np.array_equal(data.test_stripped_set.x, data.test_skull_set.x))

        model = SSIMRegressor(slice_size=32, width=8)
        result = report(model, data, self.tmp / "eval", "tiny")
        full = json.loads((self.tmp / "eval" / "report.json").read_text())["details"]
        self.assertEqual(full["test_stripped"]["n"], full["test_skull"]["n"])
        self.assertEqual(full["test_skull"]["n"], len(data.test_skull_set))
        self.assertLessEqual({"stripped_residual_std", "skull_residual_std", "skull_accuracy_10"}, set(result["metrics"]))
        self.assertEqual(set(result["baselines"]["constant_train_mean"]), set(result["metrics"]))
        self.assertTrue((self.tmp / "eval" / "skull_example.png").exists())

        only_skull = training_dataset(data.train, batch_size=4, skull_slices=data.train_skull, skull_probability=1.0)
        x, y = next(iter(only_skull))
        self.assertEqual(x.shape, (4, 32, 32, 1))
        self.assertTrue(np.all((y.numpy() > -1) & (y.numpy() <= 1)))
        for bad in (1.5, -0.1, "half"):
            with self.assertRaisesRegex(ValueError, r"Received: skull_probability="):
                training_dataset(data.train, skull_slices=data.train_skull, skull_probability=bad)

    def test_cli_options_build_the_skull_data(self):
        from core.registry import RunConfig
        from domains.mri.quality.task import SSIMRegressionTask, _data

        skull_folder = self._skull_folder()
        task = SSIMRegressionTask()

        def config(**options):
            return RunConfig(output_dir=self.tmp, data=str(skull_folder), options=task.resolve_options(
                {"val_draws": 1, "test_draws": 1, "skull_stripped": ["stripped.nii.gz"], **options}))

        self.assertIsNone(_data(config(), 32).test_skull_set)  # off by default
        data = _data(config(skull_probability=0.5), 32)  # training on it implies the with-skull data
        self.assertGreater(len(data.train_skull), 0)
        self.assertGreater(len(data.test_skull_set), 0)
        self.assertTrue(data.config["skull_stripped"][0].endswith("stripped.nii.gz"))
        with self.assertRaisesRegex(ValueError, r"Received: skull_probability=1.5"):
            _data(config(skull_probability=1.5), 32)
