"""SYNTHETIC LAMOST MRS spectra with known labels: the training data this suite can have offline.

No labelled real spectra can be had without the LAMOST × APOGEE-Payne catalogue (DOI
10.12149/101112), so RRNet is trained and scored here on spectra this module makes. They are
synthetic, and named so wherever they are used; what they keep of real stars:

- absorption lines at their real (vacuum) wavelengths in RRNet's two windows: Fe I/II, Mg I b,
  Ca I, Ti I/II, Cr I, Ni I, Si I/II, Al I, Mn I, Cu I, C I, [O I], Hα, and weak CN features for
  nitrogen (approximate positions; there are no K or S lines in these windows, so [K/H] and [S/H]
  can only be inferred through their correlation with the other labels, as in real spectra);
- line optical depths that follow the labels as in a simple LTE picture (θ = 5040/Teff): each
  line scales with its element's abundance 10^[X/H]; a neutral line of a mostly ionised element
  strengthens towards low Teff as 10^((θ − θ☉)(χ_ion − χ_exc)) (Saha–Boltzmann over H⁻
  opacity), an ionised line weakens with gravity as g^(−1/3); Hα follows the n = 2 population
  (10.2 eV); strong lines get pressure-broadened (Lorentzian) wings that grow with log g;
  the flux is 1 − 0.85 (1 − exp(−τ)), so strong lines saturate (a curve of growth) without
  reaching zero, as lines resolved at R ≈ 7,500 do;
- the instrument: resolution R ≈ 7,500 (Gaussian profiles of FWHM λ/R), a Planck continuum at
  Teff times a random smooth throughput per arm, a radial-velocity shift, LAMOST's native
  log-λ pixels (4,136 per arm), photon noise at a chosen S/N (IVAR given), the red arm's S/N
  ~1.7× the blue's (as in the real files), and masked pixels (cosmic-ray spikes with IVAR = 0).

The line strengths of this default list (`lines="illustrative"`, what the shipped preset was
trained on) are illustrative (ranked weak / medium / strong with rough excitation potentials), not
calibrated atomic data: a model trained here learns the spectra's physics in kind, not LAMOST's
stars in number. `lines="ges"` replaces them with line physics (`domains.lamost.lines`): the
Gaia-ESO Survey's atomic line list (~10,000 lines in the two windows), Voigt profiles with van der
Waals damping wings, Hα with self-broadening, strengths from Boltzmann–Saha populations over H⁻
opacity in a one-layer grey atmosphere, saturation by Eddington–Barbier, computed at 0.01 Å and
then convolved to R = 7,500. Against the observed solar irradiance (CALSPEC, 10 Å bins;
`scripts/lamost_sun_check.py`) its Sun correlates 0.97 (blue) and 0.92 (red) bin by bin, the
illustrative list's 0.80 and 0.51. Labels are drawn from a plausible HR-diagram region:
Teff 4,000–7,000 K, log g 1–5 (giants only below ~5,600 K), [Fe/H] −1.5–+0.5, [X/Fe]
scattered around 0 with the α elements enhanced at low metallicity.

Example:
```python
batch = make_spectra(8, seed=0)                 # SYNTHETIC: labels, S/N, RV, both arms
batch.labels.shape, batch.snr[:3], batch.rv[:3]     # (8, 17) ...
pre = batch.preprocess()                        # RRNet's grid, continuum, mask (with the known RV)
x, y = pre.model_input(), batch.label_values(["Teff", "logg", "[Fe/H]"])
```
"""

import dataclasses

import numpy as np

from domains.lamost.model import ABUNDANCE_LABELS, STELLAR_LABELS
from domains.lamost.preprocessing import SPEED_OF_LIGHT_KMS, preprocess_arrays

ALL_LABELS = STELLAR_LABELS + ABUNDANCE_LABELS
RESOLUTION = 7500.0
SUN = {"Teff": 5772.0, "logg": 4.44}
NATIVE_PIXELS = 4136
NATIVE_RANGES = {"B": (4898.0, 5390.0), "R": (6270.0, 6845.0)}
RED_TO_BLUE_SNR = 1.7
_FINE_STEP = 0.05
_FINE_RANGES = {"B": (4880.0, 5410.0), "R": (6250.0, 6870.0)}
# Ionisation potentials [eV] of the neutral atoms (for the Saha factor of neutral lines).
IONISATION = {"Fe": 7.90, "Mg": 7.65, "Ca": 6.11, "Ti": 6.83, "Cr": 6.77, "Ni": 7.64, "Si": 8.15, "Al": 5.99,
              "Mn": 7.43, "Cu": 7.73, "C": 11.26, "O": 13.62, "Ba": 5.21, "Y": 6.22}
