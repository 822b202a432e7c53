import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from core.metrics.losses import GaussianNLL
from core.metrics.losses import ensemble_gaussian
from core.metrics.losses import least_squares_gan_losses
from core.metrics.losses import mean_per_example
from core.metrics.losses import relativistic_average_losses
from core.testing import TestCase


def _softplus(x):
    return np.logaddexp(0.0, x)


def _numpy_nll(y, mean, variance, constant=0.0):
    return np.mean(0.5 * np.log(variance) + (y - mean) ** 2 / (2.0 * variance), axis=-1) + constant


class GaussianNLLTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.y = rng.standard_normal((4, 3)).astype("float32")
        self.mean = rng.standard_normal((4, 3)).astype("float32")
        self.variance = rng.uniform(0.1, 2.0, (4, 3)).astype("float32")
        self.y_pred = np.concatenate([self.mean, self.variance], axis=-1)

    def test_matches_numpy_formula(self):
        expected = _numpy_nll(self.y, self.mean, self.variance, constant=5.0)
        per_example = GaussianNLL(constant=5.0, reduction=None)(self.y, self.y_pred)
        self.assertAllClose(per_example, expected, atol=1e-5)
        self.assertAllClose(GaussianNLL(constant=5.0)(self.y, self.y_pred), expected.mean(), atol=1e-5)

    def test_gradient_wrt_mean_is_zero_at_target(self):
        mean = tf.Variable(self.y)
        with tf.GradientTape() as tape:
            loss = GaussianNLL()(self.y, tf.concat([mean, self.variance], axis=-1))
        self.assertAllClose(tape.gradient(loss, mean), np.zeros_like(self.y), atol=1e-7)

    def test_minimised_over_variance_at_squared_error(self):
        y, mean = np.float32([[1.0]]), np.float32([[0.4]])
        best = float(((y - mean) ** 2)[0, 0])  # 0.36
        grid = np.linspace(0.05, 1.5, 59).astype("float32")  # steps of 0.025
        loss = GaussianNLL(reduction=None)
        y_pred = np.stack([np.full_like(grid, 0.4), grid], axis=-1)  # one row per candidate variance
        values = loss(np.ones((len(grid), 1), "float32"), y_pred).numpy()
        self.assertAlmostEqual(grid[np.argmin(values)], best, delta=0.0125)
        variance = tf.Variable([[best]])
        with tf.GradientTape() as tape:
            value = loss(y, tf.concat([mean, variance], axis=-1))
        self.assertAllClose(tape.gradient(value, variance), [[0.0]], atol=1e-5)
        for s in (best * 0.9, best * 1.1):
            self.assertGreater(float(loss(y, np.float32([[0.4, s]]))[0]), float(value[0]))

    def test_min_variance_keeps_loss_finite(self):
        y_pred = np.concatenate([self.mean, np.zeros_like(self.variance)], axis=-1)
        value = GaussianNLL(min_variance=1e-3)(self.y, y_pred)
        expected = _numpy_nll(self.y, self.mean, np.full_like(self.variance, 1e-3)).mean()
        self.assertAllClose(value, expected, rtol=1e-5)

    def test_shape_errors(self):
        with self.assertRaisesRegex(ValueError, "even"):
            GaussianNLL()(self.y, self.y_pred[:, :5])
        with self.assertRaisesRegex(ValueError, "y_true.shape"):
            GaussianNLL()(self.y[:, :2], self.y_pred)
        with self.assertRaisesRegex(ValueError, "min_variance"):
            GaussianNLL(min_variance=0.0)

    def test_serialization_round_trip(self):
        loss = GaussianNLL(constant=5.0, min_variance=1e-4, name="nll")
        config = keras.losses.serialize(loss)
        revived = keras.losses.deserialize(config)
        self.assertIsInstance(revived, GaussianNLL)
        self.assertEqual(revived.get_config(), loss.get_config())
        self.assertEqual((revived.constant, revived.min_variance, revived.name), (5.0, 1e-4, "nll"))
        self.assertAllClose(revived(self.y, self.y_pred), loss(self.y, self.y_pred))

    def test_fit_one_step(self):
        inputs = keras.Input((5,))
        mean = keras.layers.Dense(3)(inputs)
        variance = keras.layers.Dense(3, activation="softplus")(inputs)
        model = keras.Model(inputs, keras.layers.Concatenate()([mean, variance]))
        model.compile(optimizer="sgd", loss=GaussianNLL(constant=5.0), jit_compile=False)
        history = model.fit(np.ones((4, 5), "float32"), self.y, epochs=1, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"][0]))


class EnsembleGaussianTest(TestCase):
    def test_hand_example(self):
        # Members N(1, 1) and N(3, 1): mean 2, variance mean(1 + 1, 9 + 1) - 4 = 2.
        mean, variance = ensemble_gaussian([np.float32([1.0]), np.float32([3.0])], [np.float32([1.0])] * 2)
        self.assertAllClose(mean, [2.0])
        self.assertAllClose(variance, [2.0])

    def test_stacked_input_and_general_case(self):
        rng = np.random.default_rng(0)
        means = rng.standard_normal((6, 4, 3)).astype("float32")
        variances = rng.uniform(0.1, 1.0, (6, 4, 3)).astype("float32")
        mean, variance = ensemble_gaussian(means, variances)
        self.assertAllClose(mean, means.mean(0), atol=1e-6)
        self.assertAllClose(variance, variances.mean(0) + means.var(0), atol=1e-5)
        list_mean, list_variance = ensemble_gaussian(list(means), list(variances))
        self.assertAllClose(list_mean, mean)
        self.assertAllClose(list_variance, variance)

    def test_single_member_is_identity_and_errors(self):
        mean, variance = ensemble_gaussian([np.float32([0.5, 2.0])], [np.float32([0.3, 0.1])])
        self.assertAllClose(mean, [0.5, 2.0])
        self.assertAllClose(variance, [0.3, 0.1], atol=1e-6)
        with self.assertRaisesRegex(ValueError, "same shape"):
            ensemble_gaussian(np.zeros((2, 3)), np.zeros((2, 4)))
        with self.assertRaisesRegex(ValueError, "at least one"):
            ensemble_gaussian([], [])


class GANLossesTest(TestCase):
    @parameterized.named_parameters(("map", (3, 4, 4, 1)), ("vector", (3,)), ("column", (3, 1)))
    def test_relativistic_average_matches_numpy(self, shape):
        rng = np.random.default_rng(0)
        real = rng.standard_normal(shape).astype("float32") * 2
        fake = rng.standard_normal(shape).astype("float32") * 2
        axes = tuple(range(1, len(shape)))  # () for (B,): np.mean over no axis is the identity
        # BCE(x, 1) = -log sigmoid(x) = softplus(-x); BCE(x, 0) = -log(1 - sigmoid(x)) = softplus(x).
        expected_g = np.mean(_softplus(-(fake - real.mean())), axis=axes)
        d_real = np.mean(_softplus(-(real - fake.mean())), axis=axes)
        d_fake = np.mean(_softplus(fake - real.mean()), axis=axes)
        expected_d = 0.5 * (d_real + d_fake)
        g_loss, d_loss = relativistic_average_losses(real, fake)
        self.assertEqual(tuple(g_loss.shape), (3,))
        self.assertEqual(tuple(d_loss.shape), (3,))
        self.assertAllClose(g_loss, expected_g, atol=1e-5)
        self.assertAllClose(d_loss, expected_d, atol=1e-5)

    def test_relativistic_batch_axis_mean_per_position(self):
        # DISGAN's official form: the relativistic means over the batch axis only, voxel by voxel.
        rng = np.random.default_rng(3)
        real = rng.standard_normal((3, 2, 2, 1)).astype("float32") * 2
        fake = rng.standard_normal((3, 2, 2, 1)).astype("float32") * 2
        fake_relative = fake - real.mean(axis=0, keepdims=True)
        real_relative = real - fake.mean(axis=0, keepdims=True)
        expected_g = np.mean(_softplus(-fake_relative), axis=(1, 2, 3))
        expected_d = 0.5 * (np.mean(_softplus(-real_relative), axis=(1, 2, 3)) + np.mean(_softplus(fake_relative), axis=(1, 2, 3)))
        g_loss, d_loss = relativistic_average_losses(real, fake, mean_axis=0)
        self.assertAllClose(g_loss, expected_g, atol=1e-5)
        self.assertAllClose(d_loss, expected_d, atol=1e-5)
        g_all, _ = relativistic_average_losses(real, fake)
        self.assertGreater(float(np.max(np.abs(g_all - expected_g))), 1e-3)  # the two forms differ
        with self.assertRaisesRegex(ValueError, "mean_axis must be None"):
            relativistic_average_losses(real, fake, mean_axis=1)

    def test_relativistic_shape_mismatch_raises(self):
        with self.assertRaisesRegex(ValueError, "same shape"):
            relativistic_average_losses(np.zeros((2, 3)), np.zeros((2, 4)))

    def test_least_squares_matches_numpy(self):
        rng = np.random.default_rng(1)
        real = rng.standard_normal((2, 5, 1)).astype("float32")
        fake = rng.standard_normal((2, 5, 1)).astype("float32")
        g_loss, d_loss = least_squares_gan_losses(real, fake)
        self.assertAllClose(g_loss, np.mean((1 - fake) ** 2, axis=(1, 2)), atol=1e-6)
        self.assertAllClose(d_loss, np.mean((1 - real) ** 2, axis=(1, 2)) + np.mean(fake**2, axis=(1, 2)), atol=1e-6)

    def test_least_squares_sums_over_discriminators(self):
        rng = np.random.default_rng(2)
        real = [rng.standard_normal((2, 7)).astype("float32"), rng.standard_normal((2, 3, 4)).astype("float32")]
        fake = [rng.standard_normal((2, 7)).astype("float32"), rng.standard_normal((2, 3, 4)).astype("float32")]
        g_loss, d_loss = least_squares_gan_losses(real, fake)
        expected_g = np.mean((1 - fake[0]) ** 2, axis=1) + np.mean((1 - fake[1]) ** 2, axis=(1, 2))
        expected_d = (
            np.mean((1 - real[0]) ** 2, axis=1) + np.mean(fake[0] ** 2, axis=1)
            + np.mean((1 - real[1]) ** 2, axis=(1, 2)) + np.mean(fake[1] ** 2, axis=(1, 2))
        )
        self.assertAllClose(g_loss, expected_g, atol=1e-6)
        self.assertAllClose(d_loss, expected_d, atol=1e-6)
        g_only, none = least_squares_gan_losses(None, fake)
        self.assertIsNone(none)
        self.assertAllClose(g_only, expected_g, atol=1e-6)
        with self.assertRaisesRegex(ValueError, "len\\(real_outputs\\)=1"):
            least_squares_gan_losses(real[:1], fake)


class MeanPerExampleTest(TestCase):
    def test_means_every_axis_but_the_batch_axis(self):
        values = np.random.default_rng(0).normal(size=(3, 4, 5, 2)).astype("float32")
        self.assertAllClose(mean_per_example(values), values.reshape(3, -1).mean(axis=1), atol=1e-6)
        self.assertAllClose(mean_per_example(values[:, 0, 0, 0]), values[:, 0, 0, 0])

    def test_unknown_batch_size_in_a_graph(self):
        run = tf.function(mean_per_example, input_signature=[tf.TensorSpec((None, 2, 3), tf.float32)])
        self.assertAllClose(run(np.ones((5, 2, 3), "float32")), np.ones(5))

    def test_a_scalar_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "needs a batch axis"):
            mean_per_example(3.0)
