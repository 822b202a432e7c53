"""Radial velocities: a known shift of SYNTHETIC spectra recovered within its error, the real binary's epochs,
a real spectrum shifted by hand, an empty spectrum, and the arms' agreement check."""

import dataclasses

import numpy as np

from core.testing import TestCase
from domains.lamost.data import SPECTRA_DIR, mrs_files, read_mrs
from domains.lamost.preprocessing import SPEED_OF_LIGHT_KMS
from domains.lamost.rv import ARM_SYSTEMATIC, ArmVelocity, combine, measure_arm, measure_rv, template
from domains.lamost.synthetic import ALL_LABELS, make_spectra
from tests.domains.lamost.conftest import REPEATED_STAR


def _arms(batch, i, labels=None):
    return [measure_arm(batch.blue["wavelength"], batch.blue["flux"][i], batch.blue["ivar"][i],
                        batch.blue["masked"][i], "B", labels),
            measure_arm(batch.red["wavelength"], batch.red["flux"][i], batch.red["ivar"][i],
                        batch.red["masked"][i], "R", labels)]


class MeasureRVTest(TestCase):
    def test_a_known_shift_of_synthetic_spectra_is_recovered_within_its_error(self):
        batch = make_spectra(6, seed=11, snr_range=(15.0, 80.0), rv_range=(-300.0, 300.0))
        pulls = []
        for i in range(6):
            truth = {name: batch.labels[i, j] for j, name in enumerate(ALL_LABELS)}
            at_truth = combine(*_arms(batch, i, truth))
            typical = combine(*_arms(batch, i))
            pulls.append((at_truth.rv - batch.rv[i]) / at_truth.rv_error)
            self.assertTrue(at_truth.arms_agree and typical.arms_agree)
            self.assertLess(at_truth.rv_error, 1.0)   # km/s, at S/N >= 15
            # The typical template is another star: its lines sit where the star's do.
            self.assertLess(abs(typical.rv - batch.rv[i]), 5.0)
        self.assertLess(np.max(np.abs(pulls)), 3.5)
        self.assertTrue(0.3 < np.std(pulls) < 1.8, pulls)

    def test_the_real_binary_moves_and_a_real_spectrum_shifted_by_hand_moves_by_as_much(self):
        coadds = [read_mrs(path) for path in mrs_files() if "TD19" in path.name]
        self.assertEqual({s.designation[:18] for s in coadds}, {REPEATED_STAR[:18]})
        measured = [measure_rv(s) for s in coadds]
        self.assertTrue(all(m.arms_agree and m.rv_error < 3.0 for m in measured))
        # A spectroscopic binary: its four epochs' lines move by more than 100 km/s.
        velocities = [m.rv for m in measured]
        self.assertGreater(max(velocities) - min(velocities), 100.0)

        spectrum = read_mrs(SPECTRA_DIR / "med-58644-TD192102N424113K01_sp12-076.fits.gz")
        factor = 1.0 + 40.0 / SPEED_OF_LIGHT_KMS
        shifted = dataclasses.replace(
            spectrum, blue=dataclasses.replace(spectrum.blue, wavelength=spectrum.blue.wavelength * factor),
            red=dataclasses.replace(spectrum.red, wavelength=spectrum.red.wavelength * factor))
        before, after = measure_rv(spectrum), measure_rv(shifted)
        for arm_before, arm_after in ((before.blue, after.blue), (before.red, after.red)):
            # (1 + v/c)(1 + 40/c) − 1 ≈ v + 40 km/s; the same pixels and noise: agreement to a fraction of σ.
            self.assertLess(abs(arm_after.rv - arm_before.rv - 40.0), 0.5 * arm_before.error + 0.05)

    def test_an_arm_without_a_star_gives_no_velocity(self):
        rng = np.random.default_rng(0)
        wavelength = np.logspace(np.log10(4950.0), np.log10(5350.0), 4000)
        noise = measure_arm(wavelength, rng.normal(0.0, 1.0, 4000), np.ones(4000), np.zeros(4000, bool), "B")
        lines = measure_arm(wavelength, np.interp(wavelength, *template("B")) * 100.0, np.full(4000, 1.0),
                            np.zeros(4000, bool), "B")
        self.assertLess(abs(lines.rv), 0.2)          # the template itself, noiseless: 0 km/s
        self.assertTrue(not np.isfinite(noise.error) or noise.error > 10 * lines.error, noise)

    def test_combine_weights_the_arms_and_checks_that_they_agree(self):
        blue, red = ArmVelocity(10.0, 1.0, 1.0, 3000), ArmVelocity(12.0, 2.0, 1.0, 3000)
        both = combine(blue, red)
        self.assertAllClose(both.rv, (10.0 / 1 + 12.0 / 4) / (1 + 1 / 4))
        self.assertAllClose(both.rv_error, max(np.sqrt(1 / (1 + 1 / 4)), 1.0))   # half the arms' difference
        self.assertTrue(both.arms_agree)
        far = 3.0 * np.sqrt(1 + 4 + ARM_SYSTEMATIC ** 2) + 0.5
        self.assertFalse(combine(blue, ArmVelocity(10.0 + far, 2.0, 1.0, 3000)).arms_agree)
        lost = combine(blue, ArmVelocity(float("nan"), float("inf"), float("nan"), 12))
        self.assertEqual((lost.rv, lost.rv_error, lost.arms_agree), (10.0, 1.0, False))
