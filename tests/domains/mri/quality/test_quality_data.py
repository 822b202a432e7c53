import gzip

import numpy as np
import pytest
import tensorflow as tf

from core.data import samples
from domains.mri.io import NiftiError
from domains.mri.quality.data import (
    GAP_MM,
    SliceSet,
    corrupt_slices,
    load_quality_data,
    load_slices,
    slice_axes,
    split_slices,
    ssim_label,
    training_dataset,
    volume_slices,
)
from domains.mri.quality.evaluation import group_reports
from domains.mri.quality.model import contrast_augment, intensity_remap


def test_real_anatomical_slices():
    path = samples.fetch("mri.anatomical", verbose=False)
    slices = volume_slices(path, slice_size=32)
    assert 10 <= len(slices) <= 25  # 25 axial slices, the ends have little head
    assert slices.images.shape == (len(slices), 32, 32, 1) and slices.images.dtype == np.float32
    assert set(np.unique(slices.masks)) <= {0.0, 1.0}
    assert slices.masks.reshape(len(slices), -1).mean(axis=1).min() >= 0.15
    assert 0.0 <= slices.images.min() and 0.8 < np.percentile(slices.images[slices.masks > 0], 99.5) < 1.3
    assert np.all(np.diff(slices.positions) > 0) and np.all(slices.spacing_mm == pytest.approx(2.0))
    assert set(slices.sources) == {str(path)}


def test_other_axes_and_bad_arguments():
    path = samples.fetch("mri.anatomical", verbose=False)
    sagittal = volume_slices(path, slice_size=32, axis=0)
    assert sagittal.positions.max() < 33
    with pytest.raises(ValueError, match="axis must be 0, 1 or 2"):
        volume_slices(path, axis=3)
    with pytest.raises(ValueError, match="slice_size must be an integer >= 16"):
        volume_slices(path, slice_size=8)


def _fake_slices(positions_by_source, spacing=1.0, size=16):
    sources = np.array([s for s, positions in positions_by_source.items() for _ in positions], dtype=object)
    positions = np.array([p for ps in positions_by_source.values() for p in ps])
    n = len(positions)
    return SliceSet(np.zeros((n, size, size, 1), "float32"), np.ones((n, size, size, 1), "float32"),
                    sources, positions, np.full(n, spacing))


def test_split_keeps_a_gap_between_splits():
    slices = _fake_slices({"a.nii": range(10, 160), "b.nii": range(0, 40)})
    splits = split_slices(slices)
    counts = {name: len(s) for name, s in splits.items()}
    assert all(counts.values()) and sum(counts.values()) < len(slices)
    for source in ("a.nii", "b.nii"):
        mm = {name: s.positions[s.sources == source] * 1.0 for name, s in splits.items()}
        for low, high in (("train", "val"), ("train", "test"), ("val", "test")):
            if len(mm[low]) and len(mm[high]):
                assert np.abs(mm[low][:, None] - mm[high][None]).min() > GAP_MM
    # The second volume starts the pattern one entry later (with val), so small volumes feed every split.
    assert splits["val"].positions[splits["val"].sources == "b.nii"].min() == 0


def test_split_is_by_position_not_random():
    slices = _fake_slices({"a.nii": range(0, 100)})
    first, second = split_slices(slices), split_slices(slices.subset(np.arange(100)[::-1]))
    for name in first:
        assert sorted(first[name].positions) == sorted(second[name].positions)
    with pytest.raises(ValueError, match="pattern must be"):
        split_slices(slices, pattern=[("training", 10)])
    with pytest.raises(ValueError, match="gap_mm"):
        split_slices(slices, gap_mm=-1)


def test_ssim_label_uses_the_foreground():
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


def test_training_stream_is_fresh_deterministic_and_labelled(phantom_folder):
    slices = load_slices(phantom_folder, slice_size=32)
    first = next(iter(training_dataset(slices, batch_size=8, seed=3)))
    again = next(iter(training_dataset(slices, batch_size=8, seed=3)))
    other = next(iter(training_dataset(slices, batch_size=8, seed=4)))
    assert first[0].shape == (8, 32, 32, 1) and first[1].shape == (8,)
    np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
    assert not np.array_equal(first[0].numpy(), other[0].numpy())
    labels = first[1].numpy()
    assert np.all((labels > 0.2) & (labels <= 1.0 + 1e-6))
    # A long stream of one slice: every draw is a new motion.
    one = training_dataset(slices.subset([0]), batch_size=4, seed=0)
    batch = next(iter(one))[0].numpy()
    assert len({float(np.abs(b).sum()) for b in batch}) == 4
    augmented = next(iter(training_dataset(slices, batch_size=8, seed=3, augment_fn=contrast_augment)))
    assert not np.allclose(augmented[0].numpy(), first[0].numpy())


