import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from core.layers.pixel_shuffle import PixelShuffle, PixelUnshuffle
from core.testing import TestCase


def torch_pixel_shuffle_reference(x, scale):
    """PyTorch `nn.PixelShuffle` semantics (generalised to any rank), transcribed channels-last.

    out[b, s_0*r + i_0, ..., s_{n-1}*r + i_{n-1}, c] = x[b, s_0, ..., s_{n-1}, c*r**n + ravel(i)],
    with ravel(i) = i_0 * r**(n-1) + ... + i_{n-1} (DISGAN's PixelShuffle3d for n = 3).
    """
    rank = x.ndim - 2
    batch, *spatial, in_channels = x.shape
    channels = in_channels // scale**rank
    out = np.zeros((batch, *[s * scale for s in spatial], channels), x.dtype)
    for position in np.ndindex(*spatial):
        for sub in np.ndindex(*([scale] * rank)):
            flat = int(np.ravel_multi_index(sub, [scale] * rank))
            target = tuple(p * scale + i for p, i in zip(position, sub))
            for c in range(channels):
                out[(slice(None), *target, c)] = x[(slice(None), *position, c * scale**rank + flat)]
    return out


# (rank, scale, input shape)
CASES = [
    ("rank1", 1, 2, (2, 5, 6)),
    ("rank2", 2, 2, (2, 3, 2, 8)),
    ("rank2_scale3", 2, 3, (1, 2, 2, 18)),
    ("rank3", 3, 2, (1, 2, 3, 2, 16)),
]


def _random(shape):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


class PixelShuffleTest(TestCase):
    @parameterized.named_parameters(*CASES)
    def test_matches_pytorch_ordering(self, rank, scale, shape):
        x = _random(shape)
        self.assertAllClose(PixelShuffle(rank, scale)(x), torch_pixel_shuffle_reference(x, scale), atol=0, rtol=0)

    def test_rank2_is_not_depth_to_space(self):
        # TF's NHWC depth_to_space reads channel (i*r + j)*C + c; PyTorch (and this layer) c*r*r + i*r + j.
        x = _random((1, 2, 2, 8))
        ours = keras.ops.convert_to_numpy(PixelShuffle(2, 2)(x))
        self.assertFalse(np.allclose(ours, tf.nn.depth_to_space(x, 2).numpy()))
        # With a single output channel both orderings coincide.
        x1 = _random((1, 2, 2, 4))
        self.assertAllClose(PixelShuffle(2, 2)(x1), tf.nn.depth_to_space(x1, 2), atol=0, rtol=0)

    @parameterized.named_parameters(*CASES)
    def test_unshuffle_round_trip(self, rank, scale, shape):
        x = _random(shape)
        y = PixelShuffle(rank, scale)(x)
        self.assertAllClose(PixelUnshuffle(rank, scale)(y), x, atol=0, rtol=0)
        z = _random(y.shape)
        self.assertAllClose(PixelShuffle(rank, scale)(PixelUnshuffle(rank, scale)(z)), z, atol=0, rtol=0)

    @parameterized.named_parameters(("rank1", 1, (2, 4, 4)), ("rank3", 3, (2, 2, 2, 2, 8)))
    def test_layer(self, rank, shape):
        x = _random(shape)
        out_shape = (shape[0], *[2 * s for s in shape[1:-1]], shape[-1] // 2**rank)
        self.run_layer_test(PixelShuffle, {"rank": rank, "scale": 2}, x, out_shape)
        self.run_layer_test(PixelUnshuffle, {"rank": rank, "scale": 2}, _random(out_shape), shape)

    def test_dynamic_spatial_shape_in_graph(self):
        inputs = keras.Input(shape=(None, None, 8))
        outputs = PixelUnshuffle(2, 2)(PixelShuffle(2, 2)(inputs))
        model = keras.Model(inputs, outputs)
        x = _random((2, 3, 5, 8))
        self.assertAllClose(model.predict(x, verbose=0), x, atol=0, rtol=0)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"divisible by scale\*\*rank=8.*Received: input_shape=\(1, 2, 2, 2, 12\)"):
            PixelShuffle(3, 2)(np.zeros((1, 2, 2, 2, 12), "float32"))
        with self.assertRaisesRegex(ValueError, r"rank=2 expects .* 4 dimensions. Received: input_shape"):
            PixelShuffle(2, 2)(np.zeros((1, 4, 8), "float32"))
        with self.assertRaisesRegex(ValueError, r"spatial size divisible by 2. Received: input_shape=\(1, 4, 5, 1\)"):
            PixelUnshuffle(2, 2)(np.zeros((1, 4, 5, 1), "float32"))
        with self.assertRaisesRegex(ValueError, r"Received: rank=4"):
            PixelShuffle(4, 2)
        with self.assertRaisesRegex(ValueError, r"Received: scale=0"):
            PixelShuffle(2, 0)
