"""DISGAN's data: NIfTI volumes → z-scored volumes → random HR patches → LR made inside tf.data.

- `load_training_volume` reads a file through `domains.mri.io.load_volume` (canonical RAS+
  orientation; clear errors for 2-D/4-D/truncated/corrupt/NaN/singular-affine files), finds the
  foreground with `brain_mask` and z-scores the volume (`core.data.zscore`) with the mean and
  standard deviation of the foreground (per volume, as the paper).
- `patch_corners` lists the corners of the patches that lie inside an allowed region (e.g. all
  but a held-out slab) and hold at least a fraction of foreground; `patch_dataset` draws random
  patches from them (an endless `tf.data.Dataset` of `{"hr", "background"}`).
- `degrade` makes the LR input from an HR patch *inside tf.data*: nearest-neighbour ×2 (the
  paper: `F.interpolate(hr, 32)`, i.e. every second voxel), a 2×2×2 block average (a thick
  acquisition's box-shaped voxel), k-space truncation (the central k-space kept, on the
  Fourier interpolation grid), or a Gaussian blur of the LR voxel's FWHM then decimation;
  `add_rician_noise` optionally adds Rician noise to the LR magnitude. The model's input always
  has LR voxel i on HR voxel 2i (tested), the grid of the generator's global residual and of
  the written output's affine (`inference.sr_affine`). A block average's own voxels sit on
  2i + 0.5 (`native_offset`): `degrade(..., native=True)` gives them there (what the
  evaluation's interpolation baselines use, on that grid), and without `native` they are moved
  onto the 2i grid by Keys' cubic convolution (`regrid`), exact for linear and quadratic
  intensities. Training's "mixed" draws one of `DEGRADATIONS` (or of a chosen `mix`) for every
  patch.
- Many volumes: `find_volumes` (HCP tree or flat folder), `write_patch_tfrecords` /
  `read_patch_tfrecords` (TFRecord shards of HR patches via `core.data`).
"""

import dataclasses
import math
import pathlib

import numpy as np
import tensorflow as tf

from core.data import make_pipeline, read_tfrecord_shards, write_tfrecord_shards, zscore
from domains.mri.io import NiftiError, foreground_mask, list_volumes, load_volume

DEGRADATIONS = ("nearest", "block", "kspace", "blur")
# Training may also draw one of DEGRADATIONS (or of a chosen mix of them) at random for every patch.
TRAINING_DEGRADATIONS = (*DEGRADATIONS, "mixed")
# HCP's preprocessed structural T1w (skull-stripped), one per subject: {root}/{subject}/T1w/...
HCP_T1W_PATTERN = "*/T1w/T1w_acpc_dc_restore_brain.nii.gz"


# === Volumes ===================================================================================
@dataclasses.dataclass
class TrainingVolume:
    """A z-scored volume and what patch sampling needs to know about it.

    Attributes:
        path: the source file (or a name).
        volume: float32 (x, y, z), z-scored with the foreground statistics.
        mask: bool (x, y, z) foreground.
        mean, std: the foreground statistics used (original intensity units).
        background: float. The z-scored value of intensity 0 (the magnitude image's zero), used
            by the Rician noise model.
        affine: (4, 4) voxel-to-world matrix.
    """

    path: str
    volume: np.ndarray
    mask: np.ndarray
    mean: float
    std: float
    background: float
    affine: np.ndarray


def brain_mask(volume, fraction=0.1, smooth=1.0):
    """Foreground for normalisation and patch sampling, robust to noise.

    `domains.mri.io.foreground_mask` (threshold at `fraction` of the 99.5th percentile, holes
    filled) of the volume smoothed with a Gaussian of `smooth` voxels: smoothing keeps noisy
    background voxels (e.g. a Rician floor) out of the mask, so clean and noisy versions of
    a volume get nearly the same statistics. Training and inference use the same function.
    """
    from scipy import ndimage

    source = ndimage.gaussian_filter(np.asarray(volume, "float32"), smooth) if smooth else volume
    return foreground_mask(source, fraction=fraction)


