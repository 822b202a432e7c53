"""Radial velocities measured from the spectra themselves: a χ² cross-correlation per arm against a template.

RRNet reads spectra in the rest frame; the official code shifts them by the LAMOST catalogue's
`rv_ku0`. Without the catalogue, each arm (blue, red) is matched here against a template, on its
own native pixels (their noise is independent, so the χ² has its textbook meaning):

1. the arm is continuum-normalised (`domains.lamost.preprocessing.continuum`, on its native
   pixels) and its inverse variance scaled with it; masked pixels get weight 0;
2. for each trial velocity v (−`V_MAX`…`V_MAX` in steps of `COARSE_STEP` km/s, on every other
   pixel) the template
   is shifted, T(λ / (1 + v/c)), and the line depths d = 1 − flux are fitted as
   d_obs ≈ a · d_T(v) + b by weighted least squares (a > 0: the star's lines may be weaker or
   stronger than the template's), giving χ²(v);
3. around the coarse minimum, on a `FINE_STEP` grid, a parabola through χ² gives the velocity
   and its error σ_v = 1/√(curvature) (Δχ² = 1), multiplied by √(χ²_min / dof) when the fit is
   worse than the noise (template mismatch); pixels more than 5σ above the continuum (unflagged
   cosmic rays) are dropped first, those beyond 5σ of the best fit after it, and the search
   repeated once; a minimum at the edge of the search or off the fine window is no measurement
   (error inf);
4. the arms are combined by inverse variance, with an error of at least half their difference
   (their statistical errors leave out the template's mismatch), and they *agree* when
   |v_B − v_R| ≤ 3 √(σ_B² + σ_R² + `ARM_SYSTEMATIC`²).

The template is the project's own synthetic spectrum (`domains.lamost.synthetic.rest_frame_spectrum`),
at `TEMPLATE_LABELS` (a typical LAMOST dwarf) unless given other labels (e.g. a first
prediction's). Velocities are heliocentric when the wavelengths are (`HELIO = T`, every DR7 file).

Example:
```python
from domains.lamost.data import SPECTRA_DIR, read_mrs
spectrum = read_mrs(SPECTRA_DIR / "med-58644-TD192102N424113K01_sp12-076.fits.gz")
rv = measure_rv(spectrum)
rv.rv, rv.rv_error, rv.blue, rv.red, rv.arms_agree    # km/s
```
"""

import dataclasses
import functools

import numpy as np

from domains.lamost.preprocessing import SPEED_OF_LIGHT_KMS, continuum
from domains.lamost.synthetic import rest_frame_spectrum

TEMPLATE_LABELS = {"Teff": 5500.0, "logg": 4.3, "[Fe/H]": -0.2}
V_MAX = 600.0
COARSE_STEP = 5.0   # lines at R ≈ 7,500 are ~40 km/s wide: the χ² well spans many coarse steps
FINE_STEP = 0.2
FINE_HALF_WIDTH = 6.0
CLIP_SIGMA = 5.0
# Allowed offset between the arms beyond their statistical errors [km/s]: the arms have their own
# wavelength calibrations, and a template unlike the star shifts the blended blue lines. The five
# shipped DR7 co-adds give B − R = −3.4, +2.3, +4.4, +1.1, +0.4 km/s (rms 2.7).
ARM_SYSTEMATIC = 3.0


@dataclasses.dataclass(frozen=True)
class ArmVelocity:
    """One arm's velocity.

    Attributes:
        rv: float, km/s (NaN when no fit was possible).
        error: float, km/s (inf when no fit was possible).
        reduced_chi2: float, χ²_min / degrees of freedom.
        pixels: int, pixels used.
    """

    rv: float
    error: float
    reduced_chi2: float
    pixels: int


