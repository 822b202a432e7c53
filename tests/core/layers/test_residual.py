import importlib.util
import pathlib
from unittest import mock

import numpy as np
from absl.testing import parameterized

from core.layers import residual
from core.layers.regularization import SqueezeExcitation, StochasticDepth
from core.layers.residual import InvertedResidualBlock, ResidualBlock
from core.testing import TestCase

import keras


def _x(*shape):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


class ResidualBlockTest(TestCase):
    @parameterized.named_parameters(
        ("rank1_basic", 1, "basic", {}, (2, 16, 5), (2, 8, 8)),
        ("rank2_bottleneck", 2, "bottleneck", {}, (2, 8, 8, 3), (2, 4, 4, 32)),
        # 8³, not 4³: a 2³ output of this block crashes oneDNN (TF 2.21): refused (OneDNNCrashGuardTest).
        ("rank3_basic_se_preact", 3, "basic", {"se_ratio": 0.25, "preactivation": True}, (1, 8, 8, 8, 2), (1, 4, 4, 4, 8)),
        ("rank2_resnet_d_drop_path", 2, "basic", {"avg_down": True, "drop_path_rate": 0.2}, (2, 6, 6, 3), (2, 3, 3, 8)),
    )
    def test_layer(self, rank, block_type, extra, input_shape, output_shape):
        self.run_layer_test(
            ResidualBlock,
            {"rank": rank, "filters": 8, "strides": 2, "block_type": block_type, **extra},
            input_data=_x(*input_shape),
            expected_output_shape=output_shape,
        )

    def test_zero_init_residual_layer(self):
        # The last norm's gamma starts at 0, so the branch before it gets no gradient in step one.
        self.run_layer_test(
            ResidualBlock,
            {"rank": 2, "filters": 8, "strides": 2, "zero_init_residual": True},
            input_data=_x(2, 8, 8, 3),
            expected_output_shape=(2, 4, 4, 8),
            static_weights=("/conv1/kernel", "/norm1/gamma", "/norm1/beta", "/conv2/kernel"),
        )

    def test_identity_shortcut_has_no_projection(self):
        block = ResidualBlock(rank=2, filters=8)
        block(_x(1, 4, 4, 8))
        self.assertEqual(block.shortcut_layers, [])
        # 2 convs 3x3x8x8 (no bias) + 2 batch norms (gamma, beta).
        self.assertEqual(sum(int(np.prod(w.shape)) for w in block.trainable_weights), 2 * 9 * 64 + 2 * 16)

    def test_always_projection_with_bias_matches_fusionactnet_count(self):
        # FusionActNet expert block 5 (REFERENCE §4): 512→512 with a 1×1 projection, biases on.
        block = ResidualBlock(rank=1, filters=512, shortcut="projection", shortcut_normalization=False, use_bias=True)
        block(_x(1, 8, 512))
        count = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
        self.assertEqual(count, 2 * (512 * 3 * 512 + 512) + 2 * 1024 + 512 * 512 + 512)

    def test_zero_init_residual_starts_as_identity_plus_relu(self):
        block = ResidualBlock(rank=1, filters=4, zero_init_residual=True)
        x = _x(2, 8, 4)
        self.assertAllClose(block(x), np.maximum(x, 0.0), atol=1e-6)

    def test_symmetric_padding_of_strided_conv(self):
        # PyTorch-style padding: a stride-2 3×3 conv on 4×4 sees the input centred, so a
        # delta at (0, 0) reaches output (0, 0) through kernel tap (1, 1).
        block = ResidualBlock(rank=2, filters=1, strides=2, normalization=None, shortcut="projection")
        block(np.zeros((1, 4, 4, 1), "float32"))
        conv = [layer for layer in block.branch if isinstance(layer, keras.layers.Conv2D)][0]
        kernel = np.zeros((3, 3, 1, 1), "float32")
        kernel[1, 1] = 1.0
        conv.kernel.assign(kernel)
        x = np.zeros((1, 4, 4, 1), "float32")
        x[0, 0, 0, 0] = 1.0
        padded = [layer for layer in block.branch if isinstance(layer, keras.layers.ZeroPadding2D)][0](x)
        self.assertEqual(float(conv(padded)[0, 0, 0, 0]), 1.0)

    def test_training_flag_reaches_stochastic_depth(self):
        inputs = keras.Input((8, 4))
        model = keras.Model(inputs, ResidualBlock(rank=1, filters=4, drop_path_rate=0.9, normalization=None)(inputs))
        x = _x(64, 8, 4)
        self.assertAllClose(model(x, training=False), model(x, training=False))
        self.assertFalse(np.allclose(model(x, training=True), model(x, training=False)))

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "rank"):
            ResidualBlock(rank=4, filters=8)
        with self.assertRaisesRegex(ValueError, r"expects inputs of shape .*Received: input_shape=\(2, 8, 3\)"):
            ResidualBlock(rank=2, filters=8)(_x(2, 8, 3))
        with self.assertRaisesRegex(ValueError, "identity shortcut"):
            ResidualBlock(rank=1, filters=8, shortcut="identity")(_x(2, 8, 3))
        with self.assertRaisesRegex(ValueError, "block_type"):
            ResidualBlock(rank=1, filters=8, block_type="wide")


