"""RRNet's preprocessing of MRS spectra, vectorised over a batch, with the bad pixels kept as a mask.

The official pipeline (Chan-0312/RRNet, `utils/spectra_pretreatment.py`), step by step:

1. rest frame: λ_rest = λ_helio / (1 + RV/c), RV the star's heliocentric radial velocity (the
   official code takes the catalogue's `lamost_rv_ku0`); wavelengths not yet heliocentric
   (`HELIO = F`) are first shifted by the header's `HELIO_RV`;
2. linear resampling onto 4968–5328 Å (blue) and 6339–6699 Å (red) at 0.1 Å: 3,600 + 3,600 =
   7,200 pixels, blue first (`WAVELENGTHS`);
3. per arm, the continuum: a width-3 median filter replaces outliers beyond +3σ / −4σ, then a
   5th-order polynomial is fitted on the standardised flux and wavelength, iteratively, the
   sigma-clipped points replaced by the fit; the flux is divided by it;
4. clipping of the normalised flux to [−0.5, 2.5].

Per-pixel standardisation (step 5 of the official code) happens inside the model
(`domains.lamost.model.SpectrumStandardization`), with statistics saved in the `.keras` file.

Beyond the official code, bad pixels are not interpolated silently into the input: a pixel is
masked where its IVAR is 0, a mask bit is set (ANDMASK/PIXMASK), it borrows from such a pixel
in the resampling, or the arm does not reach it. Masked pixels take the value 1 (the continuum)
and the mask goes to the model as a second channel; `Preprocessed.masked_counts` reports them.
Steps 3 and 4 run on the whole batch at once (batched least squares); step 2 is one `np.interp`
per spectrum and arm.

Example:
```python
from domains.lamost.data import read_mrs
spectra = [read_mrs(path) for path in paths]
batch = preprocess(spectra, rv=[-23.0] * len(spectra))   # km/s, from a catalogue
batch.flux.shape, batch.good.shape, batch.masked_counts   # (n, 7200), (n, 7200), [...]
x = batch.model_input()                                   # (n, 7200, 2): flux, good
```
"""

import dataclasses

import numpy as np

SPEED_OF_LIGHT_KMS = 299_792.458
STEP = 0.1
BLUE_RANGE = (4968.0, 5328.0)
RED_RANGE = (6339.0, 6699.0)
PIXELS_PER_ARM = 3600
BLUE_GRID = BLUE_RANGE[0] + STEP * np.arange(PIXELS_PER_ARM)
RED_GRID = RED_RANGE[0] + STEP * np.arange(PIXELS_PER_ARM)
WAVELENGTHS = np.concatenate([BLUE_GRID, RED_GRID])
NUM_PIXELS = WAVELENGTHS.size
CLIP_RANGE = (-0.5, 2.5)
# The noise channel's ceiling (normalised units): a pixel noisier than this carries no information.
NOISE_MAX = 2.5
# An arm that reaches less than this fraction of its grid window is refused, not padded.
MIN_COVERAGE = 0.5


@dataclasses.dataclass
class Preprocessed:
    """A batch of spectra on RRNet's 7,200-pixel grid.

    Attributes:
        flux: (n, 7200) float32, continuum-normalised and clipped; 1 at masked pixels.
        good: (n, 7200) bool, False at masked pixels.
        continuum: (n, 7200) float32, the fitted continuum (in the input's flux units).
        names: list of str, one per spectrum (its file and exposure, or an index).
        noise: (n, 7200) float32 or None: the per-pixel σ of `flux` (1/√IVAR over the continuum,
            resampled; clipped to `NOISE_MAX`; 0 at masked pixels), when the IVAR was given.
    """

    flux: np.ndarray
    good: np.ndarray
    continuum: np.ndarray
    names: list
    noise: np.ndarray = None

    @property
    def masked_counts(self):
        """Masked pixels per spectrum, (n,) int."""
        return (~self.good).sum(axis=1)

    def model_input(self, noise=False):
        """(n, 7200, 2) float32: the normalised flux and the good-pixel mask (1 good, 0 masked).

        Args:
            noise: bool. Append a third channel, the per-pixel noise σ in the normalised flux's
                units (from IVAR; 0 at masked pixels), for models built with `noise_input=True`.
                Defaults to False.
        """
        channels = [self.flux, self.good.astype("float32")]
        if noise:
            if self.noise is None:
                raise ValueError("model_input(noise=True) needs the spectra's IVAR: preprocess them with it "
                                 f"(preprocess(..., noise=True), or arm tuples of 4: wavelength, flux, masked, ivar). "
                                 f"Received: spectra {self.names[:3]} without IVAR")
            channels.append(self.noise)
        return np.stack(channels, axis=-1).astype("float32")