STRENGTH = {"w": -1.3, "m": -0.8, "s": -0.3, "S": 0.5}   # log10 of the line-centre τ in the Sun
# A line resolved at R ≈ 7,500 never reaches zero flux: depth = MAX_DEPTH · (1 − exp(−τ)).
MAX_DEPTH = 0.85

# (air wavelength Å, species, ion stage 1 = neutral / 2 = singly ionised, χ_exc eV, strength class)
LINES = [
    # blue arm
    (4973.10, "Fe", 1, 3.96, "m"), (4978.60, "Fe", 1, 3.98, "w"), (4981.73, "Ti", 1, 0.85, "m"),
    (4985.25, "Fe", 1, 3.93, "m"), (4991.07, "Ti", 1, 0.84, "m"), (4994.13, "Fe", 1, 0.92, "m"),
    (4999.50, "Ti", 1, 0.83, "m"), (5001.86, "Fe", 1, 3.88, "m"), (5005.71, "Fe", 1, 3.88, "m"),
    (5006.12, "Fe", 1, 2.83, "m"), (5007.21, "Ti", 1, 0.82, "w"), (5012.07, "Fe", 1, 0.86, "s"),
    (5014.19, "Ti", 1, 0.81, "w"), (5018.44, "Fe", 2, 2.89, "s"), (5022.24, "Fe", 1, 3.98, "m"),
    (5035.36, "Ni", 1, 3.63, "m"), (5041.07, "Fe", 1, 0.96, "m"), (5041.62, "Ca", 1, 2.52, "w"),
    (5049.82, "Fe", 1, 2.28, "s"), (5051.63, "Fe", 1, 0.92, "s"), (5052.17, "C", 1, 7.68, "w"),
    (5064.65, "Ti", 1, 0.05, "w"), (5068.77, "Fe", 1, 2.94, "m"), (5080.53, "Ni", 1, 3.65, "m"),
    (5083.34, "Fe", 1, 0.96, "m"), (5087.42, "Y", 2, 1.08, "w"), (5105.54, "Cu", 1, 1.39, "m"),
    (5110.41, "Fe", 1, 0.00, "m"), (5115.39, "Ni", 1, 3.83, "w"), (5127.36, "Fe", 1, 0.92, "m"),
    (5129.16, "Ti", 2, 1.89, "w"), (5133.69, "Fe", 1, 4.18, "m"), (5137.38, "Fe", 1, 4.18, "w"),
    (5139.25, "Fe", 1, 3.00, "m"), (5141.74, "Fe", 1, 2.42, "m"), (5150.84, "Fe", 1, 0.99, "m"),
    (5151.91, "Fe", 1, 1.01, "m"), (5154.07, "Ti", 2, 1.57, "w"), (5162.27, "Fe", 1, 4.18, "m"),
    (5167.32, "Mg", 1, 2.71, "S"), (5168.90, "Fe", 1, 0.05, "m"), (5169.03, "Fe", 2, 2.89, "s"),
    (5171.60, "Fe", 1, 1.49, "s"), (5172.68, "Mg", 1, 2.71, "S"), (5173.74, "Ti", 1, 0.00, "w"),
    (5183.60, "Mg", 1, 2.72, "S"), (5185.90, "Ti", 2, 1.89, "w"), (5188.69, "Ti", 2, 1.58, "m"),
    (5191.45, "Fe", 1, 3.04, "m"), (5192.34, "Fe", 1, 3.00, "m"), (5194.94, "Fe", 1, 1.56, "m"),
    (5197.58, "Fe", 2, 3.23, "m"), (5200.41, "Y", 2, 0.99, "w"), (5202.34, "Fe", 1, 2.18, "m"),
    (5204.51, "Cr", 1, 0.94, "m"), (5206.04, "Cr", 1, 0.94, "s"), (5208.42, "Cr", 1, 0.94, "s"),
    (5210.39, "Ti", 1, 0.05, "w"), (5216.27, "Fe", 1, 1.61, "m"), (5218.20, "Cu", 1, 3.82, "w"),
    (5226.54, "Ti", 2, 1.57, "w"), (5227.19, "Fe", 1, 1.56, "s"), (5232.94, "Fe", 1, 2.94, "s"),
    (5234.62, "Fe", 2, 3.22, "m"), (5242.49, "Fe", 1, 3.63, "w"), (5250.21, "Fe", 1, 0.12, "w"),
    (5255.33, "Mn", 1, 3.13, "w"), (5261.70, "Ca", 1, 2.52, "w"), (5262.24, "Ca", 1, 2.52, "w"),
    (5264.24, "Ca", 1, 2.52, "w"), (5265.56, "Ca", 1, 2.52, "m"), (5266.56, "Fe", 1, 3.00, "m"),
    (5269.54, "Fe", 1, 0.86, "s"), (5270.36, "Ca", 1, 2.53, "m"), (5273.16, "Fe", 1, 3.29, "w"),
    (5276.00, "Fe", 2, 3.20, "m"), (5281.79, "Fe", 1, 3.04, "m"), (5283.62, "Fe", 1, 3.24, "m"),
    (5296.69, "Cr", 1, 0.98, "w"), (5298.28, "Cr", 1, 0.98, "w"), (5300.74, "Cr", 1, 0.98, "w"),
    (5302.30, "Fe", 1, 3.28, "m"), (5307.36, "Fe", 1, 1.61, "w"), (5316.61, "Fe", 2, 3.15, "m"),
    (5324.18, "Fe", 1, 3.21, "m"), (5328.04, "Fe", 1, 0.92, "s"),
    # red arm
    (6335.33, "Fe", 1, 2.20, "m"), (6336.82, "Fe", 1, 3.69, "m"), (6344.15, "Fe", 1, 2.43, "w"),
    (6347.11, "Si", 2, 8.12, "m"), (6355.03, "Fe", 1, 2.85, "m"), (6358.69, "Fe", 1, 0.86, "m"),
    (6363.78, "O", 1, 0.02, "w"), (6369.46, "Fe", 2, 2.89, "w"), (6371.37, "Si", 2, 8.12, "w"),
    (6380.74, "Fe", 1, 4.19, "w"), (6393.60, "Fe", 1, 2.43, "s"), (6400.00, "Fe", 1, 3.60, "s"),
    (6411.65, "Fe", 1, 3.65, "m"), (6416.92, "Fe", 2, 3.89, "w"), (6419.95, "Fe", 1, 4.73, "m"),
    (6421.35, "Fe", 1, 2.28, "m"), (6430.85, "Fe", 1, 2.18, "m"), (6432.68, "Fe", 2, 2.89, "w"),
    (6439.07, "Ca", 1, 2.53, "s"), (6449.81, "Ca", 1, 2.52, "m"), (6455.60, "Ca", 1, 2.52, "w"),
    (6456.38, "Fe", 2, 3.90, "m"), (6462.57, "Ca", 1, 2.52, "s"), (6471.66, "Ca", 1, 2.53, "m"),
    (6475.62, "Fe", 1, 2.56, "w"), (6481.87, "Fe", 1, 2.28, "m"), (6482.80, "Ni", 1, 1.94, "w"),
    (6493.78, "Ca", 1, 2.52, "m"), (6494.98, "Fe", 1, 2.40, "s"), (6496.90, "Ba", 2, 0.60, "m"),
    (6498.94, "Fe", 1, 0.96, "w"), (6499.65, "Ca", 1, 2.52, "w"), (6516.08, "Fe", 2, 2.89, "w"),
    (6546.24, "Fe", 1, 2.76, "m"), (6554.22, "Ti", 1, 1.44, "w"), (6555.46, "Si", 1, 5.98, "w"),
    (6556.06, "Ti", 1, 1.46, "w"), (6569.22, "Fe", 1, 4.73, "w"), (6572.78, "Ca", 1, 0.00, "w"),
    (6586.31, "Ni", 1, 1.95, "w"), (6587.61, "C", 1, 8.54, "w"), (6592.91, "Fe", 1, 2.73, "m"),
    (6593.87, "Fe", 1, 2.43, "m"), (6597.56, "Fe", 1, 4.80, "w"), (6609.11, "Fe", 1, 2.56, "w"),
    (6627.54, "Fe", 1, 4.55, "w"), (6633.75, "Fe", 1, 4.56, "w"), (6643.63, "Ni", 1, 1.68, "m"),
    (6663.44, "Fe", 1, 2.42, "m"), (6677.99, "Fe", 1, 2.69, "s"), (6696.02, "Al", 1, 3.14, "w"),
    (6698.67, "Al", 1, 3.14, "w"),
]
# Weak CN features (approximate positions): depth ∝ 10^([C/H] + [N/H]), stronger in cool giants.
CN_LINES = [6351.2, 6386.5, 6414.0, 6478.5, 6507.8, 6525.2, 6617.0, 6650.6, 6683.1]
H_ALPHA = 6562.80
ELEMENT_LABEL = {"Fe": "[Fe/H]", "Mg": "[Mg/H]", "Ca": "[Ca/H]", "Ti": "[Ti/H]", "Cr": "[Cr/H]", "Ni": "[Ni/H]",
                 "Si": "[Si/H]", "Al": "[Al/H]", "Mn": "[Mn/H]", "Cu": "[Cu/H]", "C": "[C/H]", "O": "[O/H]",
                 "Ba": "[Fe/H]", "Y": "[Fe/H]"}
