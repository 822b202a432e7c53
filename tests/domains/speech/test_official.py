"""The official APNet and HiFi-GAN generators' state dicts in ours: the official code's outputs (fixtures, no torch)."""

import json
import pathlib

import numpy as np

from core.layers import WeightNormalization
from core.testing import TestCase
from domains.speech.features import FeatureConfig
from domains.speech.generator import build_generator, build_hifigan_generator
from domains.speech.official import (convert_official_generator, convert_official_hifigan,
                                     official_hifigan_layer_names, official_layer_names, official_weight)
from tests.domains.speech.conftest import gains

# Made by scripts/speech_official_fixtures.py from the official models.py with random weights.
FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "official_apnet.npz"
HIFIGAN_FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "official_hifigan.npz"


def load_fixture():
    data = np.load(FIXTURE)
    config = json.loads(str(data["config"]))
    feature_config = FeatureConfig(config["sampling_rate"], config["n_fft"], config["hop_size"], config["win_size"],
                                   config["num_mels"])
    states = {kind: {k.split("/", 1)[1]: data[k] for k in data.files if k.startswith(f"{kind}/")}
              for kind in ("kept", "removed")}
    return data, config, feature_config, states


def load_hifigan_fixture():
    data = np.load(HIFIGAN_FIXTURE)
    config = json.loads(str(data["config"]))
    states = {kind: {k.split("/", 1)[1]: data[k] for k in data.files if k.startswith(f"{kind}/")}
              for kind in ("kept", "removed")}
    # torch ≥ 2.1's parametrised weight norm names g and v otherwise: the same model
    states["parametrized"] = {k.replace(".weight_g", ".parametrizations.weight.original0")
                              .replace(".weight_v", ".parametrizations.weight.original1"): v
                              for k, v in states["kept"].items()}
    return data, config, states


class OfficialTest(TestCase):
    def test_every_official_convolution_has_its_layer(self):
        _, config, feature_config, states = load_fixture()
        generator = build_generator(feature_config, channels=config["ASP_channel"],
                                    kernel_sizes=tuple(config["ASP_resblock_kernel_sizes"]), dilations=((1, 3, 5),) * 2)
        names = official_layer_names(generator)
        official = {k.rsplit(".", 1)[0] for k in states["kept"] if k.endswith(".bias")}
        self.assertEqual(set(names), official)  # both ways: nothing left unconverted
        self.assertEqual(len(set(names.values())), len(names))
        self.assertEqual(names["PSP_ResNet.1.convs2.2"], "psp_mrf_block1_conv2b_wn")
        self.assertEqual(names["PSP_output_I_conv"], "psp_output_i_conv_wn")

    def test_converted_generator_gives_the_official_outputs(self):
        data, config, feature_config, states = load_fixture()
        mel = np.transpose(data["mel"], (0, 2, 1))  # torch (B, mels, frames) → ours (B, frames, mels)
        # torch ≥ 2.1's parametrised weight norm names g and v otherwise: the same model
        states["parametrized"] = {k.replace(".weight_g", ".parametrizations.weight.original0")
                                  .replace(".weight_v", ".parametrizations.weight.original1"): v
                                  for k, v in states["kept"].items()}
        for kind, fold in (("kept", False), ("kept", True), ("removed", False), ("parametrized", False)):
            generator = convert_official_generator(states[kind], feature_config, fold=fold)
            ours = {k: np.asarray(v) for k, v in generator(mel).items()}
            for key in ("log_amplitude", "real", "imag"):  # float32 of both frameworks: values up to 12, |Δ| ≤ 2e-5
                self.assertAllClose(ours[key], np.transpose(data[key], (0, 2, 1)), atol=1e-5, rtol=1e-4,
                                    msg=f"{kind} {key}")
            # phase: the same angle (±π are one)
            difference = np.angle(np.exp(1j * (ours["phase"] - np.transpose(data["phase"], (0, 2, 1)))))
            self.assertAllClose(difference, np.zeros_like(difference), atol=1e-4, msg=kind)
            self.assertAllClose(ours["waveform"], data["waveform"][:, 0], atol=1e-5, msg=kind)
            self.assertGreater(float(np.abs(data["waveform"]).max()), 0.1)  # not a trivially small output
        # with weight norm kept the official gains are ours (they differ from ‖v‖ in the fixture)
        generator = convert_official_generator(states["kept"], feature_config)
        g, v, _ = official_weight(states["kept"], "ASP_input_conv")
        self.assertAllClose(generator.get_layer("asp_input_conv_wn").g, g)
        self.assertGreater(float(np.abs(g - np.sqrt((v ** 2).sum(axis=(1, 2)))).max()), 0.01)
        self.assertAllClose(data["waveform_removed"], data["waveform"], atol=1e-6)

    def test_bad_state_dicts_are_clear_errors(self):
        _, _, feature_config, states = load_fixture()
        missing = {k: v for k, v in states["kept"].items() if not k.startswith("PSP_output_I_conv")}
        with self.assertRaisesRegex(ValueError, "no convolution 'PSP_output_I_conv'"):
            convert_official_generator(missing, feature_config)
        other = FeatureConfig(8000, 128, 16, 48, 16)  # 65 bins, not the state dict's 33
        with self.assertRaisesRegex(ValueError, "16 mels and 33 bins; the feature config has 16 and 65"):
            convert_official_generator(states["kept"], other)


