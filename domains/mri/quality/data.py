"""Slices of NIfTI volumes, a leak-free split, and SSIM-labelled motion-corrupted examples.

From volume to example:

1. **Read** every file with `domains.mri.io.load_volume` (clear errors naming the file for 2-D/4-D,
   truncated, corrupt, NaN or singular-affine files), reoriented to RAS+.
2. **Normalise** per volume: negative values are clipped to 0 (magnitude images), then divided by
   the 99.5th percentile of the foreground (`foreground_mask`: the brain of a skull-stripped volume
   such as the MNI template, the head otherwise).
3. **Slice** along `axis` (default 2: axial in RAS+; or several axes, "all" for sagittal, coronal
   and axial, each volume sliced along each). Each slice is cropped to the volume's
   in-plane foreground bounding box (the same box for every slice of a volume, plus a 2-voxel
   margin), padded to a square in millimetres (anisotropic voxels keep their true aspect) and
   resized to `slice_size` x `slice_size` (bilinear with antialiasing; the mask by nearest
   neighbour). Slices whose foreground covers less than `min_foreground` of the square are dropped.
4. **Split** by position, never at random: along the slicing axis each volume is cut into slabs
   that take their split and thickness from the repeating pattern `SPLIT_PATTERN` (train 20 mm,
   val 8 mm, train 20 mm, test 10 mm), and a slice is dropped when a slice of a more protected
   split (test, then validation) lies within `gap_mm` (3 mm) of it. So every training slice is
   more than 3 mm away from every validation and test slice, and the held-out slabs are spread
   from the bottom to the top of the brain rather than being one unrepresentative end of it.
   With several axes, each (volume, axis) stack is split on its own: any two slices of different
   orientations cross along one line of voxels, so a test slice's plane is never trained on but
   one row of its voxels lies in each training slice of another orientation that crosses it, and
   together those training slices hold most of its voxels: with several axes the test set
   measures unseen planes of seen anatomy; hold a volume out (`with_train_volumes`) for unseen
   anatomy.
5. **Corrupt and label**: for training, optionally a random contrast change of the motion-free
   slice first (`intensity_remap` to another tissue contrast for a share of the slices, then
   `contrast_augment`; `training.training_augmentation`); then `simulate_motion` with a severity drawn uniformly from
   `severity_range` (default [0, 1], 4 movements); the label is the SSIM (`tf.image.ssim`, 11 x 11 Gaussian window, data range = max - min of the
   motion-free slice) between the corrupted and the motion-free slice, averaged over the
   foreground of the motion-free slice (the SSIM index map masked, `ssim_label`). Training examples
   are simulated on the fly in `tf.data` (a new motion at every draw); validation and test examples
   are simulated once with fixed seeds (`corrupt_slices`).
6. **SYNTHETIC skull** (`load_quality_data(skull=True)`): each skull-stripped volume is also
   wrapped in synthetic heads (`domains.mri.quality.skull.synthetic_head`: CSF, skull, scalp drawn
   around the brain mask), one head per split with its own seed, so the test slices' head was never
   trained on. A with-skull volume goes through steps 2-3 as a real head scan would: its foreground
   (normalisation, crop box, SSIM label mask) is the head, not the brain -- as for any unstripped
   volume (`anatomical.nii` too), and motion ghosts of the bright scalp fat are part of what a
   clinical scan's quality is. With-skull slices are kept only at the positions of the stripped
   slices of the same split (same slab pattern and gaps, no leak between splits). Training draws
   a with-skull slice with probability `skull_probability` (`training_dataset`).
"""

import dataclasses
import pathlib

import numpy as np
import tensorflow as tf

from domains.mri.io import NIFTI_SUFFIXES, foreground_mask, list_volumes, load_volume
from domains.mri.quality.model import DEFAULT_SLICE_SIZE, contrast_augment, intensity_remap
from domains.mri.quality.motion import simulate_motion
from domains.mri.quality.skull import synthetic_head

