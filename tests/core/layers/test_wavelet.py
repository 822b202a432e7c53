import keras
import numpy as np
from absl.testing import parameterized

from core.layers.wavelet import HaarDWT, HaarIDWT
from core.testing import TestCase

SHAPES = {1: (2, 6, 3), 2: (2, 4, 6, 3), 3: (1, 4, 2, 6, 2)}
RANKS = [("rank1", 1), ("rank2", 2), ("rank3", 3)]


def _random(shape):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


class HaarDWTTest(TestCase):
    def test_hand_computed_2x2(self):
        # [[a, b], [c, d]] = [[1, 2], [3, 4]]: LL=(a+b+c+d)/2, LH=(a-b+c-d)/2, HL=(a+b-c-d)/2, HH=(a-b-c+d)/2.
        x = np.array([1.0, 2.0, 3.0, 4.0], "float32").reshape(1, 2, 2, 1)
        self.assertAllClose(HaarDWT(2)(x), np.array([5.0, -1.0, -2.0, 0.0]).reshape(1, 1, 1, 4))

    def test_numpy_reference_2d(self):
        x = _random((2, 4, 6, 3))
        a, b = x[:, 0::2, 0::2], x[:, 0::2, 1::2]  # rows 2m: columns 2k, 2k+1
        c, d = x[:, 1::2, 0::2], x[:, 1::2, 1::2]  # rows 2m+1
        expected = np.concatenate(
            [(a + b + c + d) / 2, (a - b + c - d) / 2, (a + b - c - d) / 2, (a - b - c + d) / 2], axis=-1
        )
        self.assertAllClose(HaarDWT(2)(x), expected, atol=1e-6)
        low, high = HaarDWT(2, split_low_high=True)(x)
        self.assertAllClose(low, expected[..., :3], atol=1e-6)
        self.assertAllClose(high, expected[..., 3:], atol=1e-6)

    def test_band_order_3d(self):
        # A signal that alternates along axis k only lives in the band whose bit for axis k is set.
        for axis in range(3):
            index = np.indices((4, 4, 4))[axis]
            x = np.where(index % 2 == 0, 1.0, -1.0).astype("float32").reshape(1, 4, 4, 4, 1)
            y = keras.ops.convert_to_numpy(HaarDWT(3)(x))
            band = 1 << (2 - axis)
            energy = (y**2).sum(axis=(0, 1, 2, 3))
            self.assertAllClose(energy[band], (x**2).sum(), atol=1e-4)
            self.assertAllClose(np.delete(energy, band), np.zeros(7), atol=1e-6)

    @parameterized.named_parameters(*RANKS)
    def test_perfect_reconstruction(self, rank):
        x = _random(SHAPES[rank])
        y = HaarDWT(rank)(x)
        self.assertAllClose(HaarIDWT(rank)(y), x, atol=1e-5)
        low, high = HaarDWT(rank, split_low_high=True)(x)
        self.assertAllClose(HaarIDWT(rank)((low, high)), x, atol=1e-5)

    @parameterized.named_parameters(*RANKS)
    def test_energy_preserved(self, rank):
        x = _random(SHAPES[rank])
        y = keras.ops.convert_to_numpy(HaarDWT(rank)(x))
        self.assertAllClose((y**2).sum(), (x**2).sum(), rtol=1e-5)

    @parameterized.named_parameters(*RANKS)
    def test_constant_input_only_in_low_band(self, rank):
        shape = SHAPES[rank]
        x = np.full(shape, 3.0, "float32")
        low, high = HaarDWT(rank, split_low_high=True)(x)
        self.assertEqual(tuple(low.shape), (shape[0], *[s // 2 for s in shape[1:-1]], shape[-1]))
        self.assertEqual(high.shape[-1], (2**rank - 1) * shape[-1])
        self.assertAllClose(low, np.full(low.shape, 3.0 * 2 ** (rank / 2)), atol=1e-5)
        self.assertAllClose(high, np.zeros(high.shape), atol=1e-6)

    @parameterized.named_parameters(("rank2", 2), ("rank3", 3))
    def test_layer(self, rank):
        shape = SHAPES[rank]
        half = (shape[0], *[s // 2 for s in shape[1:-1]])
        bands = (*half, 2**rank * shape[-1])
        self.run_layer_test(HaarDWT, {"rank": rank}, _random(shape), bands)
        self.run_layer_test(HaarIDWT, {"rank": rank}, _random(bands), shape)

    def test_split_low_high_in_a_model(self):
        inputs = keras.Input(shape=(None, None, None, 2))
        low, high = HaarDWT(3, split_low_high=True)(inputs)
        self.assertEqual(tuple(low.shape), (None, None, None, None, 2))
        self.assertEqual(tuple(high.shape), (None, None, None, None, 14))
        model = keras.Model(inputs, HaarIDWT(3)([low, high]))
        x = _random((1, 4, 2, 6, 2))
        self.assertAllClose(model.predict(x, verbose=0), x, atol=1e-5)
        restored = self.run_model_saving_test(model, x)
        self.assertEqual(restored.layers[1].get_config()["split_low_high"], True)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"even size along every spatial axis.*Received: input_shape=\(1, 4, 5, 1\)"):
            HaarDWT(2)(np.zeros((1, 4, 5, 1), "float32"))
        with self.assertRaisesRegex(ValueError, r"rank=3 expects .* 5 dimensions. Received: input_shape=\(1, 4, 4, 1\)"):
            HaarDWT(3)(np.zeros((1, 4, 4, 1), "float32"))
        with self.assertRaisesRegex(ValueError, r"divisible by 2\*\*rank=8.*Received: input_shape=\(1, 2, 2, 2, 12\)"):
            HaarIDWT(3)(np.zeros((1, 2, 2, 2, 12), "float32"))
        with self.assertRaisesRegex(ValueError, r"high bands to have 3 times the channels"):
            HaarIDWT(2)((np.zeros((1, 2, 2, 2), "float32"), np.zeros((1, 2, 2, 4), "float32")))
        with self.assertRaisesRegex(ValueError, r"Received: rank=0"):
            HaarDWT(0)