def load_training_volume(path, mask_fraction=0.1, scale=2):
    """Read a NIfTI file (via `load_volume`), find its foreground and z-score it.

    The z-score statistics are those of the volume's foreground *at the LR resolution* (the
    every-`scale`-th-voxel volume): at inference the model only has the LR volume, from which
    `normalize_for_inference` computes the same statistics, so training and inference inputs
    are normalised alike.

    Args:
        path: str or Path of a 3-D `.nii`/`.nii.gz`.
        mask_fraction: float. Foreground threshold as a fraction of the 99.5th percentile
            (`brain_mask`). Defaults to `0.1`.
        scale: int. The super-resolution factor. Defaults to `2`.

    Returns:
        `TrainingVolume`.

    Raises:
        NiftiError: unusable file (the message names it), or no foreground / a constant volume.
    """
    volume, affine, _ = load_volume(path)
    mask = brain_mask(volume, fraction=mask_fraction)
    if not mask.any():
        raise NiftiError(f"{path}: no foreground voxel (the volume is empty or constant)")
    # The LR volume's foreground (every voxel if it has none) marked on the HR grid.
    lr_mask = brain_mask(volume[::scale, ::scale, ::scale], fraction=mask_fraction)
    statistics_mask = np.zeros(volume.shape, bool)
    statistics_mask[::scale, ::scale, ::scale] = lr_mask if lr_mask.any() else True
    try:
        normalized, mean, std = zscore(volume, statistics_mask)
    except ValueError as error:
        raise NiftiError(f"{path}: {error}") from error
    return TrainingVolume(str(path), normalized, mask, mean, std, (0.0 - mean) / std, affine)


def find_volumes(root, pattern=None):
    """The NIfTI volumes of a data folder, sorted.

    With `pattern=None`, an HCP tree (`{subject}/T1w/T1w_acpc_dc_restore_brain.nii.gz`) is
    recognised and only those files are returned (one skull-stripped T1w per subject, not the
    T2w, masks and label maps next to it); any other folder gives all its `.nii`/`.nii.gz` files
    (recursively).

    Args:
        root: str or Path of the folder.
        pattern: str or None. A glob relative to `root` (e.g. `"*/T1w/T1w_acpc_dc_restore.nii.gz"`
            for HCP's non-skull-stripped T1w). Defaults to `None`.

    Raises:
        FileNotFoundError: no folder, or no matching file.
    """
    root = pathlib.Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder (expected a folder of .nii/.nii.gz volumes or an HCP tree)")
    if pattern is None:
        hcp = sorted(root.glob(HCP_T1W_PATTERN))
        return hcp if hcp else list_volumes(root)
    files = sorted(p for p in root.glob(pattern) if p.is_file())
    if not files:
        raise FileNotFoundError(f"{root}: no file matches the pattern {pattern!r}")
    return files


def split_volumes(paths, val_fraction=0.1, source=None):
    """Whole volumes into `(train, validation)`: the last `val_fraction` of the sorted list (at least 1).

    Deterministic (no volume, hence no subject, is in both): `folder_split` and the TFDS builder
    `HcpPatches` split alike. `source` (the folder) is named in the errors.

    Raises:
        ValueError: fewer than 2 volumes, or `val_fraction` outside (0, 1).
    """
    paths = sorted(paths)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1). Received: val_fraction={val_fraction!r}")
    if len(paths) < 2:
        raise ValueError(
            f"{source or 'split_volumes'}: a split by volume needs at least 2 volumes (one for validation). "
            f"Received: {len(paths)}"
        )
    num_val = max(1, int(round(val_fraction * len(paths))))
    return paths[:-num_val], paths[-num_val:]


def holdout_slab(mask, thickness=32, axis=2, even=True):
    """The `thickness` slices at the top of the foreground along `axis`: `(start, stop)`.

    For an RAS+ volume and `axis=2` these are the top axial slices of the brain. With `even`,
    `start` is rounded down to an even index so the slab lines up with the ×2 LR grid.
    """
    profile = np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != axis)))
    if profile.size == 0:
        raise ValueError("holdout_slab: the mask is empty")
    stop = int(profile[-1]) + 1
    start = max(0, stop - thickness)
    if even:
        start -= start % 2
    return start, start + thickness