DEFAULT_AXIS = 2
ORIENTATIONS = (0, 1, 2)  # RAS+ axes: sagittal, coronal, axial
ORIENTATION_NAMES = {0: "sagittal", 1: "coronal", 2: "axial"}
MIN_FOREGROUND = 0.15
GAP_MM = 3.0
SPLIT_PATTERN = (("train", 20.0), ("val", 8.0), ("train", 20.0), ("test", 10.0))
SEVERITY_RANGE = (0.0, 1.0)
SSIM_FILTER_SIZE = 11
SPLIT_PRIORITY = {"train": 0, "val": 1, "test": 2}
SAMPLE_VOLUMES = ("mri.mni152_1mm", "mri.anatomical")
SKULL_STRIPPED_SAMPLES = ("mri.mni152_1mm",)


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


@dataclasses.dataclass
class CorruptedSet:
    """Motion-corrupted slices with their SSIM labels (a fixed, seeded evaluation set).

    Attributes:
        x: float32 `(M, S, S, 1)` corrupted slices (the model's input).
        y: float32 `(M,)` SSIM against the motion-free slice, on the foreground.
        severity: float32 `(M,)` severity used for each example.
        slice_index: int `(M,)` row of the `SliceSet` each example was made from.
    """

    x: np.ndarray
    y: np.ndarray
    severity: np.ndarray
    slice_index: np.ndarray

    def __len__(self):
        return len(self.y)


@dataclasses.dataclass
class QualityData:
    """The slices of every split and the fixed evaluation sets.

    Attributes:
        train, val, test: SliceSet of each split (motion-free).
        val_set, test_set: CorruptedSet simulated once with fixed seeds.
        test_contrast_set: CorruptedSet of the test slices after a random contrast change
            (`contrast_augment`) *before* the motion: how a model copes with other contrasts.
        test_remap_set: CorruptedSet of the test slices after a random intensity remapping
            (`intensity_remap`: other tissue contrasts, e.g. CSF brighter than white matter)
            before the motion.
        sources: list of str, the volumes read.
        config: dict of the options that built it (slice size, axis, slabs, seeds...).
        train_skull, test_skull: SliceSet or None. With-skull (SYNTHETIC head) slices of the
            skull-stripped volumes at training / test positions (`load_quality_data(skull=True)`).
        val_skull_set, test_skull_set: CorruptedSet or None, the with-skull validation / test
            slices corrupted with fixed seeds.
        test_stripped_set: CorruptedSet or None. The skull-stripped test slices at the positions
            of `test_skull`, in its order, with the same motions as `test_skull_set`: the paired
            comparison, skull or not, everything else equal.
    """

    train: SliceSet
    val: SliceSet
    test: SliceSet
    val_set: CorruptedSet
    test_set: CorruptedSet
    test_contrast_set: CorruptedSet
    test_remap_set: CorruptedSet
    sources: list
    config: dict
    train_skull: SliceSet = None
    val_skull_set: CorruptedSet = None
    test_skull: SliceSet = None
    test_skull_set: CorruptedSet = None
    test_stripped_set: CorruptedSet = None

    def summary(self):
        """Rows (dicts) describing each split, for tables."""
        rows = []
        for name in ("train", "val", "test"):
            slices = getattr(self, name)
            row = {"split": name, "slices": len(slices)}
            for source in self.sources:
                row[pathlib.Path(source).name] = int(np.sum(slices.sources == source))
            if len(self.config.get("axis", [])) > 1:
                for axis in self.config["axis"]:
                    row[ORIENTATION_NAMES[axis]] = int(np.sum(slices.axes == axis))
            corrupted = {"val": self.val_set, "test": self.test_set}.get(name)
            row["examples"] = len(corrupted) if corrupted is not None else "on the fly"
            if corrupted is not None:
                row["ssim min-max"] = f"{corrupted.y.min():.3f}-{corrupted.y.max():.3f}"
            rows.append(row)
        return rows


