"""The leak-free split: slices assigned to train / val / test by position, in slabs with gaps.

Step 4 of `domains.mri.quality.data`: along the slicing axis each volume is cut into slabs that
take their split and thickness from the repeating pattern `SPLIT_PATTERN` (train 20 mm, val 8 mm,
train 20 mm, test 10 mm), and a slice is dropped when a slice of a more protected split (test,
then validation) lies within `gap_mm` (3 mm) of it. So every training slice is more than 3 mm away
from every validation and test slice, and the held-out slabs are spread from the bottom to the top
of the brain rather than being one unrepresentative end of it. With several axes, each (volume,
axis) stack is split on its own: any two slices of different orientations cross along one line of
voxels, so a test slice's plane is never trained on but one row of its voxels lies in each
training slice of another orientation that crosses it, and together those training slices hold
most of its voxels: with several axes the test set measures unseen planes of seen anatomy; hold a
volume out (`with_train_volumes`) for unseen anatomy.

Example:
```python
from domains.mri.quality.data.slices import load_slices
splits = split_slices(load_slices(["a.nii.gz", "b.nii.gz"]))
len(splits["train"]), len(splits["val"]), len(splits["test"])
```
"""

import numpy as np

GAP_MM = 3.0
SPLIT_PATTERN = (("train", 20.0), ("val", 8.0), ("train", 20.0), ("test", 10.0))
SPLIT_PRIORITY = {"train": 0, "val": 1, "test": 2}


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