class InvertedResidualBlockTest(TestCase):
    @parameterized.named_parameters(
        ("rank1_projection", 1, {"expansion_ratio": 1, "shortcut": "projection", "activation": "relu"}, 1),
        ("rank2_mobilenet_v2", 2, {}, 2),
        ("rank2_se", 2, {"se_ratio": 0.25, "drop_path_rate": 0.1}, 1),
    )
    def test_layer(self, rank, extra, strides):
        spatial = (8,) * rank
        self.run_layer_test(
            InvertedResidualBlock,
            {"rank": rank, "filters": 6, "strides": strides, **extra},
            input_data=_x(2, *spatial, 4),
            expected_output_shape=(2, *(8 // strides,) * rank, 6),
        )

    def test_identity_shortcut_only_when_shapes_match(self):
        same = InvertedResidualBlock(rank=2, filters=4)
        same(_x(1, 4, 4, 4))
        self.assertEqual(same.shortcut_layers, [])
        wider = InvertedResidualBlock(rank=2, filters=8)
        wider(_x(1, 4, 4, 4))
        self.assertIsNone(wider.shortcut_layers)

    def test_fusionactnet_gate_block_parameter_count(self):
        # Residual depthwise-separable block 32→64 of FusionActNet's gate: depthwise and
        # pointwise convs without bias (each followed by BN) and a 1×1 projection with bias.
        block = InvertedResidualBlock(rank=1, filters=64, expansion_ratio=1, shortcut="projection", activation="relu")
        block(_x(1, 16, 32))
        count = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
        depthwise, bn1, pointwise, bn2, projection = 32 * 3, 2 * 32, 32 * 64, 2 * 64, 32 * 64 + 64
        self.assertEqual(count, depthwise + bn1 + pointwise + bn2 + projection)

    def test_rank3_is_refused(self):
        with self.assertRaisesRegex(ValueError, r"rank .* in \(1, 2\)"):
            InvertedResidualBlock(rank=3, filters=4)


class RegularizationTest(TestCase):
    def test_squeeze_excitation(self):
        self.run_layer_test(
            SqueezeExcitation, {"rank": 3, "ratio": 0.5}, input_data=_x(2, 3, 3, 3, 16),
            expected_output_shape=(2, 3, 3, 3, 16),
        )

    def test_squeeze_excitation_only_rescales_channels(self):
        x = np.ones((1, 4, 4, 8), "float32")
        y = SqueezeExcitation(rank=2)(x).numpy()
        self.assertAllClose(y, np.broadcast_to(y[:, :1, :1, :], y.shape))
        self.assertTrue(np.all((y > 0) & (y < 1)))

    def test_stochastic_depth_keeps_expectation(self):
        layer = StochasticDepth(rate=0.25, seed=3)
        x = np.ones((20000, 1), "float32")
        y = layer(x, training=True).numpy()
        self.assertAllClose(layer(x, training=False), x)
        self.assertAllClose(np.unique(y), [0.0, 1 / 0.75], atol=1e-6)
        self.assertAlmostEqual(float(y.mean()), 1.0, delta=0.03)
        with self.assertRaisesRegex(ValueError, "rate"):
            StochasticDepth(rate=1.0)


class OneDNNCrashGuardTest(TestCase):
    """TF 2.21's oneDNN kernels crash on a 3-D pre-activation SE block with a 2×2×2 output (scripts/onednn_crash.py)."""

    def test_the_one_crashing_shape_is_refused_with_the_fix_named(self):
        block = ResidualBlock(rank=3, filters=8, strides=2, se_ratio=0.25, preactivation=True)
        with mock.patch.object(residual, "onednn_enabled", return_value=True):
            with self.assertRaisesRegex(ValueError, r"TF_ENABLE_ONEDNN_OPTS=0.*Received: input_shape=\(1, 4, 4, 4, 2\)"):
                block(_x(1, 4, 4, 4, 2))
            # Larger outputs, blocks without the pattern, and the Eigen kernels are not refused.
            self.assertEqual(tuple(block(_x(1, 6, 6, 6, 2)).shape), (1, 3, 3, 3, 8))
            plain = ResidualBlock(rank=3, filters=8, strides=2, se_ratio=0.25)
            self.assertEqual(tuple(plain(_x(1, 4, 4, 4, 2)).shape), (1, 2, 2, 2, 8))
        with mock.patch.object(residual, "onednn_enabled", return_value=False):
            self.assertEqual(tuple(block(_x(1, 4, 4, 4, 2)).shape), (1, 2, 2, 2, 8))

    def test_the_reproduction_runs_where_the_guard_lets_it(self):
        # In fresh processes: the pattern at 3³ output runs with oneDNN on, at 2³ with it off.
        script = pathlib.Path(__file__).resolve().parents[3] / "scripts" / "onednn_crash.py"
        spec = importlib.util.spec_from_file_location("onednn_crash", script)
        crash = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(crash)
        self.assertEqual(crash.run_child(5, onednn=True), 0)
        self.assertEqual(crash.run_child(4, onednn=False), 0)