ALPHA = ("[O/H]", "[Mg/H]", "[Si/H]", "[S/H]", "[Ca/H]", "[Ti/H]")


def air_to_vacuum(wavelength):
    """Vacuum wavelengths [Å] of air wavelengths (Ciddor 1996, as the IAU/SDSS convention)."""
    wavelength = np.asarray(wavelength, dtype="float64")
    sigma2 = (1e4 / wavelength) ** 2
    return wavelength * (1 + 8.336624212083e-5 + 2.408926869968e-2 / (130.1065924522 - sigma2)
                         + 1.599740894897e-4 / (38.92568793293 - sigma2))


def native_wavelengths(arm):
    """LAMOST-like native pixels of an arm ("B" or "R"): 4,136 log-uniform vacuum wavelengths."""
    low, high = NATIVE_RANGES[arm]
    return np.logspace(np.log10(low), np.log10(high), NATIVE_PIXELS)


def draw_labels(n, rng):
    """(n, 17) SYNTHETIC labels in `ALL_LABELS` order from a plausible HR-diagram region."""
    teff = rng.uniform(4000.0, 7000.0, n)
    giant = (rng.random(n) < 0.45) & (teff < 5600.0)
    logg = np.where(giant, rng.uniform(1.0, 3.6, n), rng.uniform(3.6, 5.0, n))
    logg = np.where(teff > 6300.0, np.minimum(logg, 4.6), logg)
    feh = np.clip(rng.normal(-0.2, 0.35, n), -1.5, 0.5)
    columns = {"Teff": teff, "logg": logg, "[Fe/H]": feh}
    alpha_enhancement = 0.3 * np.clip(-feh, 0.0, 1.0)
    for name in ABUNDANCE_LABELS:
        scatter = rng.normal(0.0, 0.1, n)
        columns[name] = feh + scatter + (alpha_enhancement if name in ALPHA else 0.0)
    return np.stack([columns[name] for name in ALL_LABELS], axis=1)