# --------------------------------------------------------------------------- volumes → slices


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
        ValueError: bad `axis`/`slice_size`, or a volume without any foreground.
    """
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2 (sagittal, coronal, axial). Received: axis={axis!r}")
    if not isinstance(slice_size, (int, np.integer)) or slice_size < 16:
        raise ValueError(f"slice_size must be an integer >= 16. Received: slice_size={slice_size!r}")
    volume, _, voxel_size = load_volume(path)
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


# --------------------------------------------------------------------------- split


def split_slices(slices, pattern=SPLIT_PATTERN, gap_mm=GAP_MM):
    """Split slices into train/val/test by position: slabs in a repeating pattern, with gaps.

    Along the slicing axis of each volume, from its first kept slice, consecutive slabs take
    their split and thickness from `pattern` in turn; the i-th (volume, axis) stack (in order)
    starts at entry `i mod len(pattern)`, so that small volumes too feed every split. Slices of
    one volume along different axes are split separately: a slice crosses every slice of another
    orientation along one line of voxels, so no orthogonal split could keep them apart. A slice is then dropped if
    a slice of a more protected split (test over val over train) lies within `gap_mm` of it: no
    training slice is within `gap_mm` of a validation or test slice, and no validation slice
    within `gap_mm` of a test slice.

    Args:
        slices: SliceSet.
        pattern: sequence of (split, thickness_mm), split in "train"/"val"/"test". Defaults to
            `SPLIT_PATTERN` = train 20 mm, val 8 mm, train 20 mm, test 10 mm.
        gap_mm: float. Distance kept clear between splits. Defaults to 3 mm.

    Returns:
        dict {"train", "val", "test"} of SliceSet.
    """
    pattern = [(str(name), float(mm)) for name, mm in pattern]
    if not pattern or any(name not in SPLIT_PRIORITY or mm <= 0 for name, mm in pattern):
        raise ValueError(
            "pattern must be a non-empty sequence of (split, thickness_mm) with split in "
            f"'train'/'val'/'test' and thickness > 0. Received: pattern={pattern}"
        )
    if gap_mm < 0:
        raise ValueError(f"gap_mm must be >= 0. Received: gap_mm={gap_mm}")
    chosen = {name: [] for name in SPLIT_PRIORITY}
    for volume_index, (source, axis) in enumerate(dict.fromkeys(zip(slices.sources, slices.axes))):
        rows = np.flatnonzero((slices.sources == source) & (slices.axes == axis))
        rows = rows[np.argsort(slices.positions[rows])]
        mm = slices.positions[rows] * slices.spacing_mm[rows]
        offset = mm - mm[0]
        split = np.empty(len(rows), dtype=int)
        start, entry = 0.0, volume_index % len(pattern)
        while True:
            name, thickness = pattern[entry]
            inside = (offset >= start - 1e-6) & (offset < start + thickness - 1e-6)
            split[inside] = SPLIT_PRIORITY[name]
            start += thickness
            entry = (entry + 1) % len(pattern)
            if start > offset[-1]:
                break
        distance = np.abs(mm[:, None] - mm[None, :])
        near_protected = ((distance <= gap_mm + 1e-6) & (split[None, :] > split[:, None])).any(axis=1)
        for name, priority in SPLIT_PRIORITY.items():
            chosen[name].extend(rows[(split == priority) & ~near_protected].tolist())
    return {name: slices.subset(sorted(rows)) for name, rows in chosen.items()}


# --------------------------------------------------------------------------- labels


def ssim_label(clean, corrupted, mask=None, filter_size=SSIM_FILTER_SIZE):
    """SSIM of corrupted vs motion-free slices, averaged over the foreground.

    `tf.image.ssim` (Gaussian window `filter_size`, sigma 1.5, k1 0.01, k2 0.03) with the data
    range `max - min` of each motion-free slice and `return_index_map=True`; the index map (the
    "valid" part, `filter_size - 1` smaller) is averaged over the mask cropped the same way. A
    slice whose cropped mask is empty is averaged over the whole map.

    Args:
        clean: float `(B, H, W, 1)` motion-free slices.
        corrupted: float `(B, H, W, 1)`.
        mask: float/bool `(B, H, W, 1)` or None (whole slice). Defaults to None.
        filter_size: int. Defaults to 11.

    Returns:
        float32 `(B,)`.
    """
    clean = tf.convert_to_tensor(clean, tf.float32)
    corrupted = tf.convert_to_tensor(corrupted, tf.float32)
    value_range = tf.reduce_max(clean, axis=[1, 2, 3]) - tf.reduce_min(clean, axis=[1, 2, 3])
    value_range = tf.maximum(value_range, 1e-6)[:, None, None, None]
    index_map = tf.image.ssim(clean, corrupted, max_val=value_range, filter_size=filter_size,
                              return_index_map=True)  # (B, H - f + 1, W - f + 1)
    if mask is None:
        return tf.reduce_mean(index_map, axis=[1, 2])
    half = filter_size // 2
    mask = tf.cast(tf.convert_to_tensor(mask), tf.float32)[:, half:-half, half:-half, 0]
    mask = tf.where(tf.reduce_sum(mask, axis=[1, 2], keepdims=True) > 0, mask, tf.ones_like(mask))
    return tf.reduce_sum(index_map * mask, axis=[1, 2]) / tf.reduce_sum(mask, axis=[1, 2])


def corrupt_and_label(image, mask, seed, severity_range=SEVERITY_RANGE, augment_fn=None, motion_kwargs=None):
    """One training example: (optional contrast change) → motion → (corrupted, SSIM label).

    Works on one slice `(S, S, 1)` (inside `tf.data`) or a batch `(B, S, S, 1)`. The contrast
    augmentation, when given, changes the motion-free slice *before* the motion, so the label is
    the SSIM of exactly what the model sees against its own motion-free version.

    Args:
        image, mask: float `(S, S, 1)` or `(B, S, S, 1)`.
        seed: shape-`(2,)` integer tensor (stateless).
        severity_range: (low, high). Severity is uniform in it. Defaults to (0, 1).
        augment_fn: callable `(images (B,S,S,1), seed) -> images` or None. Defaults to None.
        motion_kwargs: dict for `simulate_motion` or None.

    Returns:
        (corrupted, label[, ...]): `(x, y)` shaped like the input and `()`/`(B,)`.
    """
    single = image.shape.rank == 3
    if single:
        image, mask = image[tf.newaxis], mask[tf.newaxis]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    if augment_fn is not None:
        image = augment_fn(image, seeds[0])
    severity = tf.random.stateless_uniform(tf.shape(image)[:1], seeds[1], *severity_range)
    corrupted = simulate_motion(image, severity, seeds[2], **(motion_kwargs or {}))
    label = ssim_label(image, corrupted, mask)
    if single:
        return corrupted[0], label[0]
    return corrupted, label


def training_dataset(slices, batch_size=16, seed=0, augment_fn=None, severity_range=SEVERITY_RANGE,
                     motion_kwargs=None, skull_slices=None, skull_probability=0.0):
    """An endless `tf.data` stream of freshly corrupted training slices and their SSIM labels.

    The clean slices repeat endlessly, each draw zipped with its own random seed
    (`tf.data.Dataset.random`), then `core.data.make_pipeline` shuffles them and runs
    `corrupt_and_label` (contrast change if `augment_fn`, motion, label) as its parallel
    `augment_fn`, batches and prefetches: the simulation overlaps the training step. The same
    `seed` gives the same stream. Use `steps_per_epoch` with `fit`. With `skull_probability`, each
    draw comes from `skull_slices` (the with-skull versions, SYNTHETIC heads) with that probability.

    Args:
        slices: SliceSet (the training split).
        batch_size: int. Defaults to 16.
        seed: int. Defaults to 0.
        augment_fn: contrast augmentation `(images, seed) -> images` or None (off).
        severity_range: (low, high). Defaults to (0, 1).
        motion_kwargs: dict for `simulate_motion` or None.
        skull_slices: SliceSet or None. With-skull training slices (`QualityData.train_skull`).
        skull_probability: float in [0, 1]. Share of draws taken from `skull_slices`. Defaults to 0.

    Returns:
        tf.data.Dataset of `(x (B, S, S, 1), y (B,))`.
    """
    from core.data import make_pipeline

    if len(slices) == 0:
        raise ValueError("training_dataset: no training slices")
    check_skull_probability(skull_probability)
    if skull_probability and (skull_slices is None or len(skull_slices) == 0):
        raise ValueError("training_dataset: skull_probability > 0 needs with-skull training slices "
                         f"(load_quality_data(skull=True)). Received: skull_probability={skull_probability!r}")
    clean = tf.data.Dataset.from_tensor_slices((slices.images, slices.masks)).repeat()
    if skull_probability:
        skulls = tf.data.Dataset.from_tensor_slices((skull_slices.images, skull_slices.masks)).repeat()
        clean = tf.data.Dataset.sample_from_datasets([clean, skulls], [1.0 - skull_probability, skull_probability],
                                                     seed=seed, stop_on_empty_dataset=False)
    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    stream = tf.data.Dataset.zip(clean, seeds).map(lambda pair, s: (pair[0], pair[1], s))

    def draw(image, mask, element_seed):
        return corrupt_and_label(image, mask, element_seed, severity_range, augment_fn, motion_kwargs)

    return make_pipeline(stream, batch_size, training=True, shuffle=True, shuffle_buffer=max(len(slices), 2),
                         augment_fn=draw, seed=seed, drop_remainder=True)


def check_skull_probability(value):
    """Raise a ValueError unless `value` is a probability (the `skull_probability` option).

    Args:
        value: the option's value.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"skull_probability must be a number in [0, 1]. Received: skull_probability={value!r}")


