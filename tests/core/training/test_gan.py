import keras
import numpy as np
import tensorflow as tf

from core.metrics import relativistic_average_losses
from core.testing import TestCase
from core.training import GANModel


def _models():
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(3)])
    discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    return generator, discriminator


def _data(n=32):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype("float32"), (rng.normal(size=(n, 3)) + 3).astype("float32")


@keras.saving.register_keras_serializable(package="tests")
class RelativisticGAN(GANModel):
    """A subclass with two generator terms, as DISGAN has."""

    generator_loss_names = ("loss", "l1", "adversarial")
    discriminator_loss_names = ("loss",)

    def generator_losses(self, inputs, targets, generated, real_output, fake_output):
        adversarial, _ = relativistic_average_losses(real_output, fake_output)
        l1 = keras.ops.mean(keras.ops.abs(generated - targets), axis=1)
        return {"loss": l1 + 0.1 * adversarial, "l1": l1, "adversarial": adversarial}

    def discriminator_losses(self, real_output, fake_output):
        return {"loss": relativistic_average_losses(real_output, fake_output)[1]}

    def reconstruction_losses(self, inputs, targets, generated):
        l1 = keras.ops.mean(keras.ops.abs(generated - targets), axis=1)
        return {"loss": l1, "l1": l1}


class GANModelTest(TestCase):
    def test_trains_both_networks_and_logs_declared_losses(self):
        gan = RelativisticGAN(*_models())
        gan.compile()
        g_before = [w.numpy().copy() for w in gan.generator.trainable_weights]
        d_before = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
        history = gan.fit(*_data(), batch_size=8, epochs=3, verbose=0)
        self.assertEqual(
            set(history.history),
            {"generator_loss", "generator_l1", "generator_adversarial", "discriminator_loss"},
        )
        self.assertLess(history.history["generator_l1"][-1], history.history["generator_l1"][0])
        self.assertFalse(all(np.array_equal(a, b.numpy()) for a, b in zip(g_before, gan.generator.trainable_weights)))
        self.assertFalse(all(np.array_equal(a, b.numpy()) for a, b in zip(d_before, gan.discriminator.trainable_weights)))
        logs = gan.evaluate(*_data(8), batch_size=8, verbose=0, return_dict=True)
        self.assertIn("generator_l1", logs)

    def test_generator_only_trains_the_generator_alone_on_its_reconstruction_losses(self):
        gan = RelativisticGAN(*_models())
        gan.compile(generator_optimizer=keras.optimizers.Adam(5e-2), adversarial=False)
        d_before = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
        history = gan.fit(*_data(), batch_size=8, epochs=3, verbose=0)
        self.assertEqual(set(history.history), {"generator_loss", "generator_l1"})
        self.assertLess(history.history["generator_l1"][-1], 0.9 * history.history["generator_l1"][0])
        self.assertTrue(all(np.array_equal(a, b.numpy()) for a, b in zip(d_before, gan.discriminator.trainable_weights)))
        self.assertEqual(int(gan.discriminator_optimizer.iterations.numpy()), 0)
        x, y = _data(8)
        logs = gan.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
        expected = np.mean(np.abs(np.asarray(gan.generator(x)) - y))
        self.assertAllClose(logs["generator_l1"], expected, atol=1e-5)
        self.assertEqual(set(logs), {"generator_loss", "generator_l1"})
        restored = self.run_model_saving_test(gan, x)
        self.assertFalse(restored.adversarial)

    def test_generator_only_needs_reconstruction_losses_and_a_bool(self):
        gan = GANModel(*_models())
        with self.assertRaisesRegex(ValueError, "adversarial must be True or False"):
            gan.compile(adversarial="no")
        gan.compile(adversarial=False)
        with self.assertRaisesRegex(NotImplementedError, "no generator-only losses"):
            gan.fit(*_data(8), batch_size=8, epochs=1, verbose=0)

    def test_undeclared_loss_name_is_a_clear_error(self):
        class Undeclared(GANModel):
            def generator_losses(self, inputs, targets, generated, real_output, fake_output):
                return {"loss": keras.ops.mean(generated, axis=1), "extra": keras.ops.mean(generated, axis=1)}

        gan = Undeclared(*_models())
        gan.compile()
        with self.assertRaisesRegex(KeyError, "not declared in generator_loss_names"):
            gan.fit(*_data(8), batch_size=8, epochs=1, verbose=0)

    def test_saving_restores_models_and_both_optimizers(self):
        gan = RelativisticGAN(*_models())
        gan.compile(generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                    discriminator_optimizer=keras.optimizers.SGD(1e-3))
        gan.fit(*_data(16), batch_size=8, epochs=1, verbose=0)
        x, _ = _data(4)
        restored = self.run_model_saving_test(gan, x)
        self.assertIsInstance(restored, RelativisticGAN)
        self.assertIsInstance(restored.discriminator_optimizer, keras.optimizers.SGD)
        self.assertAlmostEqual(float(restored.generator_optimizer.beta_1), 0.5)
        self.assertEqual(int(restored.generator_optimizer.iterations.numpy()), 2)
        restored.fit(*_data(16), batch_size=8, epochs=1, verbose=0)
        self.assertEqual(int(restored.generator_optimizer.iterations.numpy()), 4)

    def test_an_uncompiled_gan_saves_and_loads_without_optimizers(self):
        gan = RelativisticGAN(*_models())
        x, _ = _data(4)
        restored = self.run_model_saving_test(gan, x)
        self.assertFalse(hasattr(restored, "generator_optimizer"))

    def test_one_step_descends_the_batch_mean_losses(self):
        # One SGD step of each network is -lr times the gradient of the batch *mean* loss (not the
        # sum, not 1/replicas of it), the discriminator seeing the generator's output from before
        # its update. Under MirroredStrategy, test_distribute.py checks the same step on 2 replicas.
        self._check_one_sgd_step(lambda: keras.optimizers.SGD(0.1))

    def test_loss_scaling_optimizers_take_the_same_step(self):
        # A LossScaleOptimizer divides the gradients by its scale: the step must multiply the loss by
        # it first (`scale_loss`), or the update comes out 1024 times too small.
        def scaled_sgd():
            return keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=2.0 ** 10)

        gan = self._check_one_sgd_step(scaled_sgd)
        for optimizer in (gan.generator_optimizer, gan.discriminator_optimizer):
            self.assertEqual(float(optimizer.dynamic_scale), 2.0 ** 10)  # nothing overflowed, nothing skipped

    def _check_one_sgd_step(self, make_optimizer):
        generator, discriminator = _models()
        gan = GANModel(generator, discriminator)
        gan.compile(generator_optimizer=make_optimizer(), discriminator_optimizer=make_optimizer())
        x, real = _data(8)

        def bce(labels, logits):
            return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))

        g_weights, d_weights = generator.trainable_weights, discriminator.trainable_weights
        with tf.GradientTape(persistent=True) as tape:
            fake = generator(x)
            fake_logits = discriminator(fake)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
            real_logits = discriminator(real)
            d_loss = 0.5 * (bce(tf.ones_like(real_logits), real_logits)
                            + bce(tf.zeros_like(fake_logits), discriminator(tf.stop_gradient(fake))))
        expected_g = [w.numpy() - 0.1 * g.numpy() for w, g in zip(g_weights, tape.gradient(g_loss, g_weights))]
        expected_d = [w.numpy() - 0.1 * g.numpy() for w, g in zip(d_weights, tape.gradient(d_loss, d_weights))]

        history = gan.fit(x, real, batch_size=8, epochs=1, shuffle=False, verbose=0)
        for expected, weight in zip(expected_g + expected_d, g_weights + d_weights):
            self.assertAllClose(weight, expected, atol=1e-6)
        self.assertAllClose(history.history["generator_loss"][0], g_loss, atol=1e-6)
        self.assertAllClose(history.history["discriminator_loss"][0], d_loss, atol=1e-6)
        return gan