@dataclasses.dataclass(frozen=True)
class RVMeasurement:
    """A spectrum's radial velocity from both arms.

    Attributes:
        rv: float, km/s: the inverse-variance mean of the arms.
        rv_error: float, km/s.
        blue, red: ArmVelocity.
        arms_agree: bool, the arms within 3 √(σ_B² + σ_R² + ARM_SYSTEMATIC²).
    """

    rv: float
    rv_error: float
    blue: ArmVelocity
    red: ArmVelocity
    arms_agree: bool

    def as_row(self):
        """The fields a prediction row gets: rv, rv_error, rv_blue(_error), rv_red(_error), rv_arms_agree."""
        return {"rv": self.rv, "rv_error": self.rv_error, "rv_blue": self.blue.rv, "rv_blue_error": self.blue.error,
                "rv_red": self.red.rv, "rv_red_error": self.red.error, "rv_arms_agree": self.arms_agree}


@functools.lru_cache(maxsize=8)
def _template(arm, labels):
    return rest_frame_spectrum(dict(labels), arm)


def template(arm, labels=None):
    """The template of an arm: (rest wavelengths, normalised flux) of the synthetic spectrum at `labels`.

    Args:
        arm: "B" or "R".
        labels: dict or None. Defaults to None (`TEMPLATE_LABELS`).
    """
    labels = TEMPLATE_LABELS if labels is None else labels
    return _template(arm, tuple(sorted((k, float(v)) for k, v in labels.items())))


def _chi2(wavelength, depth, weight, template_wavelength, template_depth, velocities):
    """χ²(v) of the weighted fit depth ≈ a · d_T(v) + b (a > 0), for each trial velocity."""
    shifted = wavelength[None, :] / (1.0 + velocities[:, None] / SPEED_OF_LIGHT_KMS)
    model = np.interp(shifted, template_wavelength, template_depth)              # (v, pixels)
    wy = weight * depth
    sw, sy, syy = weight.sum(), wy.sum(), (wy * depth).sum()
    sx = model @ weight
    sxx = (model * model) @ weight
    sxy = model @ wy
    det = np.maximum(sw * sxx - sx * sx, 1e-30)
    a = (sw * sxy - sx * sy) / det
    b = (sxx * sy - sx * sxy) / det
    chi2 = syy - a * sxy - b * sy
    # No line match (a ≤ 0): the fit of a constant only.
    return np.where(a > 0, chi2, syy - sy * sy / sw), a, b, model


def measure_arm(wavelength, flux, ivar, masked, arm, labels=None, v_max=V_MAX):
    """The velocity of one arm on its native pixels.

    Args:
        wavelength: (p,) increasing vacuum wavelengths [Å] (heliocentric for a heliocentric RV).
        flux: (p,) flux.
        ivar: (p,) inverse variance of the flux.
        masked: (p,) bool, True at bad pixels.
        arm: "B" or "R" (which template).
        labels: dict or None. The template's labels. Defaults to None (`TEMPLATE_LABELS`).
        v_max: float. Largest |v| searched [km/s]. Defaults to 600.

    Returns:
        ArmVelocity (NaN / inf when fewer than 100 usable pixels).
    """
    wavelength = np.asarray(wavelength, "float64")
    flux = np.asarray(flux, "float64")
    good = ~np.asarray(masked, bool) & (np.asarray(ivar) > 0)
    grid, template_flux = template(arm, labels)
    shift = 1.0 + v_max / SPEED_OF_LIGHT_KMS
    inside = (wavelength * shift < grid[-1]) & (wavelength / shift > grid[0])
    wavelength, flux, ivar, good = wavelength[inside], flux[inside], np.asarray(ivar, "float64")[inside], good[inside]
    if good.sum() < 100:
        return ArmVelocity(float("nan"), float("inf"), float("nan"), int(good.sum()))
    fitted = continuum(flux[None], good[None], wavelength)[0]
    usable = good & (fitted > 0)
    fitted = np.where(usable, fitted, 1.0)
    depth = 1.0 - flux / fitted
    weight = np.where(usable, ivar * fitted ** 2, 0.0)
    template_depth = 1.0 - template_flux
    # Flux far above the continuum is no absorption line: spikes (unflagged cosmic rays) go first.
    weight = np.where(-depth * np.sqrt(weight) > CLIP_SIGMA, 0.0, weight)
    coarse = np.arange(-v_max, v_max + COARSE_STEP / 2, COARSE_STEP)
    for attempt in range(2):
        # The coarse search on every other pixel (4× cheaper, the same well), the fine one on all.
        chi2 = _chi2(wavelength[::2], depth[::2], weight[::2], grid, template_depth, coarse)[0]
        centre = coarse[np.argmin(chi2)]
        fine = np.arange(centre - FINE_HALF_WIDTH, centre + FINE_HALF_WIDTH + FINE_STEP / 2, FINE_STEP)
        chi2, a, b, model = _chi2(wavelength, depth, weight, grid, template_depth, fine)
        best = int(np.argmin(chi2))
        if attempt == 0:
            residual = (depth - a[best] * model[best] - b[best]) * np.sqrt(weight)
            keep = np.abs(residual) <= CLIP_SIGMA
            if keep.all():
                break
            weight = np.where(keep, weight, 0.0)
    pixels = int((weight > 0).sum())
    dof = max(pixels - 3, 1)
    # The parabola over the points within Δχ² ≲ 4 of the minimum (at least ±1 km/s).
    near = np.abs(fine - fine[best]) <= 1.0
    near |= (chi2 - chi2[best] <= 4.0 * max(chi2[best] / dof, 1.0)) & (np.abs(fine - fine[best]) <= FINE_HALF_WIDTH)
    c2, c1, _ = np.polyfit(fine[near] - fine[best], chi2[near], 2)
    if c2 <= 0:
        return ArmVelocity(float(fine[best]), float("inf"), float(chi2[best] / dof), pixels)
    rv = fine[best] - c1 / (2.0 * c2)
    reduced = float(chi2[best] / dof)
    error = float(np.sqrt(1.0 / c2) * np.sqrt(max(reduced, 1.0)))
    at_edge = abs(centre) >= v_max - COARSE_STEP / 2   # no well inside the searched range
    if abs(rv - centre) > FINE_HALF_WIDTH or at_edge or not np.isfinite(error):
        return ArmVelocity(float(fine[best]), float("inf"), reduced, pixels)
    return ArmVelocity(float(rv), error, reduced, pixels)