def corrupt_slices(slices, draws=4, seed=0, severity_range=SEVERITY_RANGE, augment_fn=None, motion_kwargs=None,
                   batch_size=64):
    """A fixed evaluation set: each slice corrupted `draws` times with seeded motions.

    Args:
        slices: SliceSet.
        draws: int. Corrupted versions per slice. Defaults to 4.
        seed: int. Defaults to 0.
        severity_range: (low, high). Defaults to (0, 1).
        augment_fn: optional contrast change before the motion (see `corrupt_and_label`).
        motion_kwargs: dict for `simulate_motion` or None.
        batch_size: int. Slices simulated at once. Defaults to 64.

    Returns:
        CorruptedSet of `len(slices) * draws` examples.
    """
    index = np.repeat(np.arange(len(slices)), draws)
    xs, ys, severities = [], [], []
    for start in range(0, len(index), batch_size):
        rows = index[start:start + batch_size]
        batch_seed = tf.constant([seed, start], tf.int64)
        image = tf.constant(slices.images[rows])
        seeds = tf.random.experimental.stateless_split(batch_seed, 3)
        if augment_fn is not None:
            image = augment_fn(image, seeds[0])
        severity = tf.random.stateless_uniform([len(rows)], seeds[1], *severity_range)
        corrupted = simulate_motion(image, severity, seeds[2], **(motion_kwargs or {}))
        ys.append(ssim_label(image, corrupted, slices.masks[rows]).numpy())
        xs.append(corrupted.numpy())
        severities.append(severity.numpy())
    if not xs:
        size = slices.slice_size
        return CorruptedSet(np.zeros((0, size, size, 1), "float32"), np.zeros(0, "float32"),
                            np.zeros(0, "float32"), index)
    return CorruptedSet(np.concatenate(xs), np.concatenate(ys), np.concatenate(severities), index)


