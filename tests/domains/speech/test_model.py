"""APNet: the paper's configuration, the weighted generator loss, saving, bad arguments."""

import keras
import numpy as np

from core.testing import TestCase
from domains.speech.generator import PAPER_PARAMETERS
from domains.speech.model import APNet

from tests.domains.speech.conftest import gains, tiny_apnet


class APNetTest(TestCase):
    def test_no_arguments_build_the_paper_model(self):
        model = APNet()  # built only: the 72 M-parameter generator is never run in the tests
        self.assertEqual(model.generator.count_params(), PAPER_PARAMETERS)
        self.assertEqual(model.generator.count_params() - gains(model.generator), 72_170_499)  # folded
        self.assertEqual(model.generator.input_shape, (None, None, 80))
        self.assertEqual(sorted(model.discriminator), ["mpd", "msd"])
        self.assertEqual(len(model.discriminator["mpd"].output), 5)
        self.assertEqual(model.feature_config.sample_rate, 16000)
        self.assertTrue(model.discriminator_first)

    def test_generator_loss_is_the_papers_weighted_sum(self):
        model = tiny_apnet()
        waveform = (0.1 * np.random.default_rng(0).normal(size=(2, 4000))).astype("float32")
        mel, targets = model.unpack(waveform)
        generated = model.generator(mel)
        real = model._discriminate(targets, False)
        fake = model._discriminate(generated["waveform"], False)
        losses = {k: v.numpy() for k, v in model.generator_losses(mel, targets, generated, real, fake).items()}
        self.assertEqual(set(losses), set(APNet.generator_loss_names))
        self.assertAllClose(losses["phase"], losses["instantaneous_phase"] + losses["group_delay"]
                            + losses["instantaneous_frequency"], atol=1e-5)
        self.assertAllClose(losses["spectrum"], losses["consistency"] + 2.25 * losses["real_imaginary"], atol=1e-5)
        expected = (45 * losses["amplitude"] + 100 * losses["phase"] + 20 * losses["spectrum"] + losses["adversarial"]
                    + 2 * losses["feature_matching"] + 45 * losses["mel"])
        self.assertAllClose(losses["loss"], expected, rtol=1e-5)
        self.assertEqual(losses["loss"].shape, (2,))

    def test_saving_round_trip_and_vocode(self):
        model = tiny_apnet(phase_wrapping="cosine", loss_weights={"mel": 10.0})
        model.compile()
        waveform = (0.1 * np.random.default_rng(1).normal(size=(1, 830))).astype("float32")
        mel = model.mel(waveform).numpy()
        path = f"{self.get_temp_dir()}/apnet.keras"
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertIsInstance(restored, APNet)
        self.assertEqual((restored.phase_wrapping, restored.loss_weights["mel"]), ("cosine", 10.0))
        self.assertEqual(restored.feature_config, model.feature_config)
        keras.tree.map_structure(lambda a, b: self.assertAllClose(a, b), model(mel), restored(mel))
        self.assertEqual(model.vocode(waveform).shape, (1, 800))  # cut to a multiple of the hop

    def test_bad_arguments_are_clear_errors(self):
        with self.assertRaisesRegex(ValueError, "feature_config must be one of"):
            APNet(feature_config="44k")
        model = tiny_apnet()
        networks = (model.generator, model.discriminator)
        with self.assertRaisesRegex(ValueError, "phase_wrapping"):
            APNet(*networks, feature_config="8k", phase_wrapping="none")
        with self.assertRaisesRegex(ValueError, "loss_weights keys"):
            APNet(*networks, feature_config="8k", loss_weights={"perceptual": 1.0})
        with self.assertRaisesRegex(ValueError, "takes 80 mels"):
            APNet(*networks, feature_config={**model.feature_config.to_dict(), "num_mels": 40})


class MixedPrecisionTest(TestCase):
    def test_train_step_under_mixed_float16_with_loss_scaling(self):
        policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_float16")
        try:
            model = tiny_apnet()
            model.compile()
        finally:
            keras.config.set_dtype_policy(policy)
        self.assertIsInstance(model.generator_optimizer, keras.optimizers.LossScaleOptimizer)
        self.assertIsInstance(model.discriminator_optimizer, keras.optimizers.LossScaleOptimizer)
        self.assertEqual(model.generator.get_layer("asp_input_conv_wn").compute_dtype, "float16")
        waveform = (0.1 * np.random.default_rng(2).normal(size=(2, 800))).astype("float32")
        before = [w.numpy().copy() for w in (model.generator.trainable_variables[0],
                                             model.discriminator_variables[0])]
        # Dynamic loss scaling starts at 2**15 and skips the steps whose scaled float16 gradients
        # overflow, halving the scale each time: a few steps until one applies.
        for _ in range(12):
            logs = model.train_on_batch(waveform, return_dict=True)
            self.assertTrue(all(np.isfinite(float(v)) for v in logs.values()), logs)
            after = [model.generator.trainable_variables[0].numpy(), model.discriminator_variables[0].numpy()]
            if all(np.abs(new - old).max() > 0 for old, new in zip(before, after)):
                break
        for old, new in zip(before, after):
            self.assertGreater(np.abs(new - old).max(), 0)
        self.assertLess(float(model.generator_optimizer.dynamic_scale), 2.0 ** 15)
        self.assertEqual(model.generator(model.mel(waveform))["waveform"].dtype, "float32")
