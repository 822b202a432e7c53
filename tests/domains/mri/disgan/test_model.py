import json
import logging
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from core.metrics import relativistic_average_losses
from core.testing import TestCase
from domains.mri.disgan.discriminator import build_discriminator
from domains.mri.disgan.feature_extractor import NO_WEIGHTS_WARNING, build_feature_extractor
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
            model.compile(run_eagerly=True)  # one eager step: the seed is what is tested, tracing costs 3x more here
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


class PresetTest(TestCase):
    def test_a_preset_is_its_generator_beside_an_untrained_discriminator_without_perceptual_term(self):
        from core import presets

        metadata = DISGAN.presets()["disgan_mni_small"]
        model = DISGAN.from_preset("disgan_mni_small")
        self.assertIsNone(model.feature_extractor)
        self.assertEqual(model.discriminator.count_params(),
                         build_discriminator(**metadata["discriminator"]).count_params())
        stored = presets.load_preset(DISGAN.preset_package(), "disgan_mni_small")
        lr = np.random.default_rng(0).normal(size=(1, 8, 8, 8, 1)).astype("float32")
        np.testing.assert_array_equal(model.predict(lr, verbose=0), stored.predict(lr, verbose=0))
        self.assertEqual(model.predict(lr, verbose=0).shape, (1, 16, 16, 16, 1))
        self.assertEqual(metadata["held_out"], [124, 156])
        with self.assertRaisesRegex(ValueError, "records its discriminator's shape"):
            DISGAN.from_preset_network(stored, {"name": "bare"})

    def test_without_a_name_the_default_preset_is_loaded_and_the_demo_shows_it(self):
        from domains.mri.disgan.presets import DEFAULT_PRESET, RECIPES
        from domains.mri.disgan.task import DEMO_PRESET

        self.assertIn(DEFAULT_PRESET, DISGAN.presets())
        self.assertIn(DEFAULT_PRESET, RECIPES)
        self.assertEqual(DEMO_PRESET, DEFAULT_PRESET)
        default, named = DISGAN.from_preset(), DISGAN.from_preset(DEFAULT_PRESET)
        for got, expected in zip(default.generator.get_weights(), named.generator.get_weights()):
            np.testing.assert_array_equal(got, expected)
        with self.assertRaisesRegex(ValueError, "No preset 'nope' .* Received: name='nope'"):
            DISGAN.from_preset("nope")


WORKER = pathlib.Path(__file__).with_name("disgan_distributed_worker.py")
ROOT = pathlib.Path(__file__).resolve().parents[4]


class DistributedTest(TestCase):
    @pytest.mark.large  # a fresh TensorFlow process: about a minute on 2 cores
    def test_disgan_trains_under_mirrored_strategy(self):
        """DISGAN under MirroredStrategy on 2 logical CPUs, in a fresh process (disgan_distributed_worker.py)."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
        result = subprocess.run([sys.executable, str(WORKER), self.get_temp_dir()], capture_output=True, text=True,
                                timeout=600, env=env)
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        runs = json.loads(result.stdout.strip().splitlines()[-1])
        single, mirrored = runs["default"], runs["mirrored"]
        self.assertEqual((single["replicas"], mirrored["replicas"]), (1, 2))
        for run in (single, mirrored):
            for key in ("generator_loss", "generator_l1", "generator_adversarial", "generator_perceptual",
                        "discriminator_loss"):
                self.assertTrue(np.all(np.isfinite(run["history"][key])), key)
            self.assertTrue(run["history"]["instance_noise"] == [1.0, 0.5] and run["noise"] == 0.5)
            self.assertLess(run["reload_max_diff"], 1e-5)
        # Epoch 1 is one step whose L1 is computed before any update, from the same weights and
        # batch: the logged mean over the global batch must be the same on one device and on two
        # replicas (a wrong loss scaling or metric reduction would show here). Batch norm and the
        # relativistic batch mean act per replica, as in DDP, so later steps differ by design.
        np.testing.assert_allclose(single["history"]["generator_l1"][0], mirrored["history"]["generator_l1"][0],
                                   rtol=1e-5)
        np.testing.assert_allclose(single["history"]["generator_l1"][1], mirrored["history"]["generator_l1"][1],
                                   rtol=0.05)