@keras.saving.register_keras_serializable(package="tests")
class TwoCriticGAN(GANModel):
    """A generator with a dict output and two discriminators (the shape APNet has)."""

    discriminator_first = True

    def discriminator_sample(self, generated):
        return generated["sample"]

    def generator_losses(self, inputs, targets, generated, real_output, fake_output):
        adversarial = sum(keras.ops.mean(keras.ops.square(1.0 - fake), axis=1) for fake in fake_output.values())
        return {"loss": adversarial + keras.ops.mean(keras.ops.square(generated["aux"]), axis=1)}

    def discriminator_losses(self, real_output, fake_output):
        return {"loss": sum(keras.ops.mean(keras.ops.square(1.0 - real_output[k]) + keras.ops.square(fake_output[k]),
                                           axis=1) for k in real_output)}


def _structured_models():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="tanh", activity_regularizer=keras.regularizers.L2(0.5))(inputs)
    generator = keras.Model(inputs, {"sample": keras.layers.Dense(3)(hidden), "aux": keras.layers.Dense(2)(hidden)})
    critics = {name: keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name=name) for name in ("a", "b")}
    return generator, critics


class StructuredGANTest(TestCase):
    def test_discriminator_first_step_with_two_critics_dict_output_and_regularisation(self):
        # HiFi-GAN's order: both critics step on G(x), then G steps against the *updated* critics;
        # the generator's activity regularisation joins its loss.
        generator, critics = _structured_models()
        gan = TwoCriticGAN(generator, critics)
        gan.compile(generator_optimizer=keras.optimizers.SGD(0.1), discriminator_optimizer=keras.optimizers.SGD(0.1))
        x, real = _data(8)
        d_weights = [w for c in critics.values() for w in c.trainable_weights]
        g_weights = generator.trainable_weights
        with tf.GradientTape() as tape:
            fake = generator(x)["sample"]
            d_loss = tf.reduce_mean(sum(tf.reduce_mean((1 - c(real)) ** 2 + c(fake) ** 2, axis=1)
                                        for c in critics.values()))
        expected_d = [w.numpy() - 0.1 * g.numpy() for w, g in zip(d_weights, tape.gradient(d_loss, d_weights))]
        updated = {k: keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]) for k in critics}
        for name, critic in updated.items():
            critic.set_weights(critics[name].get_weights())
        offset = 0
        for critic in updated.values():
            for w in critic.trainable_weights:
                w.assign(expected_d[offset])
                offset += 1
        with tf.GradientTape() as tape:
            out = generator(x)
            g_loss = tf.reduce_mean(sum(tf.reduce_mean((1 - c(out["sample"])) ** 2, axis=1) for c in updated.values())
                                    + tf.reduce_mean(out["aux"] ** 2, axis=1)) + tf.add_n(generator.losses)
        expected_g = [w.numpy() - 0.1 * g.numpy() for w, g in zip(g_weights, tape.gradient(g_loss, g_weights))]

        gan.fit(x, real, batch_size=8, epochs=1, shuffle=False, verbose=0)
        for expected, weight in zip(expected_d + expected_g, d_weights + g_weights):
            self.assertAllClose(weight, expected, atol=1e-5)
        restored = self.run_model_saving_test(gan, x)
        self.assertEqual(sorted(restored.discriminator), ["a", "b"])