def test_fixed_evaluation_sets_are_reproducible(phantom_folder):
    slices = load_slices(phantom_folder, slice_size=32).subset(range(6))
    a, b = corrupt_slices(slices, draws=3, seed=1), corrupt_slices(slices, draws=3, seed=1)
    assert len(a) == 18 and a.x.shape == (18, 32, 32, 1)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert np.array_equal(a.slice_index, np.repeat(np.arange(6), 3))
    assert 0.0 <= a.severity.min() and a.severity.max() <= 1.0


def test_load_quality_data_from_a_folder(phantom_folder):
    data = load_quality_data(phantom_folder, slice_size=32, val_draws=1, test_draws=2)
    assert len(data.sources) == 2 and all(len(getattr(data, s)) for s in ("train", "val", "test"))
    assert len(data.test_set) == 2 * len(data.test) == len(data.test_contrast_set)
    assert not np.array_equal(data.test_set.x, data.test_contrast_set.x)
    rows = data.summary()
    assert [r["split"] for r in rows] == ["train", "val", "test"] and rows[0]["examples"] == "on the fly"


def test_bad_volumes_are_named(phantom_folder, tmp_path):
    import shutil

    shutil.copy(samples.fetch("mri.example4d", verbose=False), phantom_folder / "example4d.nii.gz")
    with pytest.raises(NiftiError, match=r"example4d.nii.gz: expected a 3-D volume"):
        load_quality_data(phantom_folder, slice_size=32)
    corrupt = tmp_path / "corrupt.nii.gz"
    corrupt.write_bytes(gzip.compress(b"not a nifti header" * 30))
    with pytest.raises(NiftiError, match=r"corrupt.nii.gz: not a readable NIfTI file"):
        volume_slices(corrupt)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty: no .nii or .nii.gz files found"):
        load_quality_data(tmp_path / "empty")


def test_contrast_augment_is_stateless_per_slice_and_single_or_batched():
    x = tf.random.stateless_uniform((4, 16, 16, 1), [0, 1])
    a = contrast_augment(x, tf.constant([5, 6]))
    np.testing.assert_array_equal(a.numpy(), contrast_augment(x, tf.constant([5, 6])).numpy())
    assert not np.allclose(a.numpy(), x.numpy())
    assert contrast_augment(x[0], tf.constant([1, 2])).shape == (16, 16, 1)


def test_all_orientations_split_per_volume_and_axis_and_train_volumes(phantom_folder):
    assert slice_axes("all") == (0, 1, 2) and slice_axes([2, 0]) == (2, 0) and slice_axes(1) == (1,)
    for bad in (3, [0, 0], "axial", []):
        with pytest.raises(ValueError, match="axis must be 0, 1 or 2"):
            slice_axes(bad)
    data = load_quality_data(phantom_folder, slice_size=32, axis="all", val_draws=1, test_draws=1, train_volumes=1)
    first, second = data.sources
    assert data.config["axis"] == [0, 1, 2] and data.config["train_volumes"] == 1
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
    assert sum(groups[f"axis {name}"]["n"] for name in ("sagittal", "coronal", "axial")) == len(data.test_set)
    assert sum(r["n"] for name, r in groups.items() if name.startswith("volume")) == len(data.test_set)
    assert all(r["residual_std"] == 0 for r in groups.values())
    assert len(data.test_remap_set) == len(data.test_set) and not np.allclose(data.test_remap_set.x, data.test_set.x)
    with pytest.raises(ValueError, match="train_volumes must be an integer from 1 to the 2"):
        load_quality_data(phantom_folder, slice_size=32, train_volumes=3)


def test_intensity_remap_keeps_air_black_and_can_invert_the_contrast():
    ramp = tf.reshape(tf.linspace(0.0, 1.0, 64), (1, 8, 8, 1))
    images = tf.tile(ramp, (64, 1, 1, 1))
    out = intensity_remap(images, tf.constant([3, 4])).numpy()
    np.testing.assert_array_equal(out, intensity_remap(images, tf.constant([3, 4])).numpy())
    assert np.all(out[:, 0, 0, 0] == 0.0) and 0.0 <= out.min() and out.max() <= 1.0
    # Other contrasts: for some slices the dark end of the ramp comes out brighter than the bright end.
    assert np.any(out[:, 2, 0, 0] > out[:, 7, 7, 0])
    assert len({float(v) for v in out[:, 4, 4, 0]}) == 64  # a curve of its own per slice
    np.testing.assert_array_equal(intensity_remap(images, tf.constant([3, 4]), probability=0.0).numpy(), images)
    assert intensity_remap(images[0], tf.constant([1, 2])).shape == (8, 8, 1)
    with pytest.raises(ValueError, match="Received: knots=2"):
        intensity_remap(images, tf.constant([3, 4]), knots=2)
