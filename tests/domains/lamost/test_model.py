"""RRNet and StarNet: the official parameter counts, modes, masking, noise switch, .keras round trip."""

import pathlib

import keras
import numpy as np
from absl.testing import parameterized

from core.testing import TestCase
from domains.lamost.model import ABUNDANCE_LABELS, RRNet, StarNet

SMALL = dict(num_pixels=720, widths=(2, 4, 8), rnn_steps=10, hidden_units=(16,))


class RRNetTest(TestCase):
    # Keras's count, then PyTorch's (docs/official_implementations.md).
    @parameterized.named_parameters(
        ("rrnet_post_rnn", RRNet, {}, 3_981_634, 3_981_994),        # post-RNN [4, 8, 16], 3 labels
        ("starnet_post_rnn", StarNet, {}, 7_666_510, 7_666_870),    # StarNet post-RNN, 3 labels
        ("rrnet_raw", RRNet, {"mode": "raw"}, 3_722_074, 3_722_074),  # no RNN: 3,981,994 − 259,920
    )
    def test_official_parameter_counts(self, cls, kwargs, trainable, torch_count):
        model = cls(**kwargs)
        self.assertEqual(sum(int(np.prod(w.shape)) for w in model.trainable_weights), trainable)
        self.assertEqual(model.torch_parameter_count(), torch_count)
        if not kwargs and cls is RRNet:
            self.assertEqual(RRNet.paper_parameters, trainable)

    def test_families_modes_and_paper_label_statistics(self):
        model = RRNet(labels="abundances", mode="pre-RNN", **SMALL)
        self.assertEqual(model.label_names, list(ABUNDANCE_LABELS))
        self.assertEqual(model.output_shape, (None, 28))
        self.assertEqual(model.backbone.get_layer("rnn").input.shape, (None, 10, 72))   # pre-RNN: on the spectrum
        paper = RRNet()
        self.assertEqual((paper.target_mean[0], paper.target_std[1]), (5055.2, 0.920))
        self.assertEqual(paper.backbone.get_layer("rnn").input.shape, (None, 40, 360))
        with self.assertRaisesRegex(ValueError, "mode must be one of"):
            RRNet(mode="post-rnn")
        with self.assertRaisesRegex(ValueError, "labels must be one of"):
            RRNet(labels="stars")

    def test_a_masked_pixel_cannot_move_the_prediction(self):
        keras.utils.set_random_seed(0)
        model = RRNet()
        rng = np.random.default_rng(0)
        # The heads start at the constant prediction: give them weights so that the input shows.
        for weight in model.get_layer("gaussian").weights:
            weight.assign(rng.normal(0, 0.05, weight.shape).astype("float32"))
        x = np.stack([1 + 0.1 * rng.normal(size=(2, 7200)), np.ones((2, 7200))], -1).astype("float32")
        x[:, 100:140, 1] = 0.0
        x[:, 5000, 1] = 0.0
        changed = x.copy()
        changed[:, 100:140, 0] = 50.0
        changed[:, 5000, 0] = -3.0
        self.assertTrue(np.array_equal(model.predict(x, verbose=0), model.predict(changed, verbose=0)))
        # the same change on good pixels does move it
        unmasked = changed.copy()
        unmasked[:, 100:140, 1] = 1.0
        self.assertFalse(np.allclose(model.predict(x, verbose=0), model.predict(unmasked, verbose=0)))

    def test_noise_only_after_it_is_switched_on_and_never_on_masked_pixels(self):
        model = RRNet(**SMALL)
        layer = model.standardization
        flux = np.random.default_rng(0).normal(1, 0.1, size=(64, 720))
        layer.set_statistics(flux)
        x = np.stack([flux, np.ones_like(flux)], -1).astype("float32")
        x[:, :50, 1] = 0
        clean = np.asarray(layer(x, training=True))
        self.assertTrue(np.allclose(np.asarray(layer(x, training=False)), clean))
        self.assertLess(abs(clean[:, 50:].mean()), 0.05)
        self.assertAlmostEqual(clean[:, 50:].std(), 1, delta=0.05)
        model.set_noise(True)
        noisy = np.asarray(layer(x, training=True))
        hit = np.abs(noisy - clean)[:, 50:] > 1e-6
        self.assertAlmostEqual(hit.mean(), 0.25, delta=0.02)
        self.assertTrue(np.all(noisy[:, :50] == 0))
        self.assertTrue(np.allclose(np.asarray(layer(x, training=False)), clean))

    @parameterized.named_parameters(("rrnet", RRNet), ("starnet", StarNet))
    def test_keras_round_trip_keeps_outputs_statistics_and_noise_state(self, cls):
        model = cls(**{k: v for k, v in SMALL.items() if cls is RRNet or k != "widths"})
        flux = np.random.default_rng(1).normal(1, 0.1, size=(8, 720))
        model.set_flux_statistics(flux)
        model.set_target_statistics(np.random.default_rng(2).normal(size=(8, 3)) * [500, 1, 0.3] + [5000, 3, 0])
        model.set_noise(True)
        model.compile()
        x = np.stack([flux, np.ones_like(flux)], -1).astype("float32")
        path = pathlib.Path(self.get_temp_dir()) / "m.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        self.assertIs(type(loaded), cls)
        self.assertEqual(loaded.target_mean, model.target_mean)
        self.assertTrue(np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0)))
        self.assertEqual(float(loaded.standardization.noise_active), 1.0)


