import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

from core.metrics import relativistic_average_losses
from core.testing import TestCase
from domains.mri.disgan.discriminator import build_discriminator
from domains.mri.disgan.feature_extractor import NO_WEIGHTS_WARNING, build_feature_extractor, extract_features
from domains.mri.disgan.generator import build_generator
from domains.mri.disgan.model import DISGAN, InstanceNoiseSchedule

FE_WIDTHS = (4, 4, 8, 8)


def tiny_model(feature_extractor=True, **kwargs):
    generator = build_generator(filters=8, num_rrdb=1, num_dense_blocks=1, num_convs=2)
    discriminator = build_discriminator(filters=4, num_levels=2)
    extractor = build_feature_extractor(widths=FE_WIDTHS) if feature_extractor else None
    return DISGAN(generator, discriminator, extractor, **kwargs)


def pairs(n=4, size=8, seed=0):
    hr = np.random.default_rng(seed).normal(size=(n, size, size, size, 1)).astype("float32")
    return hr[:, ::2, ::2, ::2], hr


class DISGANTest(TestCase):
    def test_no_arguments_build_the_papers_networks(self):
        from domains.mri.disgan.generator import OFFICIAL_GENERATOR_PARAMETERS

        with self.assertLogs(level=logging.WARNING) as logs:
            model = DISGAN()
        self.assertTrue(any(NO_WEIGHTS_WARNING[:40] in line for line in logs.output))
        self.assertEqual(model.generator.count_params(), OFFICIAL_GENERATOR_PARAMETERS)
        # The wavelet UNet of the paper's configuration (16 filters, six levels for 64³ patches).
        self.assertEqual(sum(int(np.prod(w.shape)) for w in model.discriminator.trainable_weights), 42_653_827)
        self.assertEqual(model.feature_extractor.count_params(), build_feature_extractor().count_params())
        self.assertFalse(model.feature_extractor.trainable)
        with self.assertRaisesRegex(ValueError, 'feature_extractor is a model, "paper" or None'):
            DISGAN(model.generator, model.discriminator, feature_extractor="medicalnet")

    def test_fit_logs_the_paper_losses_and_updates_both_networks(self):
        model = tiny_model()
        model.compile()
        self.assertAllClose(model.generator_optimizer.learning_rate, 1e-4)
        self.assertAllClose(model.discriminator_optimizer.learning_rate, 1e-4)
        lr, hr = pairs()
        g_before = [w.numpy().copy() for w in model.generator.trainable_weights]
        d_before = [w.numpy().copy() for w in model.discriminator.trainable_weights]
        fe_before = [w.numpy().copy() for w in model.feature_extractor.weights]
        history = model.fit(lr, hr, batch_size=2, epochs=2, verbose=0, callbacks=[InstanceNoiseSchedule(2)])
        for key in ("generator_loss", "generator_l1", "generator_adversarial", "generator_perceptual",
                    "discriminator_loss"):
            self.assertTrue(np.all(np.isfinite(history.history[key])), key)
        logs = {k: v[-1] for k, v in history.history.items()}
        total = logs["generator_l1"] + 5e-3 * logs["generator_adversarial"] + 1e-2 * logs["generator_perceptual"]
        self.assertAllClose(logs["generator_loss"], total, rtol=1e-4)
        self.assertTrue(any(not np.array_equal(a, b.numpy()) for a, b in zip(g_before, model.generator.trainable_weights)))
        self.assertTrue(any(not np.array_equal(a, b.numpy()) for a, b in zip(d_before, model.discriminator.trainable_weights)))
        for a, b in zip(fe_before, model.feature_extractor.weights):  # frozen, inference-mode BN
            np.testing.assert_array_equal(a, b.numpy())
        self.assertEqual(history.history["instance_noise"], [1.0, 0.5])

    def test_instance_noise_decays_linearly_and_only_in_training(self):
        schedule = InstanceNoiseSchedule(4)
        self.assertEqual([schedule.value(e) for e in range(5)], [1.0, 0.75, 0.5, 0.25, 0.0])
        model = tiny_model(feature_extractor=False)
        x = np.ones((2, 4, 4, 4, 1), "float32")
        np.testing.assert_array_equal(model.discriminator_input(x, training=False), x)
        noisy = np.asarray(model.discriminator_input(x, training=True))
        self.assertGreater(np.std(noisy - x), 0.5)
        model.noise_stddev.assign(0.0)
        np.testing.assert_array_equal(model.discriminator_input(x, training=True), x)

    def test_saved_model_predicts_the_same_and_keeps_its_compile_config(self):
        model = tiny_model(perceptual_weight=0.5)
        model.compile(generator_optimizer=keras.optimizers.Adam(3e-4))
        lr, _ = pairs()
        restored = self.run_model_saving_test(model, lr, atol=1e-5)
        self.assertIsInstance(restored, DISGAN)
        self.assertEqual((restored.perceptual_weight, restored.adversarial_weight), (0.5, 5e-3))
        self.assertAllClose(restored.generator_optimizer.learning_rate, 3e-4)
        self.assertAllClose(restored.noise_stddev, 1.0)
        for a, b in zip(model.feature_extractor.weights, restored.feature_extractor.weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())

    def test_without_feature_extractor_the_perceptual_term_is_zero(self):
        model = tiny_model(feature_extractor=False)
        lr, hr = pairs()
        generated, real, fake = model._forward(lr, hr, training=True)
        losses = model.generator_losses(lr, hr, generated, real, fake)
        np.testing.assert_array_equal(losses["perceptual"], np.zeros(4))
        self.assertAllClose(losses["loss"], losses["l1"] + 5e-3 * losses["adversarial"], atol=1e-6)
        self.assertAllClose(losses["l1"], np.abs(generated.numpy() - hr).reshape(4, -1).mean(1), atol=1e-6)

    def test_relativistic_mean_follows_the_official_batch_form_or_the_global_one(self):
        real = np.random.default_rng(0).normal(size=(2, 4, 4, 4, 1)).astype("float32")
        fake = real[::-1] + 1.0
        for mean, axis in (("batch", 0), ("all", None)):
            losses = tiny_model(feature_extractor=False, relativistic_mean=mean).discriminator_losses(real, fake)
            self.assertAllClose(losses["loss"], relativistic_average_losses(real, fake, mean_axis=axis)[1])
        with pytest.raises(ValueError, match="relativistic_mean must be one of"):
            tiny_model(feature_extractor=False, relativistic_mean="voxel")

    def test_the_seed_makes_a_training_step_repeat(self):
        # No perceptual term: the instance noise alone is what the seed governs.
        initial = tiny_model(feature_extractor=False).get_weights()
        lr, hr = pairs()

        def train_one_step(seed):
            model = tiny_model(feature_extractor=False, seed=seed)
            model.compile()
            model.set_weights(initial)  # the same networks; only the instance noise's seed varies
            model.train_on_batch(lr, hr)
            return [w.numpy() for w in model.generator.weights + model.discriminator.weights]

        first, again, other = train_one_step(7), train_one_step(7), train_one_step(8)
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a, b)
        self.assertTrue(any(not np.array_equal(a, b) for a, b in zip(first, other)))
        self.assertEqual(DISGAN.from_config(tiny_model(seed=7).get_config()).seed, 7)


