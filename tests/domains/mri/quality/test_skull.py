import json

import numpy as np
import pytest
from scipy import ndimage

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


@pytest.fixture(scope="module")
def brain_and_head():
    volume, mask = _brain()
    return volume, mask, synthetic_head(volume, mask, seed=3)


def test_shell_wraps_the_brain_without_touching_it(brain_and_head):
    volume, mask, head = brain_and_head
    np.testing.assert_array_equal(head.volume[mask], volume[mask])
    assert np.all(head.labels[mask] == 1) and not np.any(head.labels[~mask] == 1)
    np.testing.assert_array_equal(head.volume[head.labels == 0], volume[head.labels == 0])  # air untouched
    for name in LAYERS:
        assert head.layer(name).any(), name
    # T1 contrast: bone tables dark, marrow brighter, scalp fat brighter than the brain's white matter.
    level = {name: head.volume[head.layer(name)].mean() for name in LAYERS}
    assert level["inner_table"] < level["diploe"] and level["outer_table"] < level["diploe"] < level["fat"]
    assert level["fat"] > np.percentile(volume[mask], 95) * 0.9 and level["csf"] < level["diploe"]


def test_layer_thicknesses_are_in_the_documented_ranges(brain_and_head):
    _, mask, head = brain_and_head
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
        assert low - 1.0 <= measured[name].min() and measured[name].max() <= high + 1.0, (name, measured[name].min(),
                                                                                       measured[name].max())
        assert np.ptp(measured[name]) > 0.3 * (high - low), name  # the thickness varies over the head


def test_heads_are_deterministic_by_seed(brain_and_head):
    volume, mask, head = brain_and_head
    again, other = synthetic_head(volume, mask, seed=[3, 4])
    np.testing.assert_array_equal(again.volume, head.volume)
    np.testing.assert_array_equal(again.labels, head.labels)
    assert not np.array_equal(other.labels, head.labels)
    with pytest.raises(ValueError, match=r"Received: volume.shape=\(4, 4\)"):
        synthetic_head(np.zeros((4, 4)), np.ones((4, 4), bool))


@pytest.fixture
def skull_folder(tmp_path, phantom_volume, write_volume):
    """A phantom 'skull-stripped' volume with room for a head around it, and an unstripped one."""
    folder = tmp_path / "volumes"
    folder.mkdir()
    write_volume(folder / "stripped.nii.gz", np.pad(phantom_volume(seed=0), 10))
    write_volume(folder / "head.nii", phantom_volume(shape=(36, 40, 40), seed=1))
    return folder


def test_with_skull_slices_report_and_training_stream(skull_folder, tmp_path):
    from domains.mri.quality.evaluation import report
    from domains.mri.quality.model import SSIMRegressor

    with pytest.raises(ValueError, match=r"Received: skull_stripped=None"):
        load_quality_data(skull_folder, slice_size=32, skull=True)
    data = load_quality_data(skull_folder, slice_size=32, axis=[0, 2], val_draws=1, test_draws=2, skull=True,
                             skull_stripped=["stripped.nii.gz"])
    stripped = str(skull_folder / "stripped.nii.gz")
    for split, skulls in (("train", data.train_skull), ("test", data.test_skull)):
        assert len(skulls) and set(skulls.sources) == {stripped}
        plain = getattr(data, split)
        keys = set(zip(plain.axes[plain.sources == stripped].tolist(), plain.positions[plain.sources == stripped].tolist()))
        assert set(zip(skulls.axes.tolist(), skulls.positions.tolist())) <= keys  # same positions: no leak
    assert len(data.test_skull_set) == 2 * len(data.test_skull)
    # Paired: the stripped test slices at the same positions, in the same order, with the same motions.
    paired = _same_positions(data.test, data.test_skull)
    assert paired.positions.tolist() == data.test_skull.positions.tolist()
    assert paired.axes.tolist() == data.test_skull.axes.tolist() and set(paired.sources) == {stripped}
    np.testing.assert_array_equal(data.test_stripped_set.slice_index, data.test_skull_set.slice_index)
    np.testing.assert_array_equal(data.test_stripped_set.severity, data.test_skull_set.severity)
    assert not np.array_equal(data.test_stripped_set.x, data.test_skull_set.x)

    model = SSIMRegressor(slice_size=32, width=8)
    result = report(model, data, tmp_path / "eval", "tiny")
    full = json.loads((tmp_path / "eval" / "report.json").read_text())["details"]
    assert full["test_stripped"]["n"] == full["test_skull"]["n"] == len(data.test_skull_set)
    assert {"stripped_residual_std", "skull_residual_std", "skull_accuracy_10"} <= set(result["metrics"])
    assert set(result["baselines"]["constant_train_mean"]) == set(result["metrics"])
    assert (tmp_path / "eval" / "skull_example.png").exists()

    only_skull = training_dataset(data.train, batch_size=4, skull_slices=data.train_skull, skull_probability=1.0)
    x, y = next(iter(only_skull))
    assert x.shape == (4, 32, 32, 1) and np.all((y.numpy() > -1) & (y.numpy() <= 1))
    for bad in (1.5, -0.1, "half"):
        with pytest.raises(ValueError, match=r"Received: skull_probability="):
            training_dataset(data.train, skull_slices=data.train_skull, skull_probability=bad)


def test_cli_options_build_the_skull_data(skull_folder, tmp_path):
    from core.registry import RunConfig
    from domains.mri.quality.task import SSIMRegressionTask, _data

    task = SSIMRegressionTask()

    def config(**options):
        return RunConfig(output_dir=tmp_path, data=str(skull_folder), options=task.resolve_options(
            {"val_draws": 1, "test_draws": 1, "skull_stripped": ["stripped.nii.gz"], **options}))

    assert _data(config(), 32).test_skull_set is None  # off by default
    data = _data(config(skull_probability=0.5), 32)  # training on it implies the with-skull data
    assert len(data.train_skull) and len(data.test_skull_set) and data.config["skull_stripped"][0].endswith("stripped.nii.gz")
    with pytest.raises(ValueError, match=r"Received: skull_probability=1.5"):
        _data(config(skull_probability=1.5), 32)
