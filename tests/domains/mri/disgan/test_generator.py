import numpy as np
import pytest

from core.layers import PixelShuffle, ResidualInResidualDenseBlock
from core.testing import TestCase
from domains.mri.disgan.generator import (
    OFFICIAL_GENERATOR_PARAMETERS,
    CubicUpsampling,
    build_generator,
    generator_parameter_count,
    torch_default_initializer,
)

TINY = {"filters": 8, "num_rrdb": 1, "num_dense_blocks": 2, "num_convs": 3}


class GeneratorTest(TestCase):
    def test_paper_configuration_has_the_official_parameter_count(self):
        generator = build_generator()
        self.assertEqual(generator.count_params(), 16_042_881)
        self.assertEqual(OFFICIAL_GENERATOR_PARAMETERS, 16_042_881)
        self.assertEqual(generator_parameter_count(), 16_042_881)
        # The layout of docs/papers.md §1: 3 RRDBs of 3 dense blocks x 5 convs, one x2 pixel shuffle.
        rrdbs = [layer for layer in generator.layers if isinstance(layer, ResidualInResidualDenseBlock)]
        self.assertEqual(len(rrdbs), 3)
        self.assertEqual({(r.filters, r.num_dense_blocks, r.num_convs, r.negative_slope, r.residual_scale)
                          for r in rrdbs}, {(64, 3, 5, 0.01, 0.2)})
        shuffles = [layer for layer in generator.layers if isinstance(layer, PixelShuffle)]
        self.assertEqual([(s.rank, s.scale) for s in shuffles], [(3, 2)])
        self.assertEqual(generator.get_layer("upsample1_conv").filters, 512)
        self.assertEqual(generator.get_layer("tail_conv2").filters, 1)

    def test_parameter_formula_matches_small_configurations(self):
        for config in (TINY, {"filters": 16, "num_rrdb": 2}, {"filters": 8, "num_upsample": 2}):
            self.assertEqual(build_generator(**config).count_params(), generator_parameter_count(**config))

    def test_any_input_size_is_doubled(self):
        generator = build_generator(**TINY)
        for shape in ((2, 5, 6, 7, 1), (1, 8, 8, 8, 1), (1, 3, 9, 4, 1)):
            output = generator(np.random.default_rng(0).normal(size=shape).astype("float32"))
            self.assertEqual(tuple(output.shape), (shape[0], 2 * shape[1], 2 * shape[2], 2 * shape[3], 1))

    def test_two_upsampling_stages_give_x4(self):
        output = build_generator(filters=8, num_rrdb=1, num_upsample=2)(np.zeros((1, 3, 4, 5, 1), "float32"))
        self.assertEqual(tuple(output.shape), (1, 12, 16, 20, 1))

    def test_global_skip_and_saving(self):
        generator = build_generator(**TINY)
        x = np.random.default_rng(1).normal(size=(2, 6, 6, 6, 1)).astype("float32")
        self.run_model_saving_test(generator, x, atol=1e-5)

    def test_a_seed_repeats_the_build_and_every_layer_draws_its_own_weights(self):
        first, again, other = (build_generator(**TINY, seed=s) for s in (1, 1, 2))
        for a, b in zip(first.weights, again.weights):
            self.assertAllClose(a, b)
        self.assertFalse(np.allclose(first.get_layer("conv1").kernel, other.get_layer("conv1").kernel))
        kernels = [w.numpy() for w in first.weights if w.path.endswith("kernel") and w.shape[-2:] == (8, 8)]
        self.assertGreater(len(kernels), 2)
        self.assertLen({k.tobytes() for k in kernels}, len(kernels))
        init = torch_default_initializer(seed=0)  # one instance: a new draw at every call
        self.assertFalse(np.allclose(init((3, 3)), init((3, 3))))
        bound = 1 / np.sqrt(27 * 8)  # PyTorch's default: U(±1/sqrt(fan_in))
        kernel = first.get_layer("conv2").kernel.numpy()
        self.assertLessEqual(np.abs(kernel).max(), bound)
        self.assertGreater(np.abs(kernel).max(), 0.9 * bound)

    def test_cubic_upsampling_keeps_the_samples_on_the_even_voxels(self):
        x = np.random.default_rng(4).normal(size=(2, 5, 6, 7, 1)).astype("float32")
        y = CubicUpsampling(rank=3)(x).numpy()
        self.assertEqual(y.shape, (2, 10, 12, 14, 1))
        self.assertAllClose(y[:, ::2, ::2, ::2], x, atol=1e-6)
        # Between samples: Keys' cubic, exact for a quadratic away from the clamped edges.
        t = np.arange(8, dtype="float32")
        q = CubicUpsampling(rank=1)((0.5 * t**2 - t)[None, :, None]).numpy()[0, :, 0]
        u = np.arange(16) / 2
        self.assertAllClose(q[2:-4], (0.5 * u**2 - u)[2:-4], atol=1e-5)
        with pytest.raises(ValueError, match=r"CubicUpsampling supports rank .* in \(1, 2, 3\)"):
            CubicUpsampling(rank=4)

    def test_global_residual_adds_the_interpolated_input(self):
        generator = build_generator(**TINY, global_residual=True, seed=0)
        x = np.random.default_rng(5).normal(size=(1, 6, 6, 6, 1)).astype("float32")
        residual = build_generator(**TINY, seed=0)  # the same weights without the residual
        residual.set_weights(generator.get_weights())
        self.assertAllClose(generator(x), residual(x) + CubicUpsampling(rank=3)(x), atol=1e-5)
        self.assertEqual(generator.count_params(), residual.count_params())
        self.run_model_saving_test(generator, x, atol=1e-5)

    def test_with_the_residual_branch_zeroed_the_output_is_the_interpolation(self):
        # The network's branch ends in tail_conv2: zero it and only the cubic copy of the input
        # is left, on the 2i grid (the input's voxels kept at the even output voxels).
        generator = build_generator(**TINY, global_residual=True, seed=1)
        layer = generator.get_layer("tail_conv2")
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
        x = np.random.default_rng(6).normal(size=(2, 5, 6, 7, 1)).astype("float32")
        y = generator(x).numpy()
        self.assertAllClose(y, CubicUpsampling(rank=3)(x), atol=1e-6)
        self.assertAllClose(y[:, ::2, ::2, ::2], x, atol=1e-6)
        plain = build_generator(**TINY, seed=1)  # without the option: zero output
        plain.get_layer("tail_conv2").set_weights([np.zeros_like(w) for w in layer.get_weights()])
        self.assertAllClose(plain(x), np.zeros_like(y), atol=0)

    def test_bad_configuration_is_refused(self):
        with pytest.raises(ValueError, match="`num_rrdb` must be a positive integer. Received: num_rrdb=0"):
            build_generator(num_rrdb=0)
