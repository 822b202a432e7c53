"""Held-out volumes: every usable slice of a volume no model trained on, motion-corrupted with fixed seeds.

The test split of `load_quality_data` holds slabs of volumes whose other slabs were trained on
(unseen planes of seen anatomy). A held-out volume is scored whole instead: every usable slice
along each asked axis (no slab split, every `slice_step`-th slice), each corrupted `draws` times
with seeded motions (`corrupt_slices`, seed `seed + HELDOUT_SEED_OFFSET`). A volume named
skull-stripped can also be wrapped in a SYNTHETIC head (`domains.mri.quality.skull`), with a head
seed no training head uses, and scored at the same positions with the same motions (a paired
comparison); a volume that has its own skull is scored as it is.

The constant baseline's answer is the mean SSIM label of the *sample* training slices (the
presets' training data: `sample_training_mean`), never a label of a held-out volume.

Example:
```python
from core.data import samples
heldout = load_heldout_data([samples.fetch("mri.anatomical")], slice_size=64, draws=2)
heldout.sets["anatomical.nii"].corrupted.y.shape
```
"""

import dataclasses
import pathlib

import numpy as np

from domains.mri.io import NIFTI_SUFFIXES, foreground_mask, list_volumes, load_volume
from domains.mri.quality.data.corruption import SEVERITY_RANGE, CorruptedSet, corrupt_slices
from domains.mri.quality.data.heads import _same_positions
from domains.mri.quality.data.slices import (
    DEFAULT_AXIS,
    MIN_FOREGROUND,
    SliceSet,
    _slice_volume,
    check_volume_size,
    load_slices,
    sample_volume_paths,
    slice_axes,
)
from domains.mri.quality.data.splits import GAP_MM, SPLIT_PATTERN, split_slices
from domains.mri.quality.model import DEFAULT_SLICE_SIZE
from domains.mri.quality.skull import synthetic_head

# The real held-out sample volumes (Colin27, one subject, Debian's mricron-data): the same head
# brain-extracted and with its skull. No preset trained on them.
HELDOUT_SAMPLES = ("mri.colin27_brain", "mri.colin27")
HELDOUT_SKULL_STRIPPED = ("mri.colin27_brain",)
HELDOUT_SEED_OFFSET = 11  # the motions: seed + 11 (the test split uses seed + 2 ... + 6)
HELDOUT_HEAD_SEED = 10 ** 6  # synthetic heads of training use seeds 1000 * volume + 3 * seed + split
TRAIN_LABEL_SEED = 7  # as `evaluation.TRAIN_LABEL_SEED`: the training slices' motions of the constant
SYNTHETIC_SKULL = " + SYNTHETIC skull"


@dataclasses.dataclass
class HeldOutSet:
    """One held-out volume (or its SYNTHETIC-skull version): motion-free slices and their corrupted copies.

    Attributes:
        slices: SliceSet (every kept slice along each asked axis).
        corrupted: CorruptedSet (`draws` seeded motions per slice).
        source: str, the file.
        skull: str. "as scanned" (the file's own head), "skull-stripped" (named so), or
            "SYNTHETIC" (a skull-stripped volume wrapped by `synthetic_head`).
    """

    slices: SliceSet
    corrupted: CorruptedSet
    source: str
    skull: str


@dataclasses.dataclass
class HeldOutData:
    """Held-out volumes to score whole, and the constant baseline's answer.

    Attributes:
        sets: dict {label: HeldOutSet}; the label is the file name, with " + SYNTHETIC skull" for
            a wrapped copy.
        constant: float. The mean SSIM label of the sample training slices (`sample_training_mean`).
        config: dict of the options that built it.
    """

    sets: dict
    constant: float
    config: dict


def heldout_paths(data):
    """The held-out volumes: `data` (a NIfTI file, a folder of them or a list), or the held-out samples.

    Args:
        data: None, a str/Path of a `.nii`/`.nii.gz` file or folder, or a list of files.

    Returns:
        list of str.
    """
    if data is None:
        from core.data import samples

        return [str(samples.fetch(name, verbose=False)) for name in HELDOUT_SAMPLES]
    items = [data] if isinstance(data, (str, pathlib.Path)) else list(data)
    paths = []
    for item in items:
        item = pathlib.Path(item)
        if item.is_dir():
            paths.extend(str(p) for p in list_volumes(item))
        elif item.name.endswith(NIFTI_SUFFIXES):
            paths.append(str(item))
        else:
            raise ValueError(f"{item}: expected a NIfTI volume (.nii or .nii.gz) or a folder of them")
    if not paths:
        raise ValueError(f"No NIfTI volume found to hold out. Received: data={data!r}")
    return paths


def heldout_skull_stripped():
    """The file names of the skull-stripped held-out samples (`HELDOUT_SKULL_STRIPPED`: Colin27's brain)."""
    from core.data import samples

    return [pathlib.Path(samples.fetch(name, verbose=False)).name for name in HELDOUT_SKULL_STRIPPED]


def sample_training_mean(slice_size=DEFAULT_SLICE_SIZE, axis=DEFAULT_AXIS, min_foreground=MIN_FOREGROUND,
                         pattern=SPLIT_PATTERN, gap_mm=GAP_MM, severity_range=SEVERITY_RANGE, draws=8, seed=0,
                         motion_kwargs=None, paths=None):
    """The mean SSIM label of the training slices of the sample volumes: the constant baseline's answer.

    The same number as `evaluation.training_label_mean(load_quality_data(...))` for the same
    options, without simulating the validation and test sets.

    Args:
        slice_size, axis, min_foreground, pattern, gap_mm, severity_range, motion_kwargs: as
            `load_quality_data`.
        draws: int. Motions per training slice (`load_quality_data`'s `val_draws`). Defaults to 8.
        seed: int. The data seed (the motions use `seed + 7`). Defaults to 0.
        paths: list of NIfTI paths or None (the sample volumes). Defaults to None.

    Returns:
        float.
    """
    paths = sample_volume_paths() if paths is None else [str(p) for p in paths]
    train = split_slices(load_slices(paths, slice_size, axis, min_foreground), pattern, gap_mm)["train"]
    labels = corrupt_slices(train, draws, seed + TRAIN_LABEL_SEED, severity_range=tuple(severity_range),
                            motion_kwargs=motion_kwargs or None).y
    return float(np.mean(labels))