def _profiles(grid, centres, sigma, gamma):
    """Gaussian (peak 1) and Lorentzian (peak 1) profiles of each line on `grid`: (lines, pixels) each."""
    offset = grid[None, :] - centres[:, None]
    gauss = np.exp(-0.5 * (offset / sigma[:, None]) ** 2)
    lorentz = gamma[:, None] ** 2 / (offset ** 2 + gamma[:, None] ** 2)
    return gauss.astype("float32"), lorentz.astype("float32")


class _LineModel:
    """The line list on the fine rest-frame grids, with the label dependence of each line's τ."""

    def __init__(self):
        self.grids = {arm: np.arange(*_FINE_RANGES[arm], _FINE_STEP) for arm in ("B", "R")}
        self.arms = {}
        for arm, grid in self.grids.items():
            lines = [line for line in LINES if grid[0] < line[0] < grid[-1]]
            centres = air_to_vacuum([line[0] for line in lines])
            cn = air_to_vacuum([w for w in CN_LINES if grid[0] < w < grid[-1]])
            halpha = air_to_vacuum([H_ALPHA]) if grid[0] < H_ALPHA < grid[-1] else np.zeros(0)
            all_centres = np.concatenate([centres, cn, halpha])
            sigma = all_centres / (RESOLUTION * 2.3548)
            gamma = np.concatenate([np.full(len(centres), 0.25), np.full(len(cn), 0.1), np.full(len(halpha), 4.0)])
            gauss, lorentz = _profiles(grid, all_centres, sigma, gamma)
            self.arms[arm] = dict(lines=lines, n_cn=len(cn), n_halpha=len(halpha), gauss=gauss, lorentz=lorentz)

    def optical_depth(self, arm, labels):
        """τ (n, fine pixels) of `labels` (n, 17) on the arm's fine rest-frame grid."""
        spec = self.arms[arm]
        column = {name: labels[:, i] for i, name in enumerate(ALL_LABELS)}
        teff, logg = column["Teff"], column["logg"]
        delta_theta = 5040.0 / teff - 5040.0 / SUN["Teff"]
        log_tau = []
        for _, element, ion, chi, strength in spec["lines"]:
            value = STRENGTH[strength] + column[ELEMENT_LABEL[element]] - delta_theta * chi
            if ion == 1:
                value = value + 0.5 * delta_theta * IONISATION[element] - 2.5 * np.log10(teff / SUN["Teff"])
            else:
                value = value - (logg - SUN["logg"]) / 3.0
            log_tau.append(value)
        giant_boost = 0.3 * (SUN["logg"] - logg)
        for _ in range(spec["n_cn"]):
            log_tau.append(-1.2 + column["[C/H]"] + column["[N/H]"] + 1.5 * delta_theta + giant_boost)
        for _ in range(spec["n_halpha"]):
            log_tau.append(0.3 - 10.2 * delta_theta * 0.5)
        tau0 = 10.0 ** np.clip(np.stack(log_tau, axis=1), -4.0, 3.0)                  # (n, lines)
        wings = 0.04 * 10.0 ** (0.4 * (logg - SUN["logg"]))[:, None] * np.ones_like(tau0)
        n_atomic = len(spec["lines"])
        wings[:, n_atomic:n_atomic + spec["n_cn"]] = 0.0
        wings[:, n_atomic + spec["n_cn"]:] = 0.05
        tau0 = tau0.astype("float32")
        return tau0 @ spec["gauss"] + (tau0 * wings.astype("float32")) @ spec["lorentz"]


