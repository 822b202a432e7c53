"""APNet: the paper's configuration, the weighted generator loss, saving, bad arguments, the preset's rebuild."""

import keras
import numpy as np

from core.testing import TestCase
from domains.speech.discriminator import build_discriminators
from domains.speech.model import APNet, build_model

from tests.domains.speech.conftest import gains, tiny_apnet


class APNetTest(TestCase):
    def test_no_arguments_build_the_paper_model(self):
        # built only: the 72 M-parameter generator is never run in the tests. Its trainable count
        # (APNet.paper_parameters, 72,191,494 with the weight-norm gains) is checked by test_template.py.
        model = APNet()
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
        # the non-adversarial part is `spectral_losses` (what the overfit trains on)
        spectral_terms = {k: v.numpy() for k, v in model.spectral_losses(targets, generated).items()}
        for key, value in spectral_terms.items():
            if key != "loss":
                self.assertAllClose(value, losses[key], rtol=1e-6, msg=key)
        self.assertAllClose(spectral_terms["loss"], expected - losses["adversarial"] - 2 * losses["feature_matching"],
                            rtol=1e-5)

    def test_spectral_losses_vanish_on_the_truth_of_a_real_utterance(self):
        from core.data.audio import read_audio
        from domains.speech.data import asterisk_files
        from domains.speech.features import spectral_features

        model = tiny_apnet()
        x = read_audio(next(p for p in asterisk_files() if p.name == "activated.wav"), 8000)[None, :8000]
        truth = {**spectral_features(x, model.feature_config), "waveform": x}
        terms = {k: float(v.numpy()[0]) for k, v in model.spectral_losses(x, truth).items()}
        for key, value in terms.items():
            self.assertLess(abs(value), 1e-4, key)
        # the same amplitude with a random phase: the phase losses at their chance value π/2, an
        # inconsistent spectrum, and a waveform about 11 dB quieter (incoherent overlap-add)
        rng = np.random.default_rng(0)
        random_phase = rng.uniform(-np.pi, np.pi, truth["phase"].shape).astype("float32")
        outputs = model.generator.get_layer("synthesis")([truth["log_amplitude"], np.cos(random_phase),
                                                           np.sin(random_phase)])
        guess = dict(zip(("phase", "real", "imag", "waveform"), outputs), log_amplitude=truth["log_amplitude"])
        terms = {k: float(v.numpy()[0]) for k, v in model.spectral_losses(x, guess).items()}
        self.assertAllClose([terms["instantaneous_phase"], terms["instantaneous_frequency"]], [np.pi / 2] * 2, atol=0.02)
        self.assertGreater(terms["consistency"], 1e-3)
        level = 10 * np.log10(np.mean(np.square(outputs[3])) / np.mean(np.square(x)))
        self.assertLess(level, -8.0)

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
        self.assertEqual(model.vocode(waveform, 8000).shape, (1, 800))  # cut to a multiple of the hop
        # The shortest clip: one 512-sample window in whole 40-sample hops (520 samples, 65 ms at 8 kHz).
        self.assertEqual(model.vocode(waveform[:, :520], 8000).shape, (1, 520))
        with self.assertRaisesRegex(ValueError, r"vocode needs at least 520 samples \(0\.065 s at 8000 Hz: one "
                                                r"512-sample analysis window, in whole 40-sample hops\)\. "
                                                r"Received: waveform of shape \(1, 400\)"):
            model.vocode(waveform[:, :400], 8000)  # 0.05 s

    def test_vocode_takes_the_rate_and_resamples_saying_so_or_refuses(self):
        model = tiny_apnet()  # an 8 kHz model
        rng = np.random.default_rng(2)
        at_48k = (0.1 * rng.normal(size=(1, 4800))).astype("float32")  # 0.1 s at 48 kHz
        with self.assertWarns(UserWarning) as caught:
            audio = model.vocode(at_48k, 48000)
        self.assertEqual(str(caught.warning), "vocode: resampled from 48000 Hz to 8000 Hz (the model's rate); "
                                              "the output is at 8000 Hz")
        self.assertEqual(audio.shape, (1, 800))  # 0.1 s at 8 kHz, not 0.6 s
        # the same as resampling first (the rate was not ignored)
        from core.data.audio import resample
        self.assertAllClose(audio, model.vocode(resample(at_48k[0], 48000, 8000), 8000), atol=1e-6)
        with self.assertRaisesRegex(ValueError, r"This model runs at 8000 Hz; vocode\(\.\.\., resample=True\) "
                                                r"resamples other rates\. Received: sample_rate=48000"):
            model.vocode(at_48k, 48000, resample=False)
        for bad in (0, -8000, 8000.5, "8000", None):
            with self.assertRaisesRegex(ValueError, "vocode needs the waveform's sample rate"):
                model.vocode(at_48k, bad)

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


class BuildModelTest(TestCase):
    def test_the_task_options_build_the_model_of_their_shape(self):
        small = build_model("8k", channels=64, discriminator_scale=0.125)  # the preset's shape
        self.assertEqual(small.trainable_parameter_count(), 1_455_686)
        self.assertEqual(small.feature_config.sample_rate, 8000)
        expected = build_discriminators(width=0.125)
        for key in ("mpd", "msd"):
            self.assertEqual(small.discriminator[key].count_params(), expected[key].count_params(), key)
        cosine = build_model("8k", channels=4, kernel_sizes=[3], discriminator_scale=1 / 64, periods=[2], msd_scales=1,
                             phase_wrapping="cosine")
        self.assertEqual((cosine.phase_wrapping, sorted(cosine.discriminator["mpd"].output)), ("cosine", ["period_2"]))
        with self.assertRaisesRegex(ValueError, "features must be one of .*Received: features='44k'"):
            build_model("44k")


class FromPresetTest(TestCase):
    def test_the_preset_loads_with_discriminators_of_its_recorded_shape(self):
        metadata = APNet.presets()["apnet_asterisk_8k_small"]
        model = APNet.from_preset("apnet_asterisk_8k_small")
        self.assertIsInstance(model, APNet)
        self.assertEqual(model.feature_config.sample_rate, 8000)
        self.assertEqual(model.trainable_parameter_count(), metadata["parameters"])
        options = metadata["options"]
        expected = build_discriminators(options["periods"], options["msd_scales"], options["discriminator_scale"])
        for key in ("mpd", "msd"):
            self.assertEqual(model.discriminator[key].count_params(), expected[key].count_params(), key)
        waveform = (0.1 * np.random.default_rng(0).normal(size=(1, 4000))).astype("float32")
        audio = model.vocode(waveform, 8000)
        self.assertEqual(audio.shape, (1, 4000))
        self.assertTrue(np.all(np.isfinite(audio)))
        with self.assertRaisesRegex(ValueError, "No preset 'nope' for APNet in domains.speech"):
            APNet.from_preset("nope")

    def test_from_preset_network_refuses_what_is_not_a_preset(self):
        tiny = tiny_apnet()
        with self.assertRaisesRegex(ValueError, "records the model's options .*missing \\['features'"):
            APNet.from_preset_network(tiny.generator, {"options": {}})
        options = {"features": "8k", "discriminator_scale": 1 / 64, "periods": [2], "msd_scales": 1}
        with self.assertRaisesRegex(ValueError, "holds its generator alone .*Received: APNet"):
            APNet.from_preset_network(tiny, {"options": options})
        rebuilt = APNet.from_preset_network(tiny.generator, {"options": options})
        self.assertIs(rebuilt.generator, tiny.generator)


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
