"""domains.mri.quality.motion: `simulate_motion`'s k-space motion artefacts on phantom slices."""

import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized

from core.testing import TestCase
from domains.mri.quality.data.corruption import ssim_label
from domains.mri.quality.motion import centred_spectrum, simulate_motion


def _slices(phantom_volume):
    """Six 48 x 48 phantom slices (6, 48, 48, 1), about 0-1."""
    volume = phantom_volume(shape=(48, 48, 24), seed=3) / 300.0
    return np.moveaxis(volume[:, :, 6:12], 2, 0)[..., np.newaxis].astype("float32")


def _line_mask(lines, phase_axis, shape):
    """Spread a per-line flag (along the phase axis) over the whole k-space plane."""
    return np.broadcast_to(lines[:, None] if phase_axis == 0 else lines[None, :], shape)


class SimulateMotionTest(TestCase):
    @pytest.fixture(autouse=True)
    def _phantoms(self, phantom_volume):
        self.slices = _slices(phantom_volume)

    def test_severity_zero_returns_the_input_exactly(self):
        x = self.slices[:6]
        for images in (x, x[..., 0], x[0], x[0, ..., 0]):
            out = simulate_motion(images, severity=0.0, seed=11).numpy()
            self.assertEqual(out.shape, images.shape)
            np.testing.assert_array_equal(out, images)
        self.assertTrue(np.allclose(ssim_label(x, simulate_motion(x, 0.0, seed=1)).numpy(), 1.0))

    def test_per_example_severity(self):
        x = self.slices[:2]
        out = simulate_motion(x, severity=[0.0, 1.0], seed=5).numpy()
        np.testing.assert_array_equal(out[0], x[0])
        self.assertGreater(np.abs(out[1] - x[1]).max(), 0.01)

    def test_ssim_decreases_with_severity_on_average(self):
        x = self.slices[:6]
        means = []
        for severity in (0.1, 0.4, 1.0):
            labels = [ssim_label(x, simulate_motion(x, severity, seed=seed)).numpy() for seed in range(4)]
            means.append(float(np.mean(labels)))
        self.assertGreater(means[0], means[1], str(means))
        self.assertGreater(means[1], means[2], str(means))
        self.assertLess(means[0], 1.0)
        self.assertLess(means[2], 0.95)

    def test_same_seed_same_motion_other_seed_other_motion(self):
        x = self.slices[:3]
        a = simulate_motion(x, 0.7, seed=42).numpy()
        np.testing.assert_array_equal(a, simulate_motion(x, 0.7, seed=42).numpy())
        np.testing.assert_array_equal(a, simulate_motion(x, 0.7, seed=tf.constant([42 & 0x7FFFFFFF, 0x5EED])).numpy())
        self.assertFalse(np.allclose(a, simulate_motion(x, 0.7, seed=43).numpy()))

    def test_runs_inside_tf_data(self):
        x = self.slices[:4]
        dataset = tf.data.Dataset.from_tensor_slices(x).map(lambda image: simulate_motion(image, 0.5, seed=[1, 2]))
        out = np.stack(list(dataset.as_numpy_iterator()))
        self.assertEqual(out.shape, x.shape)
        self.assertTrue(np.all(np.isfinite(out)))


class MotionKSpaceTest(TestCase):
    @pytest.fixture(autouse=True)
    def _phantoms(self, phantom_volume):
        self.slices = _slices(phantom_volume)

    @parameterized.parameters(0, 1)
    def test_kspace_of_motion_free_segment_is_the_inputs(self, phase_axis):
        x = self.slices[:4, ..., 0]
        out, details = simulate_motion(x, 1.0, seed=3, phase_axis=phase_axis, return_details=True)
        free = details["motion_free_lines"].numpy()
        reference = centred_spectrum(x).numpy()
        mixed = details["kspace"].numpy()
        size = x.shape[1]
        for b in range(len(x)):
            lines = free[b].any(axis=1 - phase_axis)  # per line along the phase axis
            # Whole lines: each line is either motion-free everywhere or nowhere.
            self.assertTrue(np.array_equal(free[b], _line_mask(lines, phase_axis, free[b].shape)))
            self.assertTrue(lines[size // 2], "the DC line must be in the motion-free segment")
            self.assertGreater(lines.sum(), 0)
            self.assertLess(lines.sum(), size)
            # The combined spectrum is the input's on motion-free lines (exactly), not elsewhere.
            np.testing.assert_array_equal(mixed[b][free[b]], reference[b][free[b]])
            self.assertGreater(np.mean(np.abs(mixed[b][~free[b]] - reference[b][~free[b]]) > 1e-2), 0.5)
            # The real output's spectrum equals the input's where a line and its mirror are both free.
            output_spectrum = centred_spectrum(out[b]).numpy()
            mirror = np.roll(lines[::-1], 1)  # centred index k <-> -k (index 0 is its own partner)
            both = _line_mask(lines & mirror, phase_axis, free[b].shape)
            scale = np.abs(reference[b]).max()
            np.testing.assert_allclose(output_spectrum[both], reference[b][both], atol=1e-4 * scale)
            moved = _line_mask(~(lines | mirror), phase_axis, free[b].shape)
            self.assertGreater(np.abs(output_spectrum[moved] - reference[b][moved]).max(), 1e-3 * scale)

    def test_random_axis_picks_both_axes_and_details(self):
        x = self.slices[:6]
        _, details = simulate_motion(x, 1.0, seed=0, return_details=True, num_transforms=3)
        self.assertEqual(set(details["phase_axis"].numpy().tolist()), {0, 1})
        angles = details["angles"].numpy()
        self.assertEqual(angles.shape, (6, 4))
        self.assertLessEqual(np.abs(angles).max(), 10.0)
        self.assertTrue(np.all((angles == 0).sum(axis=1) >= 1))  # the centre segment does not move
        self.assertLessEqual(np.abs(details["translations"].numpy()).max(), 10.0)


class SimulateMotionArgumentsTest(TestCase):
    def test_bad_inputs(self):
        with self.assertRaisesRegex(ValueError, r"expects 2-D slices.*Received: images.shape=\(1, 2, 8, 8, 1\)"):
            simulate_motion(np.zeros((1, 2, 8, 8, 1), "float32"))
        with self.assertRaisesRegex(ValueError, "single-channel"):
            simulate_motion(np.zeros((2, 8, 8, 3), "float32"))
        with self.assertRaisesRegex(ValueError, "num_transforms"):
            simulate_motion(np.zeros((8, 8), "float32"), num_transforms=0)
        with self.assertRaisesRegex(ValueError, "phase_axis"):
            simulate_motion(np.zeros((8, 8), "float32"), phase_axis=2)
        with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "severity must be >= 0"):
            simulate_motion(np.zeros((8, 8), "float32"), severity=-0.5)