# Labels that scale each element's lines in the physical model (others follow [Fe/H]; H none).
PHYSICAL_LABEL = {"C": "[C/H]", "N": "[N/H]", "O": "[O/H]", "Mg": "[Mg/H]", "Al": "[Al/H]", "Si": "[Si/H]",
                  "S": "[S/H]", "K": "[K/H]", "Ca": "[Ca/H]", "Ti": "[Ti/H]", "Cr": "[Cr/H]", "Mn": "[Mn/H]",
                  "Ni": "[Ni/H]", "Cu": "[Cu/H]"}
INTRINSIC_STEP = 0.01            # Å: the intrinsic (pre-instrument) spectrum resolves Doppler cores
# The Voigt profiles are tabulated at two damping scales s (γ = γ_rad + s γ₆(Sun)) and interpolated
# linearly in s, which is exact in the wings (∝ γ) and close in the core (H(a, 0) ≈ 1 − 1.13 a).
DAMPING_NODES = (0.0, 3.0)
WING_FLOOR = 3e-3                # a line's window ends where its wing's η falls below this


class _PhysicalLineModel:
    """The Gaia-ESO line list with Voigt profiles and one-layer LTE strengths (`domains.lamost.lines`)."""

    grids = {arm: np.arange(*_FINE_RANGES[arm], _FINE_STEP) for arm in ("B", "R")}

    def __init__(self):
        from scipy import sparse

        from domains.lamost import lines as physics

        self.physics = physics
        every = physics.read_line_list()
        halpha = physics.LineList(**{name: np.array([value]) for name, value in dict(
            physics.H_ALPHA, z=1, ion=1).items()})
        every = physics.LineList(**{field: np.concatenate([getattr(every, field), getattr(halpha, field)])
                                    for field in ("wavelength", "z", "ion", "chi", "loggf", "fdamp", "gamma_rad")})
        sun = physics.atmosphere(np.array([SUN["Teff"]]), np.array([SUN["logg"]]), np.zeros(1))
        self.sun = sun
        self.arms = {}
        for arm, grid in self.grids.items():
            fine = np.arange(grid[0], grid[-1] + _FINE_STEP / 2, INTRINSIC_STEP)
            centres = air_to_vacuum(every.wavelength)
            lines = every.select((centres > fine[0]) & (centres < fine[-1]))
            centres = air_to_vacuum(lines.wavelength)
            sigma = physics.doppler_sigma(centres, lines.z, sun["T"][0])
            gamma_rad = physics.radiative_gamma(lines)
            gamma_vdw = physics.vdw_gamma(lines, sun["T"][0], sun["NH"][0])
            # The strongest each line gets over the label range bounds its window.
            probe = physics.atmosphere(np.array([4000.0, 5772.0, 7000.0]), np.array([1.0, 4.4, 5.0]), np.zeros(3))
            eta_max = 10.0 ** physics.log_strength(lines, probe, np.full((3, len(centres)), 0.8)).max(axis=0)
            hwhm_max = physics.lorentz_hwhm(centres, gamma_rad + DAMPING_NODES[-1] * gamma_vdw)
            half = np.clip(np.maximum(8.0 * sigma, np.sqrt(eta_max * hwhm_max / (np.pi * WING_FLOOR))), 0.3, 60.0)
            low = np.searchsorted(fine, centres - half)
            counts = np.searchsorted(fine, centres + half) - low
            rows = np.repeat(np.arange(len(centres)), counts)
            cols = low[rows] + np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
            bases = []
            for node in DAMPING_NODES:
                hwhm = physics.lorentz_hwhm(centres, gamma_rad + node * gamma_vdw)
                values = physics.voigt(fine[cols] - centres[rows], sigma[rows], hwhm[rows]).astype("float32")
                bases.append(sparse.csr_matrix((values, (cols, rows)), shape=(fine.size, len(centres))))
            label_index = np.array([ALL_LABELS.index(PHYSICAL_LABEL.get(symbol, "[Fe/H]")) for symbol in lines.species])
            self.arms[arm] = dict(lines=lines, fine=fine, bases=bases, label_index=label_index,
                                  is_hydrogen=lines.z == 1)

    def damping_weight(self, layer):
        """The interpolation weight between `DAMPING_NODES` of each star: its (N_H T^0.3) over the Sun's."""
        scale = layer["NH"] * layer["T"] ** 0.3 / (self.sun["NH"][0] * self.sun["T"][0] ** 0.3)
        return np.clip((scale - DAMPING_NODES[0]) / (DAMPING_NODES[1] - DAMPING_NODES[0]), 0.0, 1.5)

    def eta(self, arm, labels):
        """η (n, intrinsic pixels): the line-to-continuum opacity ratio of `labels` on the arm's 0.01 Å grid."""
        spec = self.arms[arm]
        layer = self.physics.atmosphere(labels[:, 0], labels[:, 1], labels[:, 2])
        abundances = labels[:, spec["label_index"]]
        hydrogen = spec["is_hydrogen"]
        abundances[:, hydrogen] = 0.0
        strength = 10.0 ** self.physics.log_strength(spec["lines"], layer, abundances)    # (n, lines) Å
        if hydrogen.any():
            # n = 2 of H is populated only where it is hot: Balmer wings form near τ = 1, not at the metals' layer.
            deep = self.physics.atmosphere(labels[:, 0], labels[:, 1], labels[:, 2], tau=self.physics.TAU_HYDROGEN)
            strength[:, hydrogen] = 10.0 ** self.physics.log_strength(spec["lines"].select(hydrogen), deep,
                                                                      abundances[:, hydrogen])
        weight = self.damping_weight(layer)[:, None]
        low, high = spec["bases"]
        eta = low @ (strength * (1.0 - weight)).T.astype("float32") + high @ (strength * weight).T.astype("float32")
        return np.asarray(eta).T

    def line_flux(self, arm, labels, resolution=RESOLUTION, chunk=64):
        """Continuum-normalised rest-frame flux (n, fine pixels of `grids[arm]`) at the instrument's resolution."""
        from scipy import signal

        spec = self.arms[arm]
        fine = spec["fine"]
        sigma_px = fine.mean() / (resolution * 2.3548) / INTRINSIC_STEP
        offsets = np.arange(-int(5 * sigma_px), int(5 * sigma_px) + 1)
        kernel = np.exp(-0.5 * (offsets / sigma_px) ** 2)
        kernel = (kernel / kernel.sum())[None, :]
        stride = int(round(_FINE_STEP / INTRINSIC_STEP))
        out = []
        for start in range(0, len(labels), chunk):
            part = labels[start:start + chunk]
            ratio = self.physics.emergent_ratio(self.eta(arm, part), fine, part[:, 0])
            smoothed = 1.0 + signal.fftconvolve(ratio - 1.0, kernel, mode="same", axes=1)
            out.append(smoothed[:, ::stride][:, :self.grids[arm].size])
        return np.concatenate(out).astype("float32")