# === Patches ===================================================================================
def patch_corners(mask, patch_size, min_foreground=0.2, region=None, stride=2):
    """Corners of the patches inside `region` with at least `min_foreground` foreground.

    Args:
        mask: bool (x, y, z).
        patch_size: int or 3 ints. HR patch size.
        min_foreground: float. Least fraction of foreground voxels in a patch. Defaults to `0.2`.
        region: None or 3 `(start, stop)` pairs: the box the whole patch must lie in (e.g.
            everything below a held-out slab). `None` for the whole volume. Defaults to `None`.
        stride: int. Grid of the corners; 2 keeps them on the ×2 LR grid. Defaults to `2`.

    Returns:
        int array `(n, 3)` of corners (possibly empty).
    """
    size = np.broadcast_to(np.asarray(patch_size, dtype=int), (3,))
    region = [(0, s) for s in mask.shape] if region is None else [(int(a), int(b)) for a, b in region]
    counts = np.pad(mask.astype(np.int32), [(1, 0)] * 3).cumsum(0).cumsum(1).cumsum(2)
    ranges = []
    for (start, stop), p in zip(region, size):
        start = start + (-start % stride)
        ranges.append(np.arange(start, max(start, stop - p + 1), stride))
    if any(r.size == 0 for r in ranges):
        return np.zeros((0, 3), dtype=int)
    x, y, z = np.meshgrid(*ranges, indexing="ij")
    a = (x, y, z)
    b = tuple(c + p for c, p in zip(a, size))
    total = (
        counts[b[0], b[1], b[2]] - counts[a[0], b[1], b[2]] - counts[b[0], a[1], b[2]] - counts[b[0], b[1], a[2]]
        + counts[a[0], a[1], b[2]] + counts[a[0], b[1], a[2]] + counts[b[0], a[1], a[2]] - counts[a[0], a[1], a[2]]
    )
    keep = total >= min_foreground * float(np.prod(size))
    return np.stack([x[keep], y[keep], z[keep]], axis=1)


class PatchSampler:
    """Random HR patches from z-scored volumes (uniform over the volumes' valid corners).

    Args:
        volumes: list of `TrainingVolume`.
        patch_size: int or 3 ints. Defaults to `64` (the paper's).
        min_foreground: float. Defaults to `0.2`.
        regions: None, or one region per volume (see `patch_corners`).
        seed: int or None.

    Raises:
        ValueError: a volume has no valid patch (too small, or too little foreground).
    """

    def __init__(self, volumes, patch_size=64, min_foreground=0.2, regions=None, seed=None):
        self.volumes = list(volumes)
        if not self.volumes:
            raise ValueError("PatchSampler needs at least one volume. Received: 0 volumes")
        self.patch_size = tuple(np.broadcast_to(np.asarray(patch_size, dtype=int), (3,)).tolist())
        regions = regions if regions is not None else [None] * len(self.volumes)
        self.corners = []
        for volume, region in zip(self.volumes, regions):
            corners = patch_corners(volume.mask, self.patch_size, min_foreground, region)
            if len(corners) == 0:
                raise ValueError(
                    f"{volume.path}: no {self.patch_size} patch with at least {min_foreground:.0%} foreground "
                    f"fits in the allowed region {region} of the volume {volume.volume.shape}"
                )
            self.corners.append(corners)
        self.rng = np.random.default_rng(seed)

    def sample(self):
        """One random patch: (float32 (x, y, z, 1), background value)."""
        v = int(self.rng.integers(len(self.volumes)))
        corner = self.corners[v][int(self.rng.integers(len(self.corners[v])))]
        volume = self.volumes[v]
        box = tuple(slice(c, c + p) for c, p in zip(corner, self.patch_size))
        return volume.volume[box][..., None], np.float32(volume.background)

    def fixed(self, count):
        """`count` patches as arrays (e.g. a fixed validation set): (patches, backgrounds)."""
        pairs = [self.sample() for _ in range(count)]
        return np.stack([p for p, _ in pairs]), np.array([b for _, b in pairs], dtype="float32")

    def dataset(self):
        """An endless `tf.data.Dataset` of `{"hr": (x, y, z, 1), "background": ()}`."""

        def generate():
            while True:
                patch, background = self.sample()
                yield {"hr": patch, "background": background}

        signature = {
            "hr": tf.TensorSpec((*self.patch_size, 1), tf.float32),
            "background": tf.TensorSpec((), tf.float32),
        }
        return tf.data.Dataset.from_generator(generate, output_signature=signature)


