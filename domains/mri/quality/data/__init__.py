"""Slices of NIfTI volumes, a leak-free split, and SSIM-labelled motion-corrupted examples.

The modules, one per step below: `slices` (steps 1-3: volumes to slices), `splits` (step 4),
`augment` (the contrast changes of step 5), `corruption` (step 5: motion, SSIM labels, the fixed
evaluation sets), `stream` (step 5: the `tf.data` training stream) and `heads` (step 6). This
package assembles them: `load_quality_data` returns a `QualityData` of every split and evaluation set.
`heldout` scores whole volumes that no model trained on (`load_heldout_data`: every slice, no
split; `resuite evaluate mri.ssim_regression --option heldout=true`).

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

Example:
```python
from domains.mri.quality.data import load_quality_data
data = load_quality_data(slice_size=64)   # the real sample volumes
data.summary()                            # slices and examples per split
```
"""

import dataclasses
import pathlib

import numpy as np

from domains.mri.io import NIFTI_SUFFIXES, list_volumes
from domains.mri.quality.data.augment import contrast_augment, intensity_remap
from domains.mri.quality.data.corruption import SEVERITY_RANGE, CorruptedSet, corrupt_slices
from domains.mri.quality.data.heads import _same_positions, _skull_splits, _skull_stripped
from domains.mri.quality.data.slices import (
    DEFAULT_AXIS,
    MIN_FOREGROUND,
    ORIENTATION_NAMES,
    SliceSet,
    load_slices,
    sample_volume_paths,
    slice_axes,
)
from domains.mri.quality.data.splits import GAP_MM, SPLIT_PATTERN, split_slices
from domains.mri.quality.model import DEFAULT_SLICE_SIZE


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
