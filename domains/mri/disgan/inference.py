"""Whole-volume super-resolution: overlapping tiles, blended, with memory bounded by the tile size.

The LR volume is cut into `tile_size`³ tiles on a regular grid (stride `tile_size − overlap`,
the last tile of each axis flush with the border). Each tile goes through the generator; its
×2 output is weighted by a separable window that ramps up (linearly or as a raised cosine) over
the overlap on each side that has a neighbouring tile and is flat elsewhere, and accumulated.
Because the tiles form a Cartesian grid and the windows are separable, the sum of the weights
is the outer product of three 1-D sums: the blended result is exact (a partition of unity)
without a weight volume. The network's working memory is that of one batch of tiles, whatever
the volume; the output volume itself is the only full-size array.

`super_resolve_file` reads a NIfTI file through `load_volume`, z-scores it with its foreground
statistics (as in training), super-resolves it and writes the result back in the input's
intensity units, dtype and orientation, with the affine of the ×2 grid the generator was trained
on (`sr_affine`: LR voxel i is HR voxel 2i, so the origin stays and the voxel size halves) and
the input's exact background (e.g. zeros outside the head) kept (`background_mask`).
`read_for_super_resolution` is its reading and checking alone (a task reads every input first):
a volume with a side under `min_volume_side(tile_size)` voxels, or a constant one, is refused
naming the file.
"""

import pathlib
import time

import numpy as np
import tensorflow as tf

from core.data import zscore
from domains.mri.io import NiftiError, load_volume

BLENDS = ("cosine", "linear")


def _starts(size, tile, stride):
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, stride))
    return starts + [size - tile]


def _window(tile_out, ramp_out, left, right, blend):
    w = np.ones(tile_out, dtype="float64")
    if ramp_out > 0:
        t = (np.arange(ramp_out) + 0.5) / ramp_out
        ramp = t if blend == "linear" else 0.5 - 0.5 * np.cos(np.pi * t)
        if left:
            w[:ramp_out] = np.minimum(w[:ramp_out], ramp)
        if right:
            w[-ramp_out:] = np.minimum(w[-ramp_out:], ramp[::-1])
    return w


def tile_grid(shape, tile_size=32, overlap=8):
    """The tile corners of each axis for a volume of `shape` (after padding to the tile size)."""
    stride = tile_size - overlap
    return [_starts(max(s, tile_size), tile_size, stride) for s in shape]