# === LR degradation (TensorFlow, runs inside tf.data) ==========================================
def fwhm_sigma(scale=2):
    """The Gaussian σ (HR voxels) whose FWHM is one LR voxel: `scale / (2·sqrt(2·ln 2))` (0.849 for ×2).

    Example:
    ```python
    round(fwhm_sigma(2), 4)   # 0.8493
    ```
    """
    return scale / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def native_offset(method, scale=2):
    """Where `method`'s own LR voxel 0 sits on the HR grid (HR voxels): LR voxel i on `scale`·i + offset.

    0 for "nearest", "kspace" (the Fourier interpolation grid) and "blur"; `(scale − 1) / 2`
    for "block" (the centre of the averaged block: 0.5 for ×2).

    Args:
        method: one of `DEGRADATIONS`.
        scale: int. Defaults to `2`.

    Example:
    ```python
    native_offset("nearest"), native_offset("block")   # 0.0, 0.5
    ```
    """
    _check_method(method)
    return (scale - 1) / 2.0 if method == "block" else 0.0


def _check_method(method):
    if method not in DEGRADATIONS:
        raise ValueError(f"degrade: method must be one of {DEGRADATIONS}. Received: method={method!r}")


def degrade(hr, method="nearest", scale=2, blur_sigma=None, native=False):
    """The LR volume of an HR patch `(x, y, z, C)` (or a batch `(B, x, y, z, C)`).

    Args:
        hr: float tensor; every spatial size divisible by `scale`.
        method: "nearest" (every `scale`-th voxel: PyTorch `F.interpolate(hr, size // scale)`
            as the paper), "block" (the mean of each `scale`³ block: a thick voxel's box
            profile), "kspace" (keep the central 1/scale of k-space along each axis: what a
            lower-resolution acquisition measures; real part, intensity preserved) or "blur"
            (Gaussian blur of `blur_sigma` HR voxels, then every `scale`-th voxel).
            Defaults to `"nearest"`.
        scale: int. Defaults to `2`.
        blur_sigma: float or None. For "blur"; `None` is the LR voxel's FWHM (`fwhm_sigma`).
            Defaults to `None`.
        native: bool. For "block": keep its voxels on their own grid (LR voxel i on HR voxel
            `scale`·i + `native_offset`) instead of moving them onto the `scale`·i grid of the
            other methods (`regrid`). Defaults to `False`.

    Returns:
        The LR tensor, spatial sizes divided by `scale`.

    Example:
    ```python
    hr = np.arange(8, dtype="float32")[:, None, None, None] * np.ones((8, 4, 4, 1), "float32")
    degrade(hr, "block", native=True)[:, 0, 0, 0]   # [0.5, 2.5, 4.5, 6.5]: HR voxels 2i + 0.5
    degrade(hr, "block")[:, 0, 0, 0]   # [0.36, 1.95, 4, 6.14]: HR voxels 2i (the clamped edges bend 2i ≤ 2, 2i = 6)
    ```
    """
    _check_method(method)
    hr = tf.convert_to_tensor(hr, tf.float32)
    batched = hr.shape.rank == 5
    x = hr if batched else hr[tf.newaxis]
    if method == "blur":
        x = _gaussian_blur(x, fwhm_sigma(scale) if blur_sigma is None else blur_sigma)
    if method == "kspace":
        x = _kspace_truncate(x, scale)
    elif method == "block":
        shape = tf.shape(x)
        x = tf.reshape(x, [shape[0], shape[1] // scale, scale, shape[2] // scale, scale, shape[3] // scale, scale,
                           shape[4]])
        x = tf.reduce_mean(x, axis=[2, 4, 6])
        if not native:
            x = regrid(x, -native_offset(method, scale) / scale)
    else:
        x = x[:, ::scale, ::scale, ::scale, :]
    return x if batched else x[0]


