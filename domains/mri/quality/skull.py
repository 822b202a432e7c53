"""A SYNTHETIC skull and scalp around a skull-stripped T1 volume (issue #14 §3).

Clinical scans keep the skull; the MNI152 template is skull-stripped, and the samples hold no
real T1 head with its skull in view (nibabel's `anatomical.nii` is cropped to the inside of the
head). `synthetic_head` therefore wraps a skull-stripped volume in a drawn head: it is synthetic,
not anatomy, and every result obtained with it must say so.

Layers, outwards from the intracranial envelope (the brain mask closed by a 4 mm ball, so that
the shell bridges the sulci as the dura does), with T1-weighted intensities relative to the
brain's white-matter level (its 95th percentile):

| layer | thickness (mm) | T1 intensity (x white matter) |
|---|---|---|
| CSF and dura | 1-3 | 0.08-0.20 (dark) |
| inner table (cortical bone) | 20-30 % of the skull | 0.02-0.08 (signal void) |
| diploë (fatty marrow) | the rest of the skull | 0.45-0.75, textured |
| outer table (cortical bone) | 20-30 % of the skull | 0.02-0.08 |
| subcutaneous fat | the scalp minus the skin | 1.00-1.25 (brighter than white matter), textured |
| skin | 1-2 | 0.45-0.65 |

Skull 5-8 mm, scalp 5-7 mm in total. Every thickness varies smoothly over the head (a random
field of a few cells across the volume, drawn from `seed`), the levels are drawn once per head,
and the layers are blurred by 0.6 voxel (partial volume) before the brain is put back
unchanged. Not drawn: muscles (temporalis), sinuses, eyes, the neck; where the brain touches the
field of view (the MNI template's brainstem at its lowest slice) the shell is simply cut off, as
the field of view of a scan cuts a head. The shell never leaves the volume's field of view: it
is at most 18 mm thick, and the MNI template leaves 25-34 mm around the brain except below.
"""

import dataclasses

import numpy as np

CSF_MM = (1.0, 3.0)
SKULL_MM = (5.0, 8.0)
TABLE_FRACTION = (0.2, 0.3)
SCALP_MM = (5.0, 7.0)
SKIN_MM = (1.0, 2.0)
ENVELOPE_MM = 4.0
LAYERS = ("brain", "csf", "inner_table", "diploe", "outer_table", "fat", "skin")
LEVELS = {"csf": (0.08, 0.20), "inner_table": (0.02, 0.08), "diploe": (0.45, 0.75), "outer_table": (0.02, 0.08),
          "fat": (1.00, 1.25), "skin": (0.45, 0.65)}
TEXTURE = {"diploe": 0.15, "fat": 0.08}  # relative amplitude of the mm-scale texture
FIELD_CELLS = 5


@dataclasses.dataclass
class SyntheticHead:
    """A skull-stripped volume wrapped in a synthetic head.

    Attributes:
        volume: float32 `(x, y, z)`, the brain unchanged, the synthetic layers around it.
        labels: uint8 `(x, y, z)`: 0 outside the head, then 1 + the index in `LAYERS` (1 brain,
            2 CSF, 3 inner table, 4 diploë, 5 outer table, 6 fat, 7 skin).
    """

    volume: np.ndarray
    labels: np.ndarray

    def layer(self, name):
        """Bool mask of one layer of `LAYERS`."""
        return self.labels == LAYERS.index(name) + 1


def _smooth_field(rng, points, shape, cells=FIELD_CELLS):
    """A smooth random field in [0, 1] at `points` (voxel indices, `(3, n)`) of a volume of `shape`.

    Uniform noise on a `cells`^3 grid spanning the volume, cubic-spline interpolated.
    """
    from scipy import ndimage

    coarse = rng.uniform(0.0, 1.0, (cells,) * 3)
    coords = [p * (cells - 1) / max(n - 1, 1) for p, n in zip(points, shape)]
    return np.clip(ndimage.map_coordinates(coarse, coords, order=3, mode="nearest"), 0.0, 1.0).astype("float32")


def _between(bounds, fraction):
    return bounds[0] + (bounds[1] - bounds[0]) * fraction