def _as_rows(value, n, name):
    value = np.broadcast_to(np.asarray(0.0 if value is None else value, dtype="float64"), (n,))
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} must be finite. Received: {name}={value.tolist()}")
    return value


def resample(wavelength, flux, masked, grid):
    """Linear resampling of one arm onto `grid`, with the pixels to mask.

    Args:
        wavelength: (p,) increasing wavelengths of the native pixels (rest frame).
        flux: (p,) flux.
        masked: (p,) bool, True at bad native pixels.
        grid: (m,) target wavelengths.

    Returns:
        (flux (m,), good (m,) bool, coverage float): a grid pixel is bad when it lies outside the
        arm or interpolates from a bad native pixel; its flux is then interpolated from the good
        native pixels only (a placeholder: it is masked). `coverage` is the fraction of the grid
        the arm reaches.
    """
    inside = (grid >= wavelength[0]) & (grid <= wavelength[-1])
    touches_bad = np.interp(grid, wavelength, masked.astype("float64")) > 0
    keep = ~masked
    values = np.interp(grid, wavelength[keep], flux[keep]) if keep.any() else np.ones_like(grid)
    return values, inside & ~touches_bad, float(inside.mean())


def continuum(flux, good, wavelength, degree=5, iterations=10, clip=(2.0, 3.0), outlier=(4.0, 3.0), stride=3):
    """The continuum of a batch of spectra on one common grid (one arm), fitted all at once.

    Outliers are first replaced by a width-3 median filter where they lie beyond −4σ/+3σ of it;
    then a polynomial of `degree` in the standardised wavelength is fitted to the standardised
    flux by weighted least squares (weight 0 at masked pixels), `iterations` times, each time
    replacing the points beyond −clip[0]σ / +clip[1]σ of the fit by the fit. The iterations run on
    every `stride`-th pixel (1,200 of an arm's 3,600 by default: a 5th-order polynomial over 360 Å
    needs no more, and the iterations cost 3× less); the final polynomial is evaluated on all.

    Args:
        flux: (n, m) flux.
        good: (n, m) bool.
        wavelength: (m,) wavelengths of the grid.
        degree: int. Defaults to 5 (the official).
        iterations: int. Defaults to 10.
        clip: (low, high) σ of the iterative clipping. Defaults to (2, 3).
        outlier: (low, high) σ of the median-filter outliers. Defaults to (4, 3) (the official).
        stride: int. Fit on every `stride`-th pixel. Defaults to 3 (1 fits on all, as the official).

    The matrix products are small (a few MFLOP): they run on one BLAS thread, which is several
    times faster than OpenBLAS's threads when the model or other jobs share the cores.

    Returns:
        (n, m) float64 continuum (computed in float32).
    """
    from scipy.ndimage import median_filter
    from threadpoolctl import threadpool_limits

    if iterations < 1 or stride < 1:
        raise ValueError(f"iterations and stride must be >= 1. Received: iterations={iterations}, stride={stride}")
    # float32 for the per-pixel arithmetic (it dominates the cost); the small solves in float64.
    flux = np.asarray(flux, dtype="float32")
    weight = np.asarray(good, dtype="float32")
    count = np.maximum(weight.sum(axis=1, keepdims=True), 1.0)

    def sigma(residual):
        return np.sqrt(np.einsum("nm,nm->n", weight, residual * residual)[:, None] / count)

    smooth = median_filter(flux, size=(1, 3), mode="nearest")
    residual = flux - smooth
    s = sigma(residual)
    flux = np.where((residual < -outlier[0] * s) | (residual > outlier[1] * s), smooth, flux)

    mean = np.einsum("nm,nm->n", weight, flux)[:, None] / count
    scale = np.maximum(sigma(flux - mean), 1e-12)
    t = (wavelength - wavelength.mean()) / wavelength.std()
    full_basis = np.vander(t, degree + 1).astype("float32")            # (m, d)
    # Contiguous copies: NumPy's matrix products are 2-3x slower on strided operands (measured here).
    y = np.ascontiguousarray(((flux - mean) / scale)[:, ::stride])
    weight, basis = np.ascontiguousarray(weight[:, ::stride]), np.ascontiguousarray(full_basis[::stride])
    basis_t, full_basis_t = np.ascontiguousarray(basis.T), np.ascontiguousarray(full_basis.T)
    count = np.maximum(weight.sum(axis=1, keepdims=True), 1.0)
    # Σ_m w[n, m] B[m, d] B[m, e] for every spectrum at once, as one matrix product.
    outer = (basis[:, :, None] * basis[:, None, :]).reshape(len(basis), -1)  # (m, d·d)
    ridge = 1e-9 * np.eye(degree + 1)
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(iterations):
            normal = (weight @ outer).reshape(-1, degree + 1, degree + 1).astype("float64")
            rhs = ((weight * y) @ basis).astype("float64")
            coefficients = np.linalg.solve(normal + ridge, rhs[..., None])[..., 0].astype("float32")
            fit = coefficients @ basis_t
            residual = y - fit
            s = sigma(residual)
            y = np.where((residual < -clip[0] * s) | (residual > clip[1] * s), fit, y)
        return ((coefficients @ full_basis_t) * scale + mean).astype("float64")