_MODELS = {}
LINE_MODELS = ("illustrative", "ges")


def _line_model(kind="illustrative"):
    if kind not in LINE_MODELS:
        raise ValueError(f"lines must be one of {LINE_MODELS}. Received: lines={kind!r}")
    if kind not in _MODELS:
        _MODELS[kind] = _LineModel() if kind == "illustrative" else _PhysicalLineModel()
    return _MODELS[kind]


def _absorbed(model, arm, labels):
    """Continuum-normalised rest-frame flux (n, fine pixels) of either line model."""
    if isinstance(model, _PhysicalLineModel):
        return model.line_flux(arm, labels)
    return 1.0 - MAX_DEPTH * -np.expm1(-model.optical_depth(arm, labels))


def _planck(wavelength, teff):
    """Planck's B_λ(T) up to a constant, (n, pixels) for wavelengths [Å] and (n,) temperatures."""
    x = 1.438777e8 / (wavelength[None, :] * teff[:, None])   # hc / (λ k T), λ in Å
    return wavelength[None, :] ** -5 / np.expm1(x)


@dataclasses.dataclass
class SyntheticSpectra:
    """A batch of SYNTHETIC MRS spectra on LAMOST-like native pixels, with their labels.

    Attributes:
        labels: (n, 17) in `ALL_LABELS` order.
        snr: (n,) S/N of the blue arm per pixel at the continuum (the red arm's is 1.7× it).
        rv: (n,) radial velocities [km/s] the spectra were shifted by.
        blue, red: dicts with "wavelength" (p,), "flux" (n, p) [photon counts], "ivar" (n, p),
            "masked" (n, p) bool.
    """

    labels: np.ndarray
    snr: np.ndarray
    rv: np.ndarray
    blue: dict
    red: dict

    def label_values(self, names):
        """(n, len(names)) of the named labels."""
        return np.stack([self.labels[:, ALL_LABELS.index(name)] for name in names], axis=1)

    def preprocess(self, rv_error=0.0, seed=0, noise=False):
        """RRNet's preprocessing (`preprocess_arrays`) with the known RV, optionally off by N(0, rv_error) km/s.

        With `noise`, the IVAR is resampled too (`Preprocessed.noise`, for `noise_input` models).
        """
        rv = self.rv + np.random.default_rng(seed).normal(0.0, rv_error, len(self.rv)) if rv_error else self.rv
        extra = lambda arm: (arm["ivar"],) if noise else ()  # noqa: E731
        return preprocess_arrays((self.blue["wavelength"], self.blue["flux"], self.blue["masked"]) + extra(self.blue),
                                 (self.red["wavelength"], self.red["flux"], self.red["masked"]) + extra(self.red), rv=rv,
                                 names=[f"synthetic {i}" for i in range(len(self.rv))])