def combine(blue, red):
    """The inverse-variance mean of two ArmVelocity and the agreement check; returns RVMeasurement."""
    arms = [arm for arm in (blue, red) if np.isfinite(arm.rv) and np.isfinite(arm.error) and arm.error > 0]
    if not arms:
        finite = [arm.rv for arm in (blue, red) if np.isfinite(arm.rv)]
        return RVMeasurement(float(finite[0]) if finite else 0.0, float("inf"), blue, red, False)
    weights = np.array([1.0 / arm.error ** 2 for arm in arms])
    rv = float(np.sum(weights * [arm.rv for arm in arms]) / weights.sum())
    # Two arms that differ by more than their errors say how far off the template makes them.
    error = float(max(np.sqrt(1.0 / weights.sum()), abs(blue.rv - red.rv) / 2.0 if len(arms) == 2 else 0.0))
    agree = len(arms) == 2 and abs(blue.rv - red.rv) <= 3.0 * np.sqrt(
        blue.error ** 2 + red.error ** 2 + ARM_SYSTEMATIC ** 2)
    return RVMeasurement(rv, error, blue, red, bool(agree))


def measure_rv(spectrum, labels=None, v_max=V_MAX):
    """The radial velocity of an `MRSSpectrum` (`domains.lamost.data.read_mrs`) from both arms.

    Args:
        spectrum: MRSSpectrum (co-add or one exposure).
        labels: dict or None. The template's labels (Teff, logg, [Fe/H], optionally [X/H]).
            Defaults to None (`TEMPLATE_LABELS`).
        v_max: float. Largest |v| searched [km/s]. Defaults to 600.

    Returns:
        RVMeasurement, heliocentric when the spectrum's wavelengths are.

    Example:
    ```python
    measure_rv(read_mrs(path)).as_row()   # {"rv": ..., "rv_error": ..., "rv_arms_agree": True, ...}
    ```
    """
    blue_wavelength, red_wavelength = spectrum.heliocentric_wavelengths()
    arms = [measure_arm(wavelength, arm.flux, arm.ivar, arm.masked, arm.name, labels, v_max)
            for wavelength, arm in ((blue_wavelength, spectrum.blue), (red_wavelength, spectrum.red))]
    return combine(*arms)