class BatchSizeRecorder(keras.Model):
    """A stand-in feature extractor that records the batch size of every call (at trace time)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv3D(4, 3, strides=2)
        self.batch_sizes = []

    def call(self, x, training=False):
        self.batch_sizes.append(x.shape[0])
        return self.conv(x)


class PerceptualSpeedTest(TestCase):
    def test_perceptual_term_runs_the_extractor_one_patch_at_a_time(self):
        # TensorFlow's batched CPU input gradient of the extractor's 7³ stride-2 stem takes a
        # slow Eigen fallback (~1000× slower, see `extract_features`); batch-1 calls avoid it.
        recorder = BatchSizeRecorder()
        model = DISGAN(build_generator(filters=8, num_rrdb=1, num_dense_blocks=1, num_convs=2),
                       build_discriminator(filters=4, num_levels=2), recorder)
        model.compile()
        lr, hr = pairs()
        history = model.fit(lr, hr, batch_size=2, epochs=1, verbose=0)
        self.assertTrue(np.isfinite(history.history["generator_perceptual"][0]))
        self.assertTrue(recorder.batch_sizes)
        self.assertEqual(set(recorder.batch_sizes), {1})

    def test_extract_features_equals_the_batched_call_with_the_same_gradient(self):
        extractor = build_feature_extractor(widths=FE_WIDTHS)
        x = tf.constant(pairs(n=3, size=16)[1])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            batched = extractor(x, training=False)
            one_by_one = extract_features(extractor, x)
            loss_batched, loss_one_by_one = (tf.reduce_sum(f * f) for f in (batched, one_by_one))
        self.assertEqual(tuple(one_by_one.shape), (3, 2, 2, 2, FE_WIDTHS[-1]))
        self.assertAllClose(one_by_one, batched, atol=1e-5)
        self.assertAllClose(tape.gradient(loss_one_by_one, x), tape.gradient(loss_batched, x), atol=1e-5, rtol=1e-4)


class FeatureExtractorTest(TestCase):
    def test_medicalnet_layout_frozen_and_warns_without_weights(self):
        with self.assertLogs("domains.mri.disgan.feature_extractor", logging.WARNING) as logs:
            extractor = build_feature_extractor()
        self.assertIn(NO_WEIGHTS_WARNING, logs.output[0])
        self.assertIn("cannot be downloaded", logs.output[0])
        self.assertFalse(extractor.trainable)
        self.assertEqual(extractor.trainable_weights, [])
        self.assertEqual((extractor.depth, extractor.stage_strides, extractor.stage_dilations),
                         (10, (1, 2, 1, 1), (1, 1, 2, 4)))
        self.assertEqual(tuple(extractor(np.zeros((1, 16, 16, 16, 1), "float32")).shape), (1, 2, 2, 2, 512))

    def test_weights_load_from_weights_h5_and_keras_files(self):
        source = build_feature_extractor(widths=FE_WIDTHS)
        for w in source.weights:
            w.assign(np.random.default_rng(0).normal(size=w.shape).astype("float32"))
        folder = self.get_temp_dir()
        source.save_weights(f"{folder}/fe.weights.h5")
        source.save(f"{folder}/fe.keras")
        x = np.random.default_rng(1).normal(size=(1, 16, 16, 16, 1)).astype("float32")
        for path in (f"{folder}/fe.weights.h5", f"{folder}/fe.keras"):
            loaded = build_feature_extractor(path, widths=FE_WIDTHS)
            self.assertAllClose(loaded(x), source(x), atol=1e-5)
            self.assertFalse(loaded.trainable)

    def test_bad_weight_files_are_refused(self):
        folder = self.get_temp_dir()
        with pytest.raises(FileNotFoundError, match="missing.weights.h5"):
            build_feature_extractor(f"{folder}/missing.weights.h5", widths=FE_WIDTHS)
        open(f"{folder}/fe.pth", "w").close()
        with pytest.raises(ValueError, match=r"fe.pth: expected a .weights.h5 or .keras file"):
            build_feature_extractor(f"{folder}/fe.pth", widths=FE_WIDTHS)
        build_feature_extractor(widths=(4, 4, 4, 4)).save_weights(f"{folder}/other.weights.h5")
        with pytest.raises(ValueError, match="do not fit"):
            build_feature_extractor(f"{folder}/other.weights.h5", widths=FE_WIDTHS)