def super_resolve(
    generator,
    volume,
    tile_size=32,
    overlap=8,
    blend="cosine",
    batch_size=1,
    scale=None,
    skip_constant=True,
    progress=False,
):
    """Super-resolve a whole (already normalised) 3-D volume with overlapping, blended tiles.

    Args:
        generator: keras.Model (or callable) mapping `(B, t, t, t, 1)` to `(B, s·t, s·t, s·t, 1)`.
        volume: float array (x, y, z) in the generator's input units (z-scored).
        tile_size: int. LR tile edge. Memory and speed grow with it; the paper's patches are
            32 (→ 64). Defaults to `32`.
        overlap: int. LR voxels shared by neighbouring tiles, blended. Defaults to `8`.
        blend: "cosine" or "linear" ramps. Defaults to `"cosine"`.
        batch_size: int. Tiles per generator call. Defaults to `1`.
        scale: int or None. Upsampling factor; `None` infers it from one tile. Defaults to `None`.
        skip_constant: bool. A tile whose input is constant (e.g. empty background) is not run
            through the network; its output is that constant. Defaults to `True`.
        progress: bool. Print a line per 10 % of the tiles. Defaults to `False`.

    Returns:
        float32 array `(s·x, s·y, s·z)`. `super_resolve.last_stats` holds the tile counts and time.

    Example:
    ```python
    sr = super_resolve(generator, zscored_lr, tile_size=32, overlap=8)
    ```
    """
    volume = np.asarray(volume, dtype="float32")
    if volume.ndim != 3:
        raise ValueError(f"super_resolve expects a 3-D volume. Received: shape={volume.shape}")
    if blend not in BLENDS:
        raise ValueError(f"blend must be one of {BLENDS}. Received: blend={blend!r}")
    if not 0 <= overlap < tile_size:
        raise ValueError(f"Need 0 <= overlap < tile_size. Received: tile_size={tile_size}, overlap={overlap}")
    start_time = time.perf_counter()
    shape = volume.shape
    padded = np.pad(volume, [(0, max(0, tile_size - s)) for s in shape], mode="edge")
    grid = tile_grid(shape, tile_size, overlap)

    run = tf.function(lambda x: generator(x, training=False), reduce_retracing=True)
    first_tile_output = None  # the scale probe runs the first tile: its output is kept, not run twice
    if scale is None:
        first_tile_output = np.asarray(run(padded[None, :tile_size, :tile_size, :tile_size, None]))[0, ..., 0]
        scale = first_tile_output.shape[0] // tile_size
    tile_out, ramp_out = scale * tile_size, scale * overlap

    windows = []
    sums = []
    for axis, starts in enumerate(grid):
        axis_windows = [
            _window(tile_out, ramp_out, left=i > 0, right=i < len(starts) - 1, blend=blend) for i in range(len(starts))
        ]
        total = np.zeros(scale * padded.shape[axis])
        for start, w in zip(starts, axis_windows):
            total[scale * start: scale * start + tile_out] += w
        windows.append(axis_windows)
        sums.append(total)

    output = np.zeros([scale * s for s in padded.shape], dtype="float32")
    tiles = [(i, j, k) for i in range(len(grid[0])) for j in range(len(grid[1])) for k in range(len(grid[2]))]
    pending, skipped, computed = [], 0, 0

    def accumulate(index, result):
        i, j, k = index
        corner = (scale * grid[0][i], scale * grid[1][j], scale * grid[2][k])
        weight = (windows[0][i][:, None, None] * windows[1][j][None, :, None] * windows[2][k][None, None, :])
        box = tuple(slice(c, c + tile_out) for c in corner)
        output[box] += (weight * result).astype("float32")

    def flush():
        if pending:
            batch = np.stack([tile for _, tile in pending])[..., None]
            results = np.asarray(run(batch))[..., 0]
            for (index, _), result in zip(pending, results):
                accumulate(index, result)
            pending.clear()

    for n, (i, j, k) in enumerate(tiles, start=1):
        box = (slice(grid[0][i], grid[0][i] + tile_size), slice(grid[1][j], grid[1][j] + tile_size),
               slice(grid[2][k], grid[2][k] + tile_size))
        tile = padded[box]
        if skip_constant and float(tile.max() - tile.min()) == 0.0:
            accumulate((i, j, k), np.full((tile_out,) * 3, tile.flat[0], dtype="float32"))
            skipped += 1
        elif n == 1 and first_tile_output is not None:
            accumulate((i, j, k), first_tile_output)
            computed += 1
        else:
            pending.append(((i, j, k), tile))
            computed += 1
            if len(pending) == batch_size:
                flush()
        if progress and n % max(1, len(tiles) // 10) == 0:
            print(f"  tiles {n}/{len(tiles)} ({time.perf_counter() - start_time:.0f} s)", flush=True)
    flush()

    # The weight sum is separable: divide by its three 1-D factors in place (no full-size array).
    output /= sums[0].astype("float32")[:, None, None]
    output /= sums[1].astype("float32")[None, :, None]
    output /= sums[2].astype("float32")[None, None, :]
    output = output[: scale * shape[0], : scale * shape[1], : scale * shape[2]]
    super_resolve.last_stats = {
        "tiles": len(tiles), "computed_tiles": computed, "skipped_constant_tiles": skipped,
        "seconds": time.perf_counter() - start_time, "scale": scale,
    }
    return output


super_resolve.last_stats = {}


def normalize_for_inference(volume, mask_fraction=0.1):
    """Z-score an LR volume with its foreground statistics, as in training: (normalised, mean, std).

    The statistics are those of `brain_mask(volume, mask_fraction)` (every voxel if it is
    empty); `core.data.zscore` raises a ValueError for a constant volume.
    """
    from domains.mri.disgan.data import brain_mask

    mask = brain_mask(volume, fraction=mask_fraction)
    return zscore(volume, mask if mask.any() else None)


def min_volume_side(tile_size=32):
    """The fewest LR voxels along each axis a volume may have: a quarter of the tile (8 for 32).

    `super_resolve` pads a shorter volume to a whole tile by repeating its edge voxels: below a
    quarter of the tile, more than three quarters of what the generator sees along that axis
    is invented (a 3×3×3 volume would still come out "super-resolved").

    Args:
        tile_size: int. The LR tile edge of `super_resolve`. Defaults to 32.

    Example:
    ```python
    min_volume_side(32)   # 8
    ```
    """
    return max(2, int(tile_size) // 4)


def read_for_super_resolution(path, tile_size=32):
    """Read and check a NIfTI volume for `super_resolve_file`: `(volume, affine, voxel_size, zscored)`.

    Args:
        path: str or Path of a 3-D NIfTI file (`load_volume`).
        tile_size: int. The LR tile edge it will be super-resolved with. Defaults to 32.

    Returns:
        volume (x, y, z) float32, affine (4, 4), voxel_size (3 floats) and
        `normalize_for_inference(volume)`'s `(normalised, mean, std)`.

    Raises:
        FileNotFoundError: no such file.
        NiftiError: an unusable file (`load_volume`), a side under `min_volume_side(tile_size)`
            voxels, or one intensity everywhere; the message names the file.

    Example:
    ```python
    from core.data import samples
    volume, affine, voxel_size, (zscored, mean, std) = read_for_super_resolution(samples.fetch("mri.anatomical"))
    ```
    """
    volume, affine, voxel_size = load_volume(path)
    minimum = min_volume_side(tile_size)
    if min(volume.shape) < minimum:
        raise NiftiError(f"{path}: volume too small to super-resolve: shape {volume.shape}; each side must be at least "
                         f"{minimum} voxels (a quarter of the {tile_size}-voxel tile). Received: shape={volume.shape}")
    low, high = float(volume.min()), float(volume.max())
    if low == high:
        raise NiftiError(f"{path}: the volume is constant (every voxel {low:g}): nothing to super-resolve. "
                         f"Received: shape={volume.shape}")
    return volume, affine, voxel_size, normalize_for_inference(volume)


def super_resolve_array(generator, volume, **kwargs):
    """Normalise a volume in its own units, super-resolve it, and map the result back to them."""
    normalized, mean, std = normalize_for_inference(np.asarray(volume, "float32"))
    output = super_resolve(generator, normalized, **kwargs)
    output *= std  # in place: the output is the one full-size array
    output += mean
    return output


def super_resolve_file(generator, input_path, output_path, output_dtype="input", mask_background=True, **kwargs):
    """NIfTI in, super-resolved NIfTI out: voxel size divided by the scale, the input's header kept.

    The output has the input's orientation (the array is mapped back from the canonical RAS+
    orientation it was processed in), its header (units, description, qform/sform codes) with
    the affine of `sr_affine` (every output voxel 2i at the world position of input voxel i)
    and its dtype (rounded and clipped to an integer dtype's range) or float32.

    Args:
        generator: keras.Model.
        input_path: str or Path of a 3-D NIfTI file (read by `load_volume`: canonical RAS+
            orientation, clear errors for unusable files).
        output_path: str or Path (`.nii` or `.nii.gz`).
        output_dtype: "input" (the input's on-disk dtype) or "float32". Defaults to `"input"`.
        mask_background: bool. Keep the input's exact background (`background_mask`). Defaults
            to `True`.
        **kwargs: tiling options of `super_resolve`.

    Returns:
        dict with the paths, shapes, voxel sizes and tiling statistics.

    Raises:
        FileNotFoundError, NiftiError: see `read_for_super_resolution`.
    """
    if output_dtype not in ("input", "float32"):
        raise ValueError(f'output_dtype must be "input" or "float32". Received: output_dtype={output_dtype!r}')
    volume, affine, voxel_size, (normalized, mean, std) = read_for_super_resolution(
        input_path, kwargs.get("tile_size", 32))
    sr = super_resolve(generator, normalized, **kwargs)
    sr *= std  # in place: the output is the one full-size array
    sr += mean
    scale = sr.shape[0] // volume.shape[0]
    if mask_background:
        mask, value = background_mask(volume, scale)
        if mask is not None:
            sr[mask] = value
    save_like(output_path, sr, input_path, scale, output_dtype)
    return {
        "input": str(input_path), "output": str(output_path),
        "input_shape": list(volume.shape), "output_shape": list(sr.shape),
        "input_voxel_size": list(voxel_size), "output_voxel_size": [v / scale for v in voxel_size],
        **super_resolve.last_stats,
    }


def sr_affine(affine, scale=2):
    """The affine of the super-resolved grid: LR voxel i on HR voxel `scale`·i (the training degradations' grid).

    Every degradation of `data.degrade` ("nearest", "kspace", "blur") samples the HR patch at
    voxels 0, 2, 4, ...: the generator's output voxel 2i is the input's voxel i, at the same
    world position. So the voxel axes are divided by `scale` and the origin (voxel 0) stays.
    (`domains.mri.io.scaled_affine` centres the new grid in the old voxels instead: an output
    written with it is shifted by half an output voxel in the world.)

    Args:
        affine: (4, 4) voxel-to-world matrix of the LR input.
        scale: int. Defaults to 2.

    Example:
    ```python
    sr_affine(np.diag([2.0, 2.0, 2.0, 1.0]))[:3, :3]   # diag(1, 1, 1); translation unchanged
    ```
    """
    result = np.array(affine, dtype="float64")
    result[:3, :3] /= float(scale)
    return result


def background_mask(lr, scale=2, min_fraction=0.01, offset=0.0):
    """HR voxels whose every interpolating LR neighbour holds the LR volume's exact background value.

    A scan stored with an exact background (0 outside the head, after skull stripping or
    defacing) keeps it: wherever trilinear interpolation of the LR volume (LR voxel i on HR
    voxel `scale`·i) is exactly that value, the output is set to it. A volume whose minimum
    covers under `min_fraction` of its voxels (e.g. a noisy background) has no exact
    background: `(None, None)`.

    Args:
        lr: float array (x, y, z), the LR input.
        scale: int. Defaults to 2.
        min_fraction: float. Least share of voxels at the minimum. Defaults to 0.01.
        offset: float. Where LR voxel 0 sits on the HR grid (0.5 for a ×2 block average on its
            own grid, `data.native_offset`). Defaults to 0.0.

    Returns:
        (bool array of shape `scale`·lr.shape, or None; the background value or None).

    Example:
    ```python
    lr = np.zeros((8, 8, 8), "float32"); lr[2:6, 2:6, 2:6] = 1
    mask, value = background_mask(lr)
    mask[0, 0, 0], mask[8, 8, 8], value   # True, False, 0.0
    ```
    """
    from scipy import ndimage

    lr = np.asarray(lr)
    value = lr.min()
    exact = lr == value
    if exact.mean() < min_fraction:
        return None, None
    shape = tuple(scale * s for s in lr.shape)
    outside = ndimage.affine_transform(exact.astype("float32"), np.full(3, 1.0 / scale), offset=-offset / scale,
                                       output_shape=shape, order=1, mode="nearest")
    return outside >= 1.0 - 1e-6, float(value)


def save_like(path, volume, source_path, scale=2, output_dtype="input"):
    """Write `volume` (canonical RAS+, on the ×`scale` grid of `source_path`) with the source's header.

    The array goes back to the source file's own orientation, and the header is the source's
    with the voxel sizes and affines of `sr_affine` (both qform and sform, their codes kept).

    Args:
        path: str or Path of the output (`.nii` or `.nii.gz`).
        volume: float array in canonical orientation (as `load_volume` gives the source).
        source_path: str or Path of the LR input.
        scale: int. Defaults to 2.
        output_dtype: "input" or "float32". Defaults to `"input"`.

    Returns:
        pathlib.Path of the output.
    """
    import nibabel as nib

    source = nib.load(str(source_path))
    canonical = nib.as_closest_canonical(source)
    image = nib.Nifti1Image(np.asarray(volume, "float32"), sr_affine(canonical.affine, scale))
    # From canonical back to the source's axes: the same transform, applied to the ×scale grid.
    transform = nib.orientations.ornt_transform(nib.io_orientation(canonical.affine), nib.io_orientation(source.affine))
    image = image.as_reoriented(transform)
    header = source.header.copy()
    dtype = np.dtype("float32") if output_dtype == "float32" else source.get_data_dtype()
    data = np.asarray(image.dataobj, "float32")
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        data = np.clip(np.rint(data), info.min, info.max)
    header.set_data_dtype(dtype)
    header.set_data_shape(data.shape)
    header.set_slope_inter(1.0, 0.0)  # the values are written as they are (no scaling)
    header.set_zooms(tuple(float(z) / scale for z in source.header.get_zooms()[:3]))
    out = nib.Nifti1Image(data.astype(dtype), image.affine, header)
    out.set_qform(image.affine, code=int(source.header["qform_code"]) or 1)
    out.set_sform(image.affine, code=int(source.header["sform_code"]) or 1)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(out, str(path))
    return path


def sr_output_path(input_path, output_dir):
    """`OUTPUT/{name}_sr.nii.gz` for `{name}.nii` or `{name}.nii.gz`."""
    name = pathlib.Path(input_path).name
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return pathlib.Path(output_dir) / f"{name}_sr.nii.gz"