def normalize(flux, good, clip_range=CLIP_RANGE, **continuum_kwargs):
    """Continuum-normalise each arm of a batch on the 7,200-pixel grid and clip.

    Args:
        flux: (n, 7200) resampled flux.
        good: (n, 7200) bool.
        clip_range: (low, high). Defaults to (−0.5, 2.5), the official.
        **continuum_kwargs: passed to `continuum`.

    Returns:
        (normalised flux (n, 7200) float32 with 1 at masked pixels, continuum (n, 7200) float32).
    """
    flux = np.asarray(flux, dtype="float64")
    fitted = np.empty_like(flux)
    for arm in (slice(0, PIXELS_PER_ARM), slice(PIXELS_PER_ARM, NUM_PIXELS)):
        fitted[:, arm] = continuum(flux[:, arm], good[:, arm], WAVELENGTHS[arm], **continuum_kwargs)
    safe = np.where(np.abs(fitted) > 1e-12, fitted, 1.0)
    normalized = np.clip(flux / safe, *clip_range)
    normalized = np.where(good & (np.abs(fitted) > 1e-12), normalized, 1.0)
    return normalized.astype("float32"), fitted.astype("float32")


def resample_batch(blue, red, rv=None, names=None):
    """Rest frame and resampling of a batch onto the 7,200-pixel grid (no normalisation).

    Args:
        blue: tuple (wavelength, flux, masked) of the blue arms, heliocentric: wavelength (p,)
            shared by all, or one array per spectrum (lengths may differ); flux and masked one
            array per spectrum (or (n, p) arrays).
        red: the same for the red arms.
        rv: None, float or (n,) floats: the stars' radial velocities [km/s]. Defaults to None (0).
        names: list of str or None. Names for the messages. Defaults to indices.

    Returns:
        (flux (n, 7200) float64, good (n, 7200) bool, names).

    Raises:
        ValueError: an arm that reaches less than half of its grid window, naming the spectrum.
    """
    n = len(blue[1])
    names = [str(i) for i in range(n)] if names is None else list(names)
    doppler = 1.0 + _as_rows(rv, n, "rv") / SPEED_OF_LIGHT_KMS
    flux = np.empty((n, NUM_PIXELS))
    good = np.empty((n, NUM_PIXELS), dtype=bool)
    for (wavelength, arm_flux, arm_masked), grid, offset, label in (
            (blue, BLUE_GRID, 0, "blue"), (red, RED_GRID, PIXELS_PER_ARM, "red")):
        shared = isinstance(wavelength, np.ndarray) and wavelength.ndim == 1
        for i in range(n):
            rest = np.asarray(wavelength if shared else wavelength[i], dtype="float64") / doppler[i]
            values, ok, coverage = resample(rest, np.asarray(arm_flux[i], "float64"), np.asarray(arm_masked[i]), grid)
            if coverage < MIN_COVERAGE:
                raise ValueError(
                    f"{names[i]}: the {label} arm ({rest[0]:.1f}–{rest[-1]:.1f} Å in the rest frame) covers "
                    f"{coverage:.0%} of RRNet's {grid[0]:g}–{grid[-1] + STEP:g} Å window: expected an MRS "
                    f"spectrum reaching at least {MIN_COVERAGE:.0%} of it")
            flux[i, offset:offset + PIXELS_PER_ARM] = values
            good[i, offset:offset + PIXELS_PER_ARM] = ok
    return flux, good, names


