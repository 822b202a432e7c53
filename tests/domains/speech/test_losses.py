"""APNet's losses: anti-wrapping, the difference matrices, consistency, and the weights."""

import numpy as np

from core.testing import TestCase
from domains.speech.losses import (
    LOSS_WEIGHTS,
    anti_wrapping,
    consistency_loss,
    phase_losses,
    real_imaginary_loss,
)


class LossesTest(TestCase):
    def test_anti_wrapping_is_the_distance_to_the_nearest_multiple_of_two_pi(self):
        self.assertAllClose(anti_wrapping(np.array([0.5, 2 * np.pi + 0.5, -2 * np.pi - 0.5, np.pi - 0.1])),
                            [0.5, 0.5, 0.5, np.pi - 0.1], atol=1e-6)

    def test_phase_losses_ignore_wraps_and_match_the_difference_definitions(self):
        rng = np.random.default_rng(0)
        phase = rng.uniform(-np.pi, np.pi, (2, 6, 5)).astype("float32")
        wraps = 2 * np.pi * rng.integers(-2, 3, phase.shape)
        for value in phase_losses(phase, (phase + wraps).astype("float32")):
            self.assertAllClose(value, [0, 0], atol=1e-5)
        other = rng.uniform(-np.pi, np.pi, phase.shape).astype("float32")
        ip, gd, iaf = (v.numpy() for v in phase_losses(phase, other))

        def f_aw(x):
            return np.abs(x - 2 * np.pi * np.round(x / (2 * np.pi)))

        def diff(p, axis):  # φ[k−1] − φ[k], with φ[−1] = 0
            return -np.diff(p, axis=axis, prepend=0)

        self.assertAllClose(ip, f_aw(phase - other).mean(axis=(1, 2)), atol=1e-5)
        self.assertAllClose(gd, f_aw(diff(phase, 2) - diff(other, 2)).mean(axis=(1, 2)), atol=1e-5)
        self.assertAllClose(iaf, f_aw(diff(phase, 1) - diff(other, 1)).mean(axis=(1, 2)), atol=1e-5)
        cosine = phase_losses(phase, phase, wrapping="cosine")[0]
        self.assertAllClose(cosine, [-1, -1], atol=1e-6)  # the official code's −cos: −1 at a perfect match
        with self.assertRaisesRegex(ValueError, "wrapping"):
            phase_losses(phase, phase, wrapping="l1")

    def test_spectral_losses_and_paper_weights(self):
        a = np.ones((1, 3, 4), "float32")
        self.assertAllClose(consistency_loss(a, a, a - 1, a + 1), [2.0])
        self.assertAllClose(real_imaginary_loss(a, a, a - 1, a + 2), [3.0])
        self.assertEqual(LOSS_WEIGHTS, {"amplitude": 45.0, "phase": 100.0, "spectrum": 20.0, "real_imaginary": 2.25,
                                        "feature_matching": 2.0, "mel": 45.0})
