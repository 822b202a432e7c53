"""`validate_windows`: the input check of the HAR models."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from core.testing import TestCase
from domains.har.data import validate_windows


class ValidateWindowsTest(TestCase):
    def test_valid_input_passes_through(self):
        x = np.random.default_rng(0).normal(size=(4, 128, 9)).astype("float32")
        out = validate_windows(x, expected_channels=9, name="x_train", expected_length=128)
        np.testing.assert_array_equal(out, x)
        out = validate_windows(tf.constant(x), expected_channels=9)  # eager tensors too
        np.testing.assert_array_equal(out, x)
        validate_windows(np.zeros((2, 10, 3), "int32"), expected_channels=3)

    @parameterized.named_parameters(
        ("two_dims", (128, 9), 9, r"`x` must be 3-D \(windows, time, channels\)\. Received: shape=\(128, 9\) \(ndim=2\)"),
        ("four_dims", (1, 2, 128, 9), 9, r"Received: shape=\(1, 2, 128, 9\) \(ndim=4\)"),
        ("channels", (2, 128, 9), 6, r"`x` must have 6 channels on its last axis\. Received: 9 channels"),
    )
    def test_shape_errors(self, shape, channels, pattern):
        with self.assertRaisesRegex(ValueError, pattern):
            validate_windows(np.zeros(shape, "float32"), expected_channels=channels)

    def test_length_error(self):
        with self.assertRaisesRegex(ValueError, r"`x_val` must have 128 time steps on axis 1\. Received: 100"):
            validate_windows(np.zeros((2, 100, 6), "float32"), 6, name="x_val", expected_length=128)

    def test_non_finite_values_are_counted_and_located(self):
        x = np.zeros((5, 16, 3), "float32")
        x[1, 4, 2] = np.nan
        x[3, 0, 0] = np.nan
        x[3, 7, 1] = np.inf
        x[3, 8, 1] = -np.inf
        pattern = (
            r"`x_test` must be finite\. Received: 2 NaN and 2 infinite values in 2 window\(s\) \[1, 3\]; "
            r"first at index \(window, time, channel\)=\(1, 4, 2\)"
        )
        with self.assertRaisesRegex(ValueError, pattern):
            validate_windows(x, expected_channels=3, name="x_test")

    def test_non_numeric_dtype(self):
        with self.assertRaisesRegex(ValueError, "real numbers"):
            validate_windows(np.full((1, 2, 3), "a"), expected_channels=3)


class ImportCostTest(TestCase):
    def test_only_the_tfds_module_imports_tfds(self):
        code = (
            "import sys, domains.har\n"
            "print('tensorflow_datasets' in sys.modules)\n"
            "import domains.har.tfds\n"
            "print('tensorflow_datasets' in sys.modules)\n"
        )
        root = str(pathlib.Path(__file__).resolve().parents[4])
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.split(), ["False", "True"])