def _every(slices, step):
    """Every `step`-th kept slice of each (volume, axis) stack, by position."""
    keep = [i for i in range(len(slices)) if slices.positions[i] % step == 0]
    return slices.subset(keep)


def load_heldout_data(paths, constant, slice_size=DEFAULT_SLICE_SIZE, axis=DEFAULT_AXIS, min_foreground=MIN_FOREGROUND,
                      severity_range=SEVERITY_RANGE, draws=8, seed=0, motion_kwargs=None, skull_stripped=(),
                      synthetic_skull=False, slice_step=1):
    """Every usable slice of each held-out volume, corrupted with seeded motions (module docstring).

    Args:
        paths: list of NIfTI paths (`heldout_paths`).
        constant: float. The constant baseline's answer (`sample_training_mean`).
        slice_size, axis, min_foreground, severity_range, motion_kwargs: as `load_quality_data`.
        draws: int. Motions per slice. Defaults to 8.
        seed: int. The motions use `seed + HELDOUT_SEED_OFFSET`. Defaults to 0.
        skull_stripped: file names (or paths) among `paths` that are skull-stripped. Defaults to ().
        synthetic_skull: bool. Also score each skull-stripped volume wrapped in a SYNTHETIC head
            (seed `HELDOUT_HEAD_SEED + seed`), at its positions with its motions. Defaults to False.
        slice_step: int >= 1. Keep every `slice_step`-th slice (position divisible by it). Defaults to 1.

    Returns:
        HeldOutData.

    Raises:
        ValueError: `synthetic_skull` without a skull-stripped volume, a `skull_stripped` name that
            is not among `paths`, a bad `slice_step`, or a volume with no usable slice.
    """
    if not isinstance(slice_step, (int, np.integer)) or slice_step < 1:
        raise ValueError(f"slice_step must be an integer >= 1. Received: slice_step={slice_step!r}")
    paths = [str(p) for p in paths]
    names = [pathlib.Path(p).name for p in paths]
    stripped = {pathlib.Path(str(name)).name for name in (skull_stripped or ())}
    if stripped - set(names):
        raise ValueError(f"skull_stripped must name held-out volumes ({names}). Received: skull_stripped={sorted(stripped)}")
    if synthetic_skull and not stripped:
        raise ValueError("skull=true on held-out volumes wraps the skull-stripped ones in a SYNTHETIC skull: name them "
                         f"with skull_stripped=[file names] (among {names}). Received: skull_stripped={list(skull_stripped or ())}")
    axes = slice_axes(axis)
    kwargs = dict(severity_range=tuple(severity_range), motion_kwargs=motion_kwargs or None)
    motion_seed = seed + HELDOUT_SEED_OFFSET
    sets = {}
    for path, name in zip(paths, names):
        volume, _, voxel_size = load_volume(path)
        for a in axes:
            check_volume_size(volume.shape, path, slice_size, a)
        slices = _every(SliceSet.concatenate([_slice_volume(volume, voxel_size, path, slice_size, a, min_foreground)
                                              for a in axes]), slice_step)
        if not len(slices):
            raise ValueError(f"{path}: no slice has a foreground of at least {min_foreground:.0%} of its square. "
                             f"Received: min_foreground={min_foreground}")
        skull = "skull-stripped" if name in stripped else "as scanned"
        if not (synthetic_skull and name in stripped):
            sets[name] = HeldOutSet(slices, corrupt_slices(slices, draws, motion_seed, **kwargs), path, skull)
            continue
        head = synthetic_head(volume, foreground_mask(np.clip(volume, 0.0, None)), voxel_size, seed=HELDOUT_HEAD_SEED + seed)
        heads = _every(SliceSet.concatenate([_slice_volume(head.volume, voxel_size, path, slice_size, a, min_foreground)
                                             for a in axes]), slice_step)
        # Paired: the positions kept in both, each with the same motions.
        keys = set(zip(slices.axes.tolist(), slices.positions.tolist()))
        heads = heads.subset([i for i, key in enumerate(zip(heads.axes.tolist(), heads.positions.tolist())) if key in keys])
        slices = _same_positions(slices, heads)
        sets[name] = HeldOutSet(slices, corrupt_slices(slices, draws, motion_seed, **kwargs), path, skull)
        sets[name + SYNTHETIC_SKULL] = HeldOutSet(heads, corrupt_slices(heads, draws, motion_seed, **kwargs), path,
                                                  "SYNTHETIC")
    config = dict(slice_size=slice_size, axis=list(axes), min_foreground=min_foreground,
                  severity_range=list(severity_range), draws=draws, seed=seed, motion_seed=motion_seed,
                  motion_kwargs=motion_kwargs or {}, skull_stripped=sorted(stripped), synthetic_skull=bool(synthetic_skull),
                  head_seed=HELDOUT_HEAD_SEED + seed if synthetic_skull else None, slice_step=int(slice_step),
                  sources=paths)
    return HeldOutData(sets=sets, constant=float(constant), config=config)
