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

    def test_loss_is_the_global_batch_mean(self):
        # compute_average_loss divides by the global batch: one replica, batch 8 → plain mean.
        per_example = tf.constant([1.0, 2.0, 3.0, 6.0])
        self.assertAllClose(tf.nn.compute_average_loss(per_example), 3.0)