class ResidualActivationTest(TestCase):
    def test_the_official_module_has_one_relu_after_it_and_old_configs_keep_theirs(self):
        small = dict(SMALL, widths=(2, 2, 4))
        official, per_block = RRNet(**small), RRNet(**small, post_activation="block")
        self.assertEqual(official.post_activation, "module")
        names = [layer.name for layer in official.backbone.layers]
        # conv → ReLU → conv + shortcut, no activation after the sum; one ReLU after the last pooling
        # (the numbers against the official code: test_official.py).
        self.assertEqual(names[names.index("pool_2") + 1], "residual_relu")
        self.assertEqual(official.backbone.get_layer("residual_0_conv2").activation.__name__, "linear")
        self.assertIn("residual_0_shortcut", names)        # 1 → 2 channels: a 1×1 projection
        self.assertNotIn("residual_1_shortcut", names)     # 2 → 2: the identity
        self.assertEqual(official.count_params(), per_block.count_params())
        config = per_block.get_config()
        config.pop("post_activation")
        self.assertEqual(RRNet.from_config(config).post_activation, "block")   # saved before the option existed
        self.assertEqual(RRNet.from_config(official.get_config()).post_activation, "module")
        self.assertEqual(RRNet.from_preset("rrnet_synthetic").post_activation, "block")
        with self.assertRaisesRegex(ValueError, "post_activation must be one of"):
            RRNet(**SMALL, post_activation="after")

    def test_the_noise_channel_reaches_sigma_and_its_shape_is_checked(self):
        model = RRNet(mode="raw", noise_input=True, **SMALL)
        rng = np.random.default_rng(0)
        for weight in model.weights:   # random weights everywhere: the initial heads ignore their inputs
            if weight.trainable:
                weight.assign(rng.normal(0.0, 0.1, weight.shape).astype("float32"))
        x = np.stack([rng.normal(1.0, 0.05, (2, 720)), np.ones((2, 720)), np.full((2, 720), 0.02)], -1).astype("float32")
        noisy = x.copy()
        noisy[..., 2] = 2.5
        _, sigma = model.predict_gaussian(x)
        _, sigma_noisy = model.predict_gaussian(noisy)
        self.assertGreater(np.abs(sigma_noisy / sigma - 1.0).max(), 1e-4)   # float32 rounding is ~1e-7
        # A masked pixel's noise cannot move the prediction either.
        masked = x.copy()
        masked[:, 100, 1] = 0.0
        moved = masked.copy()
        moved[:, 100, 2] = 2.5
        self.assertAllClose(model.predict_gaussian(masked)[1], model.predict_gaussian(moved)[1], rtol=1e-5)
        with self.assertRaisesRegex(ValueError, r"noise_input=True\) expects \(n, pixels, 3\).*x.shape=\(2, 720, 2\)"):
            model.predict_gaussian(x[..., :2])
        with self.assertRaisesRegex(ValueError, r"noise_input=False\) expects \(n, pixels, 2\)"):
            RRNet(mode="raw", **SMALL).predict_gaussian(x)
        with self.assertRaisesRegex(ValueError, "noise_input needs the convolutions first"):
            RRNet(mode="pre-RNN", noise_input=True, **SMALL)
        path = pathlib.Path(self.get_temp_dir()) / "noise.keras"
        model.save(path)
        loaded = keras.saving.load_model(path, compile=False)
        self.assertTrue(loaded.noise_input)
        self.assertAllClose(loaded.predict_gaussian(noisy)[1], sigma_noisy, rtol=1e-5)
        self.assertFalse(RRNet(**SMALL).noise_input)   # the paper's configuration reads no noise