def synthetic_head(volume, brain_mask, voxel_size=(1.0, 1.0, 1.0), seed=0):
    """Wrap a skull-stripped T1 volume in a SYNTHETIC head: CSF/dura, skull, scalp (module docstring).

    Args:
        volume: ndarray `(x, y, z)`, a skull-stripped T1-weighted volume.
        brain_mask: bool ndarray of the same shape, the brain (e.g. `domains.mri.io.foreground_mask`).
        voxel_size: 3 floats, mm per voxel along each axis. Defaults to 1 mm.
        seed: int, or a list of ints for several heads around the same brain (the distance
            transforms are then computed once). The same seed gives the same head.

    Returns:
        SyntheticHead (a list of them for a list of seeds): the voxels of `brain_mask` keep their
        values exactly.

    Example:
    ```python
    head = synthetic_head(volume, foreground_mask(volume), voxel_size=(1, 1, 1), seed=3)
    head.layer("diploe").sum()
    ```
    """
    from scipy import ndimage

    volume = np.asarray(volume, dtype="float32")
    brain_mask = np.asarray(brain_mask, dtype=bool)
    if volume.ndim != 3 or brain_mask.shape != volume.shape or not brain_mask.any():
        raise ValueError("synthetic_head: expected a 3-D volume and a non-empty brain mask of its shape. "
                         f"Received: volume.shape={volume.shape}, brain_mask.shape={brain_mask.shape}")
    spacing = tuple(float(s) for s in voxel_size)
    if len(spacing) != 3 or min(spacing) <= 0:
        raise ValueError(f"synthetic_head: voxel_size must be 3 positive mm values. Received: voxel_size={voxel_size}")
    # Intracranial envelope: the brain closed by a ball (dilate then erode, by distance transforms).
    dilated = ndimage.distance_transform_edt(~brain_mask, sampling=spacing) <= ENVELOPE_MM
    envelope = (ndimage.distance_transform_edt(dilated, sampling=spacing) > ENVELOPE_MM) | brain_mask
    depth = ndimage.distance_transform_edt(~envelope, sampling=spacing).astype("float32")  # mm outside it
    points = np.nonzero((depth <= CSF_MM[1] + SKULL_MM[1] + SCALP_MM[1]) & ~brain_mask)
    heads = [_draw_head(volume, brain_mask, spacing, depth[points], points, s)
             for s in (seed if isinstance(seed, (list, tuple)) else [seed])]
    return heads if isinstance(seed, (list, tuple)) else heads[0]


def _draw_head(volume, brain_mask, spacing, depth, points, seed):
    """One head around the brain: `depth` (mm outside the envelope) at the candidate `points`."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    shape = volume.shape
    csf = _between(CSF_MM, _smooth_field(rng, points, shape))
    skull = _between(SKULL_MM, _smooth_field(rng, points, shape))
    table = skull * _between(TABLE_FRACTION, _smooth_field(rng, points, shape))
    scalp = _between(SCALP_MM, _smooth_field(rng, points, shape))
    skin = np.minimum(_between(SKIN_MM, _smooth_field(rng, points, shape)), scalp - 1.0)
    bounds = np.stack([csf, csf + table, csf + skull - table, csf + skull, csf + skull + scalp - skin,
                       csf + skull + scalp])  # outer edge of each layer after the brain
    layer = np.where(depth <= bounds[-1], 2 + np.sum(depth[None] > bounds[:-1], axis=0), 0).astype("uint8")
    labels = np.zeros(shape, "uint8")
    labels[points] = layer
    labels[brain_mask] = 1

    white_matter = float(np.percentile(volume[brain_mask], 95))
    values = np.zeros(len(layer), "float32")
    for name, (low, high) in LEVELS.items():
        values[layer == LAYERS.index(name) + 1] = white_matter * rng.uniform(low, high)
    for name, amplitude in TEXTURE.items():
        texture = ndimage.gaussian_filter(rng.standard_normal(shape).astype("float32"), 1.0 / np.array(spacing))
        texture = texture[points]
        texture /= max(float(texture.std()), 1e-6)
        inside = layer == LAYERS.index(name) + 1
        values[inside] *= 1.0 + amplitude * texture[inside]
    shell = np.where(brain_mask, volume, 0.0).astype("float32")  # smooth partial volume at the brain's edge too
    shell[points] = values
    shell = ndimage.gaussian_filter(shell, 0.6)
    head = np.where(labels > 1, np.clip(shell, 0.0, None), volume)
    head[brain_mask] = volume[brain_mask]
    return SyntheticHead(volume=head.astype("float32"), labels=labels)
