"""SYNTHETIC-head slices of the skull-stripped volumes, at each split's own positions.

Step 6 of `domains.mri.quality.data` (`load_quality_data(skull=True)`): each skull-stripped volume
is also wrapped in synthetic heads (`domains.mri.quality.skull.synthetic_head`: CSF, skull, scalp
drawn around the brain mask), one head per split with its own seed, so the test slices' head was
never trained on. A with-skull volume goes through the slicing as a real head scan would: its
foreground (normalisation, crop box, SSIM label mask) is the head, not the brain -- as for any
unstripped volume (`anatomical.nii` too), and motion ghosts of the bright scalp fat are part of what
a clinical scan's quality is. With-skull slices are kept only at the positions of the stripped
slices of the same split (same slab pattern and gaps, no leak between splits).

Example:
```python
from domains.mri.quality.data import load_quality_data
data = load_quality_data(slice_size=64, skull=True)   # uses skull_splits for train_skull, test_skull, ...
len(data.test_skull) <= len(data.test)
```
"""

import pathlib

import numpy as np

from domains.mri.io import foreground_mask, load_volume
from domains.mri.quality.data.slices import SliceSet, _slice_volume, slice_axes
from domains.mri.quality.data.splits import SPLIT_PRIORITY
from domains.mri.quality.skull import synthetic_head

SKULL_STRIPPED_SAMPLES = ("mri.mni152_1mm",)


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