def load_quality_data(
    data=None,
    slice_size=DEFAULT_SLICE_SIZE,
    axis=DEFAULT_AXIS,
    min_foreground=MIN_FOREGROUND,
    pattern=SPLIT_PATTERN,
    gap_mm=GAP_MM,
    severity_range=SEVERITY_RANGE,
    val_draws=8,
    test_draws=8,
    seed=0,
    motion_kwargs=None,
    train_volumes=None,
    skull=False,
    skull_stripped=None,
):
    """Slices of the sample volumes (or of a folder), split by position, with fixed eval sets.

    Args:
        data: None (the real samples: MNI152 2009a at 1 mm and nibabel's anatomical.nii), a
            folder of NIfTI volumes, or a list of NIfTI paths.
        slice_size, min_foreground: see `volume_slices`.
        axis: int, list of ints or "all" (`slice_axes`). Defaults to 2 (axial).
        pattern, gap_mm: see `split_slices`.
        severity_range: (low, high) of the uniform severity. Defaults to (0, 1).
        val_draws, test_draws: int. Corrupted versions per validation/test slice. Default 8 each.
        seed: int. Seeds the evaluation sets (validation `seed + 1`, test `seed + 2`, contrast-
            shifted test `seed + 3`). Defaults to 0.
        motion_kwargs: dict for `simulate_motion` or None.
        train_volumes: int or None. Only the first `train_volumes` volumes (in the order given;
            the samples: MNI152 first) feed the training split; validation and test keep every
            volume, so runs with 1, 2, ... training volumes are scored on the same test set.
            None: all. Defaults to None.
        skull: bool. Also wrap the skull-stripped volumes in SYNTHETIC heads (module docstring,
            step 6): `train_skull`, `val_skull_set`, `test_skull`, `test_skull_set` (test motions
            seeded `seed + 5`, validation `seed + 6`) and `test_stripped_set` (the same test
            positions and motions without the skull). Defaults to False.
        skull_stripped: list of file names (or paths) of the skull-stripped volumes among `data`;
            None: the MNI152 template when `data` is None (else they must be named). Defaults to None.

    Returns:
        QualityData.
    """
    paths = sample_volume_paths() if data is None else data
    if isinstance(paths, (str, pathlib.Path)) and pathlib.Path(paths).is_dir():
        paths = list_volumes(paths)
    elif isinstance(paths, (str, pathlib.Path)):
        if not str(paths).endswith(NIFTI_SUFFIXES):
            raise ValueError(f"{paths}: expected a folder of NIfTI volumes or a .nii/.nii.gz file")
        paths = [paths]
    paths = [str(p) for p in paths]
    slices = load_slices(paths, slice_size, axis, min_foreground)
    splits = split_slices(slices, pattern, gap_mm)
    for name in ("train", "val", "test"):
        if len(splits[name]) == 0:
            raise ValueError(
                f"The {name} split is empty ({len(slices)} usable slices from {len(paths)} volume(s)): "
                "give more or larger volumes, or change pattern/gap_mm"
            )
    kwargs = dict(severity_range=severity_range, motion_kwargs=motion_kwargs)
    config = dict(slice_size=slice_size, axis=list(slice_axes(axis)), train_volumes=None, min_foreground=min_foreground, gap_mm=gap_mm,
                  pattern=[list(entry) for entry in pattern], severity_range=list(severity_range), val_draws=val_draws,
                  test_draws=test_draws, seed=seed, motion_kwargs=motion_kwargs or {})
    stripped = _skull_stripped(paths, data is None, skull_stripped) if skull else []
    config["skull_stripped"] = stripped
    heads = _skull_splits(splits, stripped, seed, slice_size, axis, min_foreground) if skull else {}
    data = QualityData(
        train=splits["train"], val=splits["val"], test=splits["test"],
        val_set=corrupt_slices(splits["val"], val_draws, seed + 1, **kwargs),
        test_set=corrupt_slices(splits["test"], test_draws, seed + 2, **kwargs),
        test_contrast_set=corrupt_slices(splits["test"], test_draws, seed + 3, augment_fn=contrast_augment, **kwargs),
        test_remap_set=corrupt_slices(splits["test"], test_draws, seed + 4, augment_fn=intensity_remap, **kwargs),
        sources=paths, config=config,
        **(dict(train_skull=heads["train"], test_skull=heads["test"],
                test_skull_set=corrupt_slices(heads["test"], test_draws, seed + 5, **kwargs),
                test_stripped_set=corrupt_slices(_same_positions(splits["test"], heads["test"]), test_draws,
                                                 seed + 5, **kwargs),
                val_skull_set=corrupt_slices(heads["val"], val_draws, seed + 6, **kwargs)) if skull else {}),
    )
    return data if train_volumes is None else with_train_volumes(data, train_volumes)