class OfficialHifiganTest(TestCase):
    def test_every_official_hifigan_convolution_has_its_layer(self):
        _, config, states = load_hifigan_fixture()
        generator = build_hifigan_generator(80, config["upsample_rates"], config["upsample_kernel_sizes"],
                                            config["upsample_initial_channel"], config["resblock_kernel_sizes"],
                                            config["resblock_dilation_sizes"])
        names = official_hifigan_layer_names(generator)
        official = {k.rsplit(".", 1)[0] for k in states["kept"] if k.endswith(".bias")}
        self.assertEqual(set(names), official)
        ours = {layer.name for layer in generator.layers if isinstance(layer, WeightNormalization)}
        self.assertEqual(set(names.values()), ours)  # every weight-normalised layer of ours gets official weights
        # resblocks are numbered stage · (MRF kernels) + kernel: the second kernel after the second upsampling
        self.assertEqual(names["resblocks.3.convs2.2"], "mrf1_block1_conv2b_wn")
        self.assertEqual(names["resblocks.1.convs1.0"], "mrf0_block1_conv0a_wn")
        self.assertEqual(names["ups.1"], "up1_wn")

    def test_converted_hifigan_gives_the_official_waveform(self):
        data, config, states = load_hifigan_fixture()
        mel = np.transpose(data["mel"], (0, 2, 1))  # torch (B, mels, frames) → ours (B, frames, mels)
        self.assertGreater(float(np.abs(data["waveform"]).max()), 0.3)  # not a trivially small output
        for kind, fold in (("kept", False), ("kept", True), ("removed", False), ("parametrized", False)):
            generator = convert_official_hifigan(states[kind], config, fold=fold)
            waveform = np.asarray(generator(mel))
            # float32 of both frameworks: |Δ| ≈ 4e-7 measured, outputs up to 0.6
            self.assertAllClose(waveform, data["waveform"][:, 0], atol=1e-5, msg=f"{kind} fold={fold}")
        self.assertAllClose(data["waveform_removed"], data["waveform"], atol=1e-6)
        # weight norm kept: the official gains are ours, one per input channel of a transposed convolution
        # (they differ from ‖v‖ in the fixture)
        generator = convert_official_hifigan({"generator": states["kept"]}, config)  # a whole checkpoint too
        g, v, _ = official_weight(states["kept"], "ups.0")
        self.assertEqual(g.shape, (config["upsample_initial_channel"],))
        self.assertAllClose(generator.get_layer("up0_wn").g, g)
        self.assertGreater(float(np.abs(g - np.sqrt((v ** 2).sum(axis=(1, 2)))).max()), 0.01)

    def test_bad_hifigan_state_dicts_are_clear_errors(self):
        _, config, states = load_hifigan_fixture()
        missing = {k: v for k, v in states["kept"].items() if not k.startswith("resblocks.3.convs2.2.")}
        with self.assertRaisesRegex(ValueError, "no convolution 'resblocks.3.convs2.2'"):
            convert_official_hifigan(missing, config)
        with self.assertRaisesRegex(ValueError, r"no 'conv_post.bias'"):
            convert_official_hifigan({k: v for k, v in states["kept"].items() if k != "conv_post.bias"}, config)
        with self.assertRaisesRegex(ValueError, r"resblocks\.[13]\.convs[12]\.\d\.weight: shape \(5, "):
            convert_official_hifigan(states["kept"], {**config, "resblock_kernel_sizes": [3, 7]})
        with self.assertRaisesRegex(ValueError, r"conv_pre\.weight: shape \(7, 80, 24\)"):
            convert_official_hifigan(states["kept"])  # v1's 512 channels
        with self.assertRaisesRegex(ValueError, r"does not use: \['extra\.weight'\]"):
            convert_official_hifigan({**states["kept"], "extra.weight": np.zeros(3)}, config)
        with self.assertRaisesRegex(ValueError, "ResBlock2"):
            convert_official_hifigan(states["kept"], {**config, "resblock": "2"})
        with self.assertRaisesRegex(ValueError, "each kernel - rate even"):
            convert_official_hifigan(states["kept"], {**config, "upsample_kernel_sizes": [8, 7]})

    def test_v1_has_the_official_code_s_parameter_counts(self):
        _, config, _ = load_hifigan_fixture()
        hifigan = build_hifigan_generator()  # v1 by default
        # counted from the official models.py with config_v1.json by the fixture script
        self.assertEqual(hifigan.count_params(), config["v1_parameters_weight_norm"])
        self.assertEqual(hifigan.count_params() - gains(hifigan), config["v1_parameters"])
        self.assertEqual(config["v1_parameters"], 13_926_017)  # docs/official_implementations.md