def keys_weights(fraction):
    """Keys' cubic-convolution weights (a = −0.5) of the samples i−1, i, i+1, i+2 at position i + `fraction`.

    Example:
    ```python
    keys_weights(0.5)   # [-0.0625, 0.5625, 0.5625, -0.0625]: CubicUpsampling's half-way sample
    ```
    """

    def kernel(t):
        t = abs(t)
        if t <= 1:
            return 1.5 * t**3 - 2.5 * t**2 + 1
        return -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2 if t < 2 else 0.0

    return [kernel(fraction + 1), kernel(fraction), kernel(1 - fraction), kernel(2 - fraction)]


def regrid(x, shift):
    """Resample a batch `(B, x, y, z, C)` at positions i + `shift` (LR voxels) along every spatial axis.

    Keys' cubic convolution (a = −0.5; exact for linear and quadratic intensities), edges
    clamped as `generator.CubicUpsampling`. `degrade(..., "block")` moves a block average
    from its 2i + 0.5 grid onto the 2i grid with `shift = −0.25`.

    Args:
        x: float tensor (B, x, y, z, C).
        shift: float. In voxels of `x`.

    Example:
    ```python
    ramp = np.arange(6, dtype="float32")[None, :, None, None, None] * np.ones((1, 6, 2, 2, 1), "float32")
    regrid(ramp, -0.25)[0, :, 0, 0, 0]   # [-0.07, 0.73, 1.75, 2.75, 3.75, 4.82]: exact but at the clamped edges
    ```
    """
    base = math.floor(shift)
    weights = keys_weights(shift - base)
    x = tf.convert_to_tensor(x, tf.float32)
    for axis in (1, 2, 3):
        size = tf.shape(x)[axis]
        index = tf.range(size)
        x = tf.add_n([w * tf.gather(x, tf.clip_by_value(index + base + offset, 0, size - 1), axis=axis)
                      for w, offset in zip(weights, (-1, 0, 1, 2))])
    return x