def with_train_volumes(data, count):
    """`data` with only the first `count` volumes in its training split (validation and test unchanged).

    Args:
        data: QualityData.
        count: int from 1 to the number of volumes.

    Returns:
        A new QualityData (the evaluation sets are shared, not copied).
    """
    if not isinstance(count, (int, np.integer)) or not 1 <= count <= len(data.sources):
        raise ValueError(f"train_volumes must be an integer from 1 to the {len(data.sources)} volume(s). "
                         f"Received: train_volumes={count!r}")
    train = data.train.subset(np.flatnonzero(np.isin(data.train.sources, data.sources[:count])))
    skulls = data.train_skull
    if skulls is not None:
        skulls = skulls.subset(np.flatnonzero(np.isin(skulls.sources, data.sources[:count])))
    return dataclasses.replace(data, train=train, train_skull=skulls, config={**data.config, "train_volumes": int(count)})


def _skull_stripped(paths, samples, names):
    """The skull-stripped volumes among `paths` (file names or paths in `names`; None: the sample template)."""
    if names is None:
        if not samples:
            raise ValueError("skull=True with --data needs the skull-stripped volumes named: skull_stripped=[file names]. "
                             "Received: skull_stripped=None")
        from core.data import samples as sample_data

        names = [sample_data.fetch(name, verbose=False) for name in SKULL_STRIPPED_SAMPLES]
    wanted = {pathlib.Path(str(name)).name for name in names}
    chosen = [path for path in paths if pathlib.Path(path).name in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise ValueError(f"skull_stripped must name volumes of the data ({[pathlib.Path(p).name for p in paths]}). "
                         f"Received: skull_stripped={sorted(wanted)}")
    return chosen


def _same_positions(slices, positions):
    """The slices of `slices` at each (volume, axis, position) of `positions`, in its order."""
    index = {key: i for i, key in enumerate(zip(slices.sources.tolist(), slices.axes.tolist(),
                                                  slices.positions.tolist()))}
    return slices.subset([index[key] for key in zip(positions.sources.tolist(), positions.axes.tolist(),
                                                    positions.positions.tolist())])


def _skull_splits(splits, stripped, seed, slice_size, axis, min_foreground):
    """With-skull slices of each skull-stripped volume: one SYNTHETIC head per split, at that split's positions."""
    out = {name: [] for name in SPLIT_PRIORITY}
    for index, path in enumerate(stripped):
        volume, _, voxel_size = load_volume(path)
        brain = foreground_mask(np.clip(volume, 0.0, None))
        names = list(SPLIT_PRIORITY)
        heads = synthetic_head(volume, brain, voxel_size, seed=[1000 * index + 3 * seed + i for i in range(len(names))])
        for name, head in zip(names, heads):
            wanted = splits[name]
            rows = wanted.sources == path
            keys = set(zip(wanted.axes[rows].tolist(), wanted.positions[rows].tolist()))
            for a in slice_axes(axis):
                stack = _slice_volume(head.volume, voxel_size, path, slice_size, a, min_foreground)
                keep = [i for i, key in enumerate(zip(stack.axes.tolist(), stack.positions.tolist())) if key in keys]
                out[name].append(stack.subset(keep))
    return {name: SliceSet.concatenate(sets) for name, sets in out.items()}