def make_spectra(n, seed=0, labels=None, snr=None, snr_range=(5.0, 150.0), rv_range=(-150.0, 150.0),
                 bad_pixel_rate=0.002, lines="illustrative"):
    """Make `n` SYNTHETIC MRS spectra (see the module's docstring for what they hold).

    Args:
        n: int. Number of spectra.
        seed: int. Defaults to 0.
        labels: (n, 17) or None. Labels in `ALL_LABELS` order; None draws them (`draw_labels`).
        snr: float, (n,) or None. Blue-arm S/N; None draws it log-uniformly in `snr_range`.
        snr_range: (low, high). Defaults to (5, 150).
        rv_range: (low, high) km/s of the uniform radial velocities. Defaults to (−150, 150).
        bad_pixel_rate: float. Fraction of native pixels hit by a spike and masked (IVAR = 0).
            Defaults to 0.002.
        lines: "illustrative" (the hand-ranked list above, Gaussian cores with Lorentzian wings; what
            the shipped preset was trained on) or "ges" (the Gaia-ESO line list with Voigt profiles
            and one-layer LTE strengths, `domains.lamost.lines`). Defaults to "illustrative".

    Returns:
        SyntheticSpectra.
    """
    rng = np.random.default_rng(seed)
    labels = draw_labels(n, rng) if labels is None else np.asarray(labels, dtype="float64")
    if labels.shape != (n, len(ALL_LABELS)):
        raise ValueError(f"labels must be ({n}, {len(ALL_LABELS)}). Received: labels.shape={labels.shape}")
    snr = (np.exp(rng.uniform(*np.log(snr_range), n)) if snr is None
           else np.broadcast_to(np.asarray(snr, "float64"), (n,)).copy())
    rv = rng.uniform(*rv_range, n)
    model = _line_model(lines)
    arms = {}
    for arm, arm_snr in (("B", snr), ("R", snr * RED_TO_BLUE_SNR)):
        grid = model.grids[arm]
        native = native_wavelengths(arm)
        absorbed = _absorbed(model, arm, labels)                                    # (n, fine) rest frame
        # Observed pixel λ sees rest-frame λ / (1 + v/c): linear interpolation on the uniform fine grid.
        rest = native[None, :] / (1.0 + rv[:, None] / SPEED_OF_LIGHT_KMS)
        position = (rest - grid[0]) / _FINE_STEP
        left = np.clip(np.floor(position).astype(int), 0, grid.size - 2)
        fraction = np.clip(position - left, 0.0, 1.0)
        line_flux = (np.take_along_axis(absorbed, left, axis=1) * (1 - fraction)
                     + np.take_along_axis(absorbed, left + 1, axis=1) * fraction)
        continuum = _planck(native, labels[:, 0])
        continuum /= continuum.mean(axis=1, keepdims=True)
        t = (native - native.mean()) / np.ptp(native)
        throughput = 1.0 + rng.normal(0, 0.15, (n, 1)) * t + rng.normal(0, 0.1, (n, 1)) * (t ** 2 - 1 / 12)
        counts = (arm_snr ** 2)[:, None] * continuum * throughput                   # photons at the continuum
        expected = counts * line_flux
        flux = expected + rng.normal(size=expected.shape) * np.sqrt(expected)
        ivar = 1.0 / np.maximum(expected, 1.0)
        masked = rng.random(expected.shape) < bad_pixel_rate
        flux = np.where(masked, flux + 20.0 * counts * rng.random(expected.shape), flux)  # cosmic-ray spikes
        ivar = np.where(masked, 0.0, ivar)
        arms[arm] = {"wavelength": native, "flux": flux.astype("float32"), "ivar": ivar.astype("float32"),
                     "masked": masked}
    return SyntheticSpectra(labels=labels, snr=snr, rv=rv, blue=arms["B"], red=arms["R"])