def preprocess_arrays(blue, red, rv=None, names=None, **continuum_kwargs):
    """Preprocess spectra given as arrays: rest frame, grid, continuum, clipping, mask.

    Args:
        blue, red, rv, names: as `resample_batch`; each arm may carry a fourth array per spectrum,
            its IVAR, which gives `Preprocessed.noise`.
        **continuum_kwargs: passed to `continuum`.

    Returns:
        Preprocessed.
    """
    if len(blue) != len(red) or len(blue) not in (3, 4):
        raise ValueError("blue and red must both be (wavelength, flux, masked) or (wavelength, flux, masked, ivar). "
                         f"Received: {len(blue)} and {len(red)} arrays")
    flux, good, names = resample_batch(blue[:3], red[:3], rv, names)
    normalized, fitted = normalize(flux, good, **continuum_kwargs)
    noise = None
    if len(blue) == 4:
        arms = []
        for wavelength, _, masked, ivar in (blue, red):
            sigma = [np.where(np.asarray(v) > 0, 1.0 / np.sqrt(np.maximum(np.asarray(v, "float64"), 1e-30)), 0.0)
                     for v in ivar]
            arms.append((wavelength, sigma, masked))
        sigma, _, _ = resample_batch(arms[0], arms[1], rv, names)
        safe = np.where(np.abs(fitted) > 1e-12, np.abs(fitted), np.inf)
        noise = np.where(good, np.clip(sigma / safe, 0.0, NOISE_MAX), 0.0).astype("float32")
    return Preprocessed(flux=normalized, good=good, continuum=fitted, names=names, noise=noise)


def preprocess(spectra, rv=None, noise=False, **continuum_kwargs):
    """Preprocess `MRSSpectrum`s (`domains.lamost.io.read_mrs`) for RRNet.

    Args:
        spectra: list of MRSSpectrum.
        rv: None, float or one float per spectrum: the stars' heliocentric radial velocities
            [km/s] (e.g. the LAMOST catalogue's `rv_ku0`). Defaults to None (0: the spectra are
            taken as in the rest frame).
        noise: bool. Also resample the IVAR into `Preprocessed.noise` (for `noise_input` models;
            it costs a second resampling). Defaults to False.
        **continuum_kwargs: passed to `continuum`.

    Returns:
        Preprocessed (names: the file, and "[LMJM]" for a single exposure).
    """
    spectra = list(spectra)
    if not spectra:
        raise ValueError("preprocess needs at least one spectrum. Received: an empty list")
    waves = [s.heliocentric_wavelengths() for s in spectra]
    names = [s.path if s.source == "COADD" else f"{s.path}[{s.source}]" for s in spectra]
    blue = ([w[0] for w in waves], [s.blue.flux for s in spectra], [s.blue.masked for s in spectra])
    red = ([w[1] for w in waves], [s.red.flux for s in spectra], [s.red.masked for s in spectra])
    if noise:
        blue, red = blue + ([s.blue.ivar for s in spectra],), red + ([s.red.ivar for s in spectra],)
    return preprocess_arrays(blue, red, rv=rv, names=names, **continuum_kwargs)
