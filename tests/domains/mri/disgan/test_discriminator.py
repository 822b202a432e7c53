import numpy as np
import pytest

from core.layers import HaarDWT
from core.testing import TestCase
from domains.mri.disgan.discriminator import LinearUpsampling, build_discriminator, discriminator_widths


def conv(k, cin, cout, bias=True):
    return k**3 * cin * cout + (cout if bias else 0)


def dense_block(c):  # 5 dense 3x3x3 convs, c*k -> c, with bias
    return sum(conv(3, c * k, c) for k in range(1, 6))


def batch_norm(c):  # trainable gamma and beta (PyTorch's parameters; running stats are buffers)
    return 2 * c


def official_discriminator_parameters(nf=16):
    """dwt_UNet of docs/papers.md §1, written out level by level from the text (PyTorch counting)."""
    total = conv(3, 1, 16) + batch_norm(16)                       # stem + bn1
    total += conv(4, 16, nf - 1, bias=False)                      # layer1
    for cin, cout in ((nf, 2 * nf - 2), (2 * nf, 4 * nf - 4), (4 * nf, 8 * nf - 8), (8 * nf, 8 * nf - 16)):
        total += conv(4, cin, cout, bias=False) + dense_block(cout) + batch_norm(cout)   # layers 2-5
    total += conv(4, 8 * nf, 8 * nf, bias=False) + dense_block(8 * nf)                 # layer6, no BN
    for cin, cout in ((1, 1), (16, 2), (32, 4), (64, 8), (128, 16)):                  # DWT units
        total += conv(1, cin, cout) + conv(1, 7 * cin, cout)
    for cin, cout in ((8 * nf, 8 * nf), (16 * nf + 16, 8 * nf), (16 * nf + 8, 4 * nf), (8 * nf + 4, 2 * nf),
                      (4 * nf + 2, nf)):                                                # dlayers 6-2
        total += conv(4, cin, cout, bias=False) + dense_block(cout) + batch_norm(cout)
    total += dense_block(2 * nf + 1) + conv(1, 2 * nf + 1, 2 * nf, bias=False) + batch_norm(2 * nf)  # dlayer1
    total += conv(3, 48, 32) + batch_norm(32) + conv(3, 2 * nf, 1)                  # tail
    return total


def trainable_count(model):
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


class DiscriminatorTest(TestCase):
    def test_paper_layout_parameter_count_from_the_reference_text(self):
        discriminator = build_discriminator()
        self.assertEqual(trainable_count(discriminator), official_discriminator_parameters())
        self.assertEqual(trainable_count(discriminator), 42_653_827)
        widths = discriminator_widths()
        self.assertEqual(widths["conv"], [15, 30, 60, 120, 112, 128])
        self.assertEqual(list(zip(widths["dwt_in"], widths["dwt_out"])), [(1, 1), (16, 2), (32, 4), (64, 8), (128, 16)])
        self.assertEqual([discriminator.get_layer(f"dec{k}_skip").output.shape[-1] for k in (5, 4, 3, 2, 1)],
                         [272, 264, 132, 66, 33])
        self.assertEqual(discriminator.get_layer("tail_concat").output.shape[-1], 48)

    def test_one_logit_per_voxel(self):
        discriminator = build_discriminator(filters=4, num_levels=3)
        x = np.random.default_rng(0).normal(size=(2, 8, 16, 8, 1)).astype("float32")
        self.assertEqual(tuple(discriminator(x, training=True).shape), (2, 8, 16, 8, 1))

    def test_every_dwt_unit_is_used(self):
        discriminator = build_discriminator(filters=4, num_levels=3)
        self.assertEqual(len([l for l in discriminator.layers if isinstance(l, HaarDWT)]), 2)
        x = np.random.default_rng(0).normal(size=(2, 8, 8, 8, 1)).astype("float32")
        before = discriminator(x, training=True).numpy()
        for k in (1, 2):
            for band in ("low", "high"):
                layer = discriminator.get_layer(f"dwt{k}_{band}_conv")
                saved = layer.get_weights()
                layer.set_weights([np.zeros_like(w) for w in saved])
                after = discriminator(x, training=True).numpy()
                layer.set_weights(saved)
                self.assertGreater(np.abs(after - before).max(), 1e-4, f"dwt{k}_{band}_conv does not reach the output")

    def test_input_size_must_fit_the_levels(self):
        with pytest.raises(ValueError, match="divisible by 64"):
            build_discriminator(input_size=32)
        build_discriminator(filters=4, num_levels=5, input_size=32)

    def test_saving_round_trip(self):
        discriminator = build_discriminator(filters=4, num_levels=2, kernel_initializer="torch")
        x = np.random.default_rng(2).normal(size=(2, 4, 4, 4, 1)).astype("float32")
        self.run_model_saving_test(discriminator, x, atol=1e-4)


class LinearUpsamplingTest(TestCase):
    def test_matches_pytorch_trilinear_align_corners_false(self):
        x = np.random.default_rng(0).normal(size=(1, 3, 4, 5, 2)).astype("float32")

        def upsample_axis(a, axis):  # PyTorch: source = (i + 0.5) / 2 - 0.5, clamped at 0
            n = a.shape[axis]
            source = np.clip((np.arange(2 * n) + 0.5) / 2 - 0.5, 0, n - 1)
            lo = np.floor(source).astype(int)
            hi = np.minimum(lo + 1, n - 1)
            w = (source - lo).reshape([-1 if d == axis else 1 for d in range(a.ndim)])
            return np.take(a, lo, axis=axis) * (1 - w) + np.take(a, hi, axis=axis) * w

        expected = x
        for axis in (1, 2, 3):
            expected = upsample_axis(expected, axis)
        self.assertAllClose(LinearUpsampling(rank=3)(x), expected, atol=1e-6)

    def test_layer(self):
        self.run_layer_test(LinearUpsampling, {"rank": 2}, np.ones((2, 3, 4, 1), "float32"), (2, 6, 8, 1),
                            run_training_step=False)