def _gaussian_blur(x, sigma):
    radius = max(1, int(math.ceil(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps = tf.constant(taps / taps.sum(), tf.float32)
    channels = x.shape[-1]
    # Depthwise separable blur: channels into the batch axis, one (k,1,1)/(1,k,1)/(1,1,k) conv each.
    shape = tf.shape(x)
    y = tf.reshape(tf.transpose(x, [0, 4, 1, 2, 3]), [-1, shape[1], shape[2], shape[3], 1])
    for axis in range(3):
        kernel_shape = [1, 1, 1, 1, 1]
        kernel_shape[axis] = 2 * radius + 1
        pad = [[0, 0]] * 5
        pad[axis + 1] = [radius, radius]
        y = tf.nn.conv3d(tf.pad(y, pad, mode="SYMMETRIC"), tf.reshape(taps, kernel_shape), [1] * 5, "VALID")
    y = tf.reshape(y, [shape[0], channels, shape[1], shape[2], shape[3]])
    return tf.transpose(y, [0, 2, 3, 4, 1])


def _kspace_truncate(x, scale):
    # (B, X, Y, Z, C) -> channels first for fft3d over the three innermost axes.
    y = tf.transpose(x, [0, 4, 1, 2, 3])
    spectrum = tf.signal.fftshift(tf.signal.fft3d(tf.cast(y, tf.complex64)), axes=[2, 3, 4])
    sizes = tf.shape(y)[2:]
    low = sizes // scale
    start = (sizes - low) // 2
    spectrum = spectrum[:, :, start[0]:start[0] + low[0], start[1]:start[1] + low[1], start[2]:start[2] + low[2]]
    lr = tf.math.real(tf.signal.ifft3d(tf.signal.ifftshift(spectrum, axes=[2, 3, 4])))
    lr = lr / float(scale**3)  # the inverse FFT of fewer samples divides by fewer: keep the intensity
    return tf.transpose(lr, [0, 2, 3, 4, 1])


def add_rician_noise(x, sigma, background=0.0, seed=None):
    """Rician noise on a magnitude image (TensorFlow; runs inside tf.data).

    The magnitude is `m = x − background` (≥ 0 for a magnitude image: `background` is the
    value of zero magnitude, e.g. `TrainingVolume.background` for a z-scored volume, 0 for
    intensities in their own units); the noisy magnitude is `sqrt((m + σ·n1)² + (σ·n2)²)` with
    independent standard normal `n1`, `n2` (a complex Gaussian in k-space gives a Rician
    magnitude), and the result is shifted back.

    Args:
        x: float tensor or array.
        sigma: float or scalar tensor. Noise level in the units of `x`.
        background: float or tensor broadcastable to `x`. The value of zero magnitude.
            Defaults to `0.0`.
        seed: int or None. An int draws the same noise at every call (stateless random ops,
            e.g. a reproducible evaluation); `None` draws new noise at every call (every
            tf.data element). Defaults to `None`.

    Returns:
        A float32 tensor of `x`'s shape.

    Example:
    ```python
    noisy = add_rician_noise(np.zeros((16, 16, 16), "float32"), sigma=2.0, seed=0)
    float(noisy.numpy().mean())   # ≈ 2·sqrt(π/2) ≈ 2.51, the Rayleigh mean of pure noise
    ```
    """
    x = tf.convert_to_tensor(x, tf.float32)
    shape = tf.shape(x)
    if seed is None:
        n1 = tf.random.normal(shape)
        n2 = tf.random.normal(shape)
    else:
        n1 = tf.random.stateless_normal(shape, seed=[int(seed), 0])
        n2 = tf.random.stateless_normal(shape, seed=[int(seed), 1])
    magnitude = x - background
    return tf.sqrt(tf.square(magnitude + sigma * n1) + tf.square(sigma * n2)) + background


def resolve_mix(degradation, mix=None):
    """The degradations a training run draws from: `[degradation]`, or with "mixed" `mix` (default all).

    Args:
        degradation: one of `TRAINING_DEGRADATIONS`.
        mix: None or some of `DEGRADATIONS`: what "mixed" draws from. Defaults to `None` (all).

    Example:
    ```python
    resolve_mix("mixed", ["nearest", "block"]), resolve_mix("kspace")   # ('nearest', 'block'), ('kspace',)
    ```
    """
    if degradation not in TRAINING_DEGRADATIONS:
        raise ValueError(f"degradation must be one of {TRAINING_DEGRADATIONS}. Received: degradation={degradation!r}")
    if degradation != "mixed":
        return (degradation,)
    mix = tuple(mix) if mix else DEGRADATIONS
    if not set(mix) <= set(DEGRADATIONS) or len(set(mix)) != len(mix):
        raise ValueError(f"a degradation mix is some of {DEGRADATIONS}, each once. Received: mix={list(mix)!r}")
    return mix


def make_pairs_fn(degradation="nearest", scale=2, blur_sigma=None, noise_sigma=0.0, mix=None):
    """A tf.data map function `{"hr", "background"}` → `(lr, hr)`.

    `degradation` is one of `TRAINING_DEGRADATIONS`: "mixed" draws one of `mix` (default all of
    `DEGRADATIONS`, equally likely) for every patch.
    """
    methods = resolve_mix(degradation, mix)

    def make_lr(hr):
        if len(methods) == 1:
            return degrade(hr, methods[0], scale, blur_sigma)
        choice = tf.random.uniform((), 0, len(methods), dtype=tf.int32)
        branches = [lambda method=method: degrade(hr, method, scale, blur_sigma) for method in methods]
        return tf.switch_case(choice, branches)

    def to_pair(example):
        hr = example["hr"]
        lr = make_lr(hr)
        if noise_sigma:
            lr = add_rician_noise(lr, noise_sigma, example["background"])
        return lr, hr

    return to_pair


def training_pipeline(patches, batch_size, degradation="nearest", scale=2, blur_sigma=None, noise_sigma=0.0, seed=None,
                      mix=None):
    """Batched `(lr, hr)` pairs from a data set of `{"hr", "background"}` patches.

    The LR input is made on the fly (`augment_fn` of `core.data.make_pipeline`), so noise and
    any random degradation differ at every draw.

    Args:
        patches: tf.data.Dataset (e.g. `PatchSampler.dataset()` or `read_patch_tfrecords(...)`).
        batch_size: int. Global batch size.
        degradation, scale, blur_sigma, noise_sigma: see `degrade` and `add_rician_noise`.
        seed: int or None.
        mix: None or some of `DEGRADATIONS`: what "mixed" draws from (`resolve_mix`).

    Example:
    ```python
    sampler = PatchSampler([load_training_volume(p) for p in find_volumes("~/data/HCP")], 64)
    train = training_pipeline(sampler.dataset(), batch_size=4)
    model.fit(train, steps_per_epoch=500, epochs=20)
    ```
    """
    return make_pipeline(
        patches, batch_size, training=True, shuffle=False, seed=seed, drop_remainder=True,
        augment_fn=make_pairs_fn(degradation, scale, blur_sigma, noise_sigma, mix),
    )


def validation_pipeline(hr_patches, batch_size, degradation="nearest", scale=2, blur_sigma=None, mix=None):
    """Batched deterministic `(lr, hr)` pairs from an array of HR patches `(n, x, y, z, 1)`.

    With "mixed", patch i is degraded by `methods[i % len(methods)]` of `resolve_mix` (fixed,
    so epochs compare).
    """
    methods = resolve_mix(degradation, mix)
    if len(methods) > 1:
        hr = np.asarray(hr_patches, "float32")
        lr = np.stack([degrade(patch, methods[i % len(methods)], scale, blur_sigma).numpy()
                       for i, patch in enumerate(hr)])
        return make_pipeline((lr, hr), batch_size, training=False)

    def to_pair(hr):
        return degrade(hr, methods[0], scale, blur_sigma), hr

    return make_pipeline(np.asarray(hr_patches, "float32"), batch_size, training=False, map_fn=to_pair)


# === TFRecord of patches (many volumes) ========================================================
def write_patch_tfrecords(paths, output_prefix, patches_per_volume=64, patch_size=64, min_foreground=0.2,
                          num_shards=4, seed=0, mask_fraction=0.1):
    """Sample HR patches from many NIfTI volumes into TFRecord shards (`core.data`).

    Each volume is read (via `load_volume`), z-scored and sampled in turn, so memory holds one
    volume at a time. Each example stores `hr` (x, y, z, 1), `background` and `volume` (index).

    Args:
        paths: list of NIfTI paths (e.g. `find_volumes(root)`).
        output_prefix: str. Shards are `{prefix}-0000i-of-0000n.tfrecord` plus a `.spec.json`.
        patches_per_volume: int. Defaults to `64`.
        patch_size: int. Defaults to `64`.
        min_foreground: float. Defaults to `0.2`.
        num_shards: int. Defaults to `4`.
        seed: int. Defaults to `0`.
        mask_fraction: float. Foreground threshold (`brain_mask`). Defaults to `0.1`.

    Returns:
        list of the shard paths.
    """
    paths = [str(p) for p in paths]

    def examples():
        for index, path in enumerate(paths):
            sampler = PatchSampler([load_training_volume(path, mask_fraction)], patch_size, min_foreground,
                                   seed=seed + index)
            for _ in range(patches_per_volume):
                patch, background = sampler.sample()
                yield {"hr": patch, "background": background, "volume": np.int64(index)}

    return write_tfrecord_shards(examples(), str(output_prefix), num_shards=num_shards)


def read_patch_tfrecords(pattern, shuffle_buffer=256, seed=None, repeat=True):
    """HR patches written by `write_patch_tfrecords`, as `{"hr", "background"}` (shuffled, endless)."""
    dataset = read_tfrecord_shards(pattern)
    dataset = dataset.map(lambda e: {"hr": e["hr"], "background": e["background"]})
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    return dataset.repeat() if repeat else dataset
