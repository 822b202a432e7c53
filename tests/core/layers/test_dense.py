import keras
import numpy as np
from absl.testing import parameterized

from core.layers.dense import DenseResidualBlock, ResidualInResidualDenseBlock
from core.testing import TestCase

SHAPES = {1: (2, 6, 4), 2: (2, 4, 4, 4), 3: (1, 3, 3, 3, 4)}
RANKS = [("rank1", 1), ("rank2", 2), ("rank3", 3)]


def _random(shape):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


def _dense_block_params(rank, filters, growth, num_convs, kernel_size=3):
    """Sum over convs of (input channels * kernel volume * output channels + output channels)."""
    total = 0
    for k in range(1, num_convs + 1):
        in_channels = filters + (k - 1) * growth
        out_channels = filters if k == num_convs else growth
        total += in_channels * kernel_size**rank * out_channels + out_channels
    return total


class DenseResidualBlockTest(TestCase):
    @parameterized.named_parameters(*RANKS)
    def test_layer(self, rank):
        shape = SHAPES[rank]
        self.run_layer_test(DenseResidualBlock, {"rank": rank, "filters": 4, "growth_channels": 2}, _random(shape), shape)

    @parameterized.named_parameters(("rank1", 1), ("rank3", 3))
    def test_rrdb_layer(self, rank):
        shape = SHAPES[rank]
        init_kwargs = {"rank": rank, "filters": 4, "num_dense_blocks": 2, "num_convs": 3, "negative_slope": 0.2}
        self.run_layer_test(ResidualInResidualDenseBlock, init_kwargs, _random(shape), shape)

    def test_disgan_parameter_counts(self):
        # DISGAN: 64 filters, 5 convs of 3x3x3, conv k takes 64k channels and outputs 64.
        expected = sum(64 * k * 27 * 64 + 64 for k in range(1, 6))
        block = DenseResidualBlock(3, filters=64)
        block.build((None, 4, 4, 4, 64))
        self.assertEqual(block.count_params(), expected)
        rrdb = ResidualInResidualDenseBlock(3, filters=64)
        rrdb.build((None, 4, 4, 4, 64))
        self.assertEqual(rrdb.count_params(), 3 * expected)

    def test_esrgan_growth_channels(self):
        block = DenseResidualBlock(2, filters=64, growth_channels=32, negative_slope=0.2)
        block.build((None, 8, 8, 64))
        self.assertEqual(block.count_params(), _dense_block_params(2, 64, 32, 5))
        self.assertEqual([tuple(c.kernel.shape) for c in block.convs][-1], (3, 3, 64 + 4 * 32, 64))
        self.assertEqual([c.kernel.shape[-2] for c in block.convs], [64, 96, 128, 160, 192])

    def test_residual_paths(self):
        x = _random(SHAPES[2])
        # Zero residual branch: the block is the identity.
        block = DenseResidualBlock(2, filters=4, kernel_initializer="zeros")
        self.assertAllClose(block(x), x)
        rrdb = ResidualInResidualDenseBlock(2, filters=4, num_dense_blocks=2, residual_scale=0.0)
        self.assertAllClose(rrdb(x), x)
        # Otherwise out = last_conv(features) * residual_scale + x; check against the convs by hand.
        block = DenseResidualBlock(2, filters=4, growth_channels=3, num_convs=3, negative_slope=0.1, residual_scale=0.5)
        out = block(x)
        features = x
        for conv in block.convs[:-1]:
            features = keras.ops.concatenate([features, keras.ops.leaky_relu(conv(features), 0.1)], axis=-1)
        self.assertAllClose(out, block.convs[-1](features) * 0.5 + x, atol=1e-5)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"needs filters=8 channels. Received: input_shape=\(1, 4, 4, 4\)"):
            DenseResidualBlock(2, filters=8)(np.zeros((1, 4, 4, 4), "float32"))
        with self.assertRaisesRegex(ValueError, r"rank=3 expects .* 5 dimensions. Received: input_shape=\(1, 4, 4, 8\)"):
            DenseResidualBlock(3, filters=8)(np.zeros((1, 4, 4, 8), "float32"))
        with self.assertRaisesRegex(ValueError, r"rank=1 expects .* 3 dimensions"):
            ResidualInResidualDenseBlock(1, filters=8)(np.zeros((1, 4, 4, 8), "float32"))
        with self.assertRaisesRegex(ValueError, r"`num_convs` must be a positive integer. Received: num_convs=0"):
            DenseResidualBlock(2, num_convs=0)
        with self.assertRaisesRegex(ValueError, r"`num_dense_blocks` must be a positive integer. Received: num_dense_blocks=2.0"):
            ResidualInResidualDenseBlock(2, num_dense_blocks=2.0)
        with self.assertRaisesRegex(ValueError, r"Received: rank=4"):
            ResidualInResidualDenseBlock(4)