def make_dataset(n, labels=STELLAR_LABELS, seed=0, chunk=512, noise=False, **kwargs):
    """Model inputs and labels of `n` SYNTHETIC spectra, preprocessed as RRNet's, made in chunks.

    Args:
        n: int.
        labels: sequence of label names. Defaults to Teff, logg, [Fe/H].
        seed: int. Defaults to 0.
        chunk: int. Spectra made at once (memory). Defaults to 512.
        noise: bool. Add the per-pixel noise channel (from the spectra's IVAR) for models built
            with `noise_input=True`. Defaults to False.
        **kwargs: passed to `make_spectra` (snr, snr_range, rv_range, bad_pixel_rate, lines).

    Returns:
        (x (n, 7200, 2) float32 (3 channels with `noise`), y (n, len(labels)) float64, snr (n,) blue-arm S/N).
    """
    xs, ys, snrs = [], [], []
    for i, start in enumerate(range(0, n, chunk)):
        size = min(chunk, n - start)
        extra = dict(kwargs)
        if np.ndim(extra.get("snr")) == 1:
            extra["snr"] = np.asarray(extra["snr"])[start:start + size]
        batch = make_spectra(size, seed=seed * 100_003 + i, **extra)
        xs.append(batch.preprocess(noise=noise).model_input(noise=noise))
        ys.append(batch.label_values(list(labels)))
        snrs.append(batch.snr)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(snrs)


def rest_frame_spectrum(labels, arm, lines="illustrative"):
    """The noiseless, continuum-normalised SYNTHETIC spectrum of one star in the rest frame (vacuum Å).

    The line model of `make_spectra` without continuum, throughput, shift or noise: the template
    `domains.lamost.rv` cross-correlates real spectra against.

    Args:
        labels: dict {label: value}; Teff, logg and [Fe/H] are needed, an [X/H] not given takes
            [Fe/H] (plus the α enhancement of `draw_labels` for the α elements).
        arm: "B" or "R".
        lines: the line model, as `make_spectra`'s. Defaults to "illustrative".

    Returns:
        (wavelength (p,) float64 on a 0.05 Å grid, flux (p,) float64, 1 at the continuum).

    Example:
    ```python
    wavelength, flux = rest_frame_spectrum({"Teff": 5772.0, "logg": 4.44, "[Fe/H]": 0.0}, "B")
    wavelength[np.argmin(flux)]   # ≈ 5185 Å: Mg b
    ```
    """
    if arm not in NATIVE_RANGES:
        raise ValueError(f'arm must be "B" or "R". Received: arm={arm!r}')
    missing = [name for name in STELLAR_LABELS if name not in labels]
    if missing:
        raise ValueError(f"labels needs {list(STELLAR_LABELS)}. Received: labels={labels}")
    feh = float(labels["[Fe/H]"])
    default = {name: feh + (0.3 * min(max(-feh, 0.0), 1.0) if name in ALPHA else 0.0) for name in ABUNDANCE_LABELS}
    row = np.array([[float(labels.get(name, default.get(name, 0.0))) for name in ALL_LABELS]])
    model = _line_model(lines)
    if lines == "illustrative":
        flux = 1.0 - MAX_DEPTH * -np.expm1(-model.optical_depth(arm, row)[0].astype("float64"))
    else:
        flux = _absorbed(model, arm, row)[0].astype("float64")
    return model.grids[arm].copy(), flux
