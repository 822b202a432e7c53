"""Volumes to slices: read, normalise, crop, pad and resize every usable slice of NIfTI volumes.

Steps 1-3 (read, normalise per volume, slice, crop, pad and resize) of the path from volume to
example that `domains.mri.quality.data`'s docstring describes.

Example:
```python
from core.data import samples
slices = volume_slices(samples.fetch("mri.anatomical"), slice_size=64)
slices.images.shape   # (N, 64, 64, 1)
```
"""

import dataclasses
import pathlib

import numpy as np
import tensorflow as tf

from domains.mri.io import foreground_mask, list_volumes, load_volume
from domains.mri.quality.model import DEFAULT_SLICE_SIZE

DEFAULT_AXIS = 2
ORIENTATIONS = (0, 1, 2)  # RAS+ axes: sagittal, coronal, axial
ORIENTATION_NAMES = {0: "sagittal", 1: "coronal", 2: "axial"}
MIN_FOREGROUND = 0.15
SAMPLE_VOLUMES = ("mri.mni152_1mm", "mri.anatomical")


def min_in_plane_side(slice_size=DEFAULT_SLICE_SIZE):
    """The fewest voxels a volume may have along each side of its slices: an eighth of `slice_size`, at least 4.

    Slices are resized to `slice_size` pixels. The sample volumes the presets learned from are
    stretched at most about 5 times (nibabel's anatomical.nii: 25 to 41 voxels to 128 pixels); a
    side under an eighth of the slice would be stretched more than 8 times, into blur the model
    never saw (a 3×3×3 volume would still get an SSIM).

    Args:
        slice_size: int. Side of the model's square slices. Defaults to 128.

    Example:
    ```python
    min_in_plane_side(128)   # 16
    ```
    """
    return max(int(slice_size) // 8, 4)


def check_volume_size(shape, path, slice_size=DEFAULT_SLICE_SIZE, axis=DEFAULT_AXIS):
    """Refuse a volume whose slices along `axis` are too small for `slice_size` (`min_in_plane_side`).

    Args:
        shape: the volume's shape (3 ints).
        path: str or Path naming the volume in the message.
        slice_size: int. Side of the model's square slices. Defaults to 128.
        axis: int. Slicing axis (0 sagittal, 1 coronal, 2 axial). Defaults to 2.

    Raises:
        ValueError: an in-plane side under `min_in_plane_side(slice_size)` voxels (the message names
            the file, its shape, the orientation and the minimum).

    Example:
    ```python
    check_volume_size((193, 229, 193), "mni.nii.gz", 128, 2)   # passes
    ```
    """
    minimum = min_in_plane_side(slice_size)
    sides = [int(shape[a]) for a in ORIENTATIONS if a != axis]
    if min(sides) < minimum:
        raise ValueError(f"{path}: volume too small for {slice_size}-pixel slices: its {ORIENTATION_NAMES[axis]} "
                         f"slices are {sides[0]}×{sides[1]} voxels; each side must be at least {minimum} voxels "
                         f"(an eighth of the slice). Received: shape={tuple(int(n) for n in shape)}")


@dataclasses.dataclass
class SliceSet:
    """Motion-free slices and their foreground masks, with where each came from.

    Attributes:
        images: float32 `(N, S, S, 1)`, normalised intensities (about 0-1).
        masks: float32 `(N, S, S, 1)`, 1 on the foreground (brain or head).
        sources: str array `(N,)`, the file of each slice.
        positions: int array `(N,)`, the slice index along the slicing axis.
        spacing_mm: float array `(N,)`, the voxel size along the slicing axis.
        axes: int array `(N,)`, the slicing axis of each slice (0 sagittal, 1 coronal, 2 axial;
            all `DEFAULT_AXIS` if not given).
    """

    images: np.ndarray
    masks: np.ndarray
    sources: np.ndarray
    positions: np.ndarray
    spacing_mm: np.ndarray
    axes: np.ndarray = None

    def __post_init__(self):
        if self.axes is None:
            self.axes = np.full(len(self.images), DEFAULT_AXIS, dtype=int)

    def __len__(self):
        return len(self.images)

    @property
    def slice_size(self):
        return int(self.images.shape[1])

    def subset(self, indices):
        indices = np.asarray(indices, dtype=int)
        return SliceSet(*(getattr(self, f.name)[indices] for f in dataclasses.fields(SliceSet)))

    @staticmethod
    def concatenate(sets):
        sets = list(sets)
        return SliceSet(*(np.concatenate([getattr(s, f.name) for s in sets]) for f in dataclasses.fields(SliceSet)))


def normalise_volume(volume, mask=None):
    """Clip negatives to 0 and divide by the 99.5th percentile of the foreground.

    Args:
        volume: ndarray (x, y, z).
        mask: bool ndarray or None. Foreground; computed with `foreground_mask` if None.
    """
    volume = np.clip(np.asarray(volume, dtype="float32"), 0.0, None)
    if mask is None:
        mask = foreground_mask(volume)
    values = volume[mask] if np.any(mask) else volume.ravel()
    top = float(np.percentile(values, 99.5))
    if top <= 0:
        raise ValueError("normalise_volume: the volume has no positive intensities")
    return volume / top


def volume_slices(path, slice_size=DEFAULT_SLICE_SIZE, axis=DEFAULT_AXIS, min_foreground=MIN_FOREGROUND):
    """The usable slices of one NIfTI volume, preprocessed for the model.

    Args:
        path: str or Path of a 3-D `.nii`/`.nii.gz` file (read with `load_volume`).
        slice_size: int. Side of the square slices. Defaults to 128.
        axis: int. Slicing axis of the RAS+ volume: 0 sagittal, 1 coronal, 2 axial. Defaults to 2.
        min_foreground: float. Smallest foreground fraction of a kept slice. Defaults to 0.15.

    Returns:
        SliceSet (possibly empty).

    Raises:
        FileNotFoundError, domains.mri.io.NiftiError: the file is missing or unusable (the
            message names it).
        ValueError: bad `axis`/`slice_size`, a volume too small for `slice_size`
            (`check_volume_size`), or one without any foreground.
    """
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2 (sagittal, coronal, axial). Received: axis={axis!r}")
    if not isinstance(slice_size, (int, np.integer)) or slice_size < 16:
        raise ValueError(f"slice_size must be an integer >= 16. Received: slice_size={slice_size!r}")
    volume, _, voxel_size = load_volume(path)
    check_volume_size(volume.shape, path, slice_size, axis)
    return _slice_volume(volume, voxel_size, path, slice_size, axis, min_foreground)


def _slice_volume(volume, voxel_size, path, slice_size, axis, min_foreground):
    """`volume_slices` of a volume already read (RAS+), `path` naming it."""
    mask = foreground_mask(np.clip(volume, 0.0, None))
    if not np.any(mask):
        raise ValueError(f"{path}: no foreground found (an empty or constant volume)")
    volume = normalise_volume(volume, mask)
    # Move the slicing axis first: (slices, h, w).
    volume = np.moveaxis(volume, axis, 0)
    mask = np.moveaxis(mask, axis, 0)
    in_plane = [voxel_size[a] for a in (0, 1, 2) if a != axis]

    # One in-plane box for the whole volume, so every slice keeps the same scale.
    footprint = mask.any(axis=0)
    rows, cols = np.flatnonzero(footprint.any(axis=1)), np.flatnonzero(footprint.any(axis=0))
    margin = 2
    r0, r1 = max(rows[0] - margin, 0), min(rows[-1] + margin + 1, footprint.shape[0])
    c0, c1 = max(cols[0] - margin, 0), min(cols[-1] + margin + 1, footprint.shape[1])
    volume, mask = volume[:, r0:r1, c0:c1], mask[:, r0:r1, c0:c1]
    # Pad to a square field of view in millimetres.
    side_mm = max(volume.shape[1] * in_plane[0], volume.shape[2] * in_plane[1])
    pads = []
    for size, spacing in zip(volume.shape[1:], in_plane):
        extra = max(int(round(side_mm / spacing)) - size, 0)
        pads.append((extra // 2, extra - extra // 2))
    volume = np.pad(volume, [(0, 0), *pads])
    mask = np.pad(mask, [(0, 0), *pads])

    fractions = mask.reshape(len(mask), -1).mean(axis=1)
    keep = np.flatnonzero(fractions > 0)
    images = _resize(volume[keep], slice_size, "bilinear")
    masks = (_resize(mask[keep].astype("float32"), slice_size, "nearest") > 0.5).astype("float32")
    kept = masks.reshape(len(masks), -1).mean(axis=1) >= min_foreground
    n = int(kept.sum())
    return SliceSet(
        images=images[kept], masks=masks[kept],
        sources=np.array([str(path)] * n, dtype=object), positions=keep[kept].astype(int),
        spacing_mm=np.full(n, float(voxel_size[axis])), axes=np.full(n, axis, dtype=int),
    )


def _resize(stack, size, method):
    if len(stack) == 0:
        return np.zeros((0, size, size, 1), "float32")
    resized = tf.image.resize(stack[..., np.newaxis], (size, size), method=method, antialias=method == "bilinear")
    return resized.numpy().astype("float32")


def slice_axes(axis):
    """The slicing axes asked for: an int 0/1/2, a sequence of them, or "all" (sagittal, coronal, axial).

    Args:
        axis: int, sequence of ints, "all", or the CLI's text ("2", "0,2").

    Returns:
        tuple of ints.

    Example:
    ```python
    slice_axes("all")   # (0, 1, 2)
    slice_axes(2)       # (2,)
    slice_axes("0,2")   # (0, 2)
    ```
    """
    axis = axis.strip() if isinstance(axis, str) else axis
    if isinstance(axis, str) and axis != "all":
        try:
            axis = [int(part) for part in axis.split(",")]
        except ValueError:
            pass  # refused below, with the text received
    axes = ORIENTATIONS if isinstance(axis, str) and axis == "all" else (
        (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis) if isinstance(axis, (list, tuple)) else ())
    if not axes or any(a not in ORIENTATIONS for a in axes) or len(set(axes)) != len(axes):
        raise ValueError('axis must be 0, 1 or 2 (sagittal, coronal, axial), a list of distinct ones, or "all". '
                         f"Received: axis={axis!r}")
    return tuple(int(a) for a in axes)


def load_slices(paths, slice_size=DEFAULT_SLICE_SIZE, axis=DEFAULT_AXIS, min_foreground=MIN_FOREGROUND):
    """The usable slices of several volumes (`volume_slices` for each volume and axis), in one `SliceSet`.

    Args:
        paths: iterable of NIfTI paths, or a folder (every `.nii`/`.nii.gz` below it).
        slice_size, min_foreground: as `volume_slices`.
        axis: int, list of ints or "all" (`slice_axes`): each volume is sliced along each.
    """
    if isinstance(paths, (str, pathlib.Path)) and pathlib.Path(paths).is_dir():
        paths = list_volumes(paths)
    elif isinstance(paths, (str, pathlib.Path)):
        paths = [paths]
    sets = [volume_slices(p, slice_size, a, min_foreground) for p in paths for a in slice_axes(axis)]
    if not sets:
        raise ValueError("load_slices: no volumes given")
    return SliceSet.concatenate(sets)


def sample_volume_paths():
    """The real sample volumes (MNI152 2009a template at 1 mm, nibabel's anatomical.nii)."""
    from core.data import samples

    return [samples.fetch(name, verbose=False) for name in SAMPLE_VOLUMES]
