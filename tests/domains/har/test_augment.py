"""Augmentation of inertial windows: labels kept, rotations orthonormal and shared by the sensors."""

import math

import numpy as np
import tensorflow as tf

from core.testing import TestCase
from domains.har.augment import Augmentation, rotation_matrix, sensor_triplets


class SensorTripletsTest(TestCase):
    def test_runs_of_x_y_z_channels_are_sensors(self):
        names = ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"]
        self.assertEqual(sensor_triplets(names), ((0, 1, 2), (3, 4, 5)))
        self.assertEqual(sensor_triplets(["t", "body_acc_x", "body_acc_y", "body_acc_z"]), ((1, 2, 3),))
        self.assertEqual(sensor_triplets(["accel_x", "gyro_y", "accel_z"]), ())  # mixed stems: no sensor
        self.assertEqual(sensor_triplets(["dim_0", "dim_1"]), ())


class RotationMatrixTest(TestCase):
    def test_rotation_is_orthonormal_with_determinant_one(self):
        rng = np.random.default_rng(0)
        for _ in range(5):
            matrix = rotation_matrix(tf.constant(rng.normal(size=3), tf.float32),
                                     tf.constant(rng.uniform(-math.pi, math.pi), tf.float32)).numpy()
            np.testing.assert_allclose(matrix @ matrix.T, np.eye(3), atol=1e-5)
            self.assertAlmostEqual(float(np.linalg.det(matrix)), 1.0, places=5)

    def test_quarter_turn_about_z(self):
        matrix = rotation_matrix(tf.constant([0.0, 0.0, 2.0]), tf.constant(math.pi / 2)).numpy()
        np.testing.assert_allclose(matrix @ np.array([1.0, 0.0, 0.0]), [0.0, 1.0, 0.0], atol=1e-6)


class AugmentationTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(1)
        self.x = rng.normal(size=(40, 7)).astype("float32")  # accel xyz, gyro xyz, one lone channel

    def test_rotation_turns_both_sensors_by_one_matrix_and_keeps_the_rest(self):
        augment = Augmentation(rotation_degrees=90, triplets=((0, 1, 2), (3, 4, 5)))
        tf.random.set_seed(3)
        out, label = augment(tf.constant(self.x), tf.constant(4))
        out = out.numpy()
        self.assertEqual(int(label), 4)
        np.testing.assert_array_equal(out[:, 6], self.x[:, 6])
        # One orthonormal matrix maps accelerometer and gyroscope alike: solve it from the accelerometer.
        matrix, *_ = np.linalg.lstsq(self.x[:, :3], out[:, :3], rcond=None)
        np.testing.assert_allclose(self.x[:, 3:6] @ matrix, out[:, 3:6], atol=1e-4)
        np.testing.assert_allclose(matrix.T @ matrix, np.eye(3), atol=1e-4)
        self.assertFalse(np.allclose(matrix, np.eye(3), atol=1e-3))
        # Norms (|a|, |w| per step) are kept by a rotation.
        np.testing.assert_allclose(np.linalg.norm(out[:, 3:6], axis=1), np.linalg.norm(self.x[:, 3:6], axis=1),
                                   rtol=1e-4)

    def test_rotation_angle_stays_within_the_bound(self):
        augment = Augmentation(rotation_degrees=10, triplets=((0, 1, 2),))
        for seed in range(5):
            tf.random.set_seed(seed)
            out = augment(tf.constant(self.x), 0)[0].numpy()
            matrix, *_ = np.linalg.lstsq(self.x[:, :3], out[:, :3], rcond=None)
            angle = math.degrees(math.acos(np.clip((np.trace(matrix) - 1) / 2, -1, 1)))
            self.assertLessEqual(angle, 10.0 + 1e-2)

    def test_every_augmentation_keeps_the_label_and_the_shape(self):
        augment = Augmentation(rotation_degrees=30, scale=0.1, jitter=0.05, time_warp=0.2,
                               triplets=((0, 1, 2), (3, 4, 5)), channel_std=np.ones(7))
        dataset = tf.data.Dataset.from_tensor_slices((self.x[None].repeat(6, 0), np.arange(6))).map(augment)
        for i, (window, label) in enumerate(dataset):
            self.assertEqual(int(label), i)
            self.assertEqual(tuple(window.shape), self.x.shape)
            self.assertFalse(np.allclose(window.numpy(), self.x))

    def test_time_warp_of_a_ramp_changes_its_slope_about_the_centre(self):
        ramp = np.tile(np.arange(41, dtype="float32")[:, None], (1, 2))
        tf.random.set_seed(0)
        out = Augmentation(time_warp=0.5)(tf.constant(ramp), 0)[0].numpy()
        self.assertAlmostEqual(float(out[20, 0]), 20.0, places=4)  # the centre stays
        slope = np.diff(out[15:26, 0])
        np.testing.assert_allclose(slope, slope[0], atol=1e-4)  # a constant speed
        self.assertTrue(1 / 1.5 - 1e-4 <= slope[0] <= 1.5 + 1e-4)
        self.assertNotAlmostEqual(float(slope[0]), 1.0, places=3)

    def test_jitter_is_scaled_by_the_channel_std(self):
        tf.random.set_seed(0)
        zeros = np.zeros((2000, 2), "float32")
        out = Augmentation(jitter=0.5, channel_std=[1.0, 10.0])(tf.constant(zeros), 0)[0].numpy()
        np.testing.assert_allclose(out.std(axis=0), [0.5, 5.0], rtol=0.1)

    def test_no_strength_is_no_change_and_bad_strengths_are_refused(self):
        augment = Augmentation()
        self.assertFalse(augment.enabled)
        self.assertEqual(augment.describe(), "none")
        np.testing.assert_array_equal(augment(tf.constant(self.x), 0)[0].numpy(), self.x)
        with self.assertRaisesRegex(ValueError, "rotation_degrees=30"):
            Augmentation(rotation_degrees=30)
        with self.assertRaisesRegex(ValueError, "scale"):
            Augmentation(scale=-0.1)
