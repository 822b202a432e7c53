import itertools

import keras
import numpy as np
from absl.testing import parameterized

from core.backbones import RESNET_SPECS, ResNetBackbone
from core.tasks import Classifier
from core.testing import TestCase


def _trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


class ResNetBackboneTest(TestCase):
    @parameterized.named_parameters(
        (f"rank{rank}_depth{depth}", rank, depth) for rank, depth in itertools.product((1, 2, 3), sorted(RESNET_SPECS))
    )
    def test_output_shape_every_rank_and_depth(self, rank, depth):
        size = 64 if rank < 3 else 32
        backbone = ResNetBackbone(rank=rank, depth=depth, input_channels=2, input_spatial_shape=(size,) * rank)
        channels = 512 * (4 if RESNET_SPECS[depth][0] == "bottleneck" else 1)
        # Stem conv /2, stem pool /2, then stages /1 /2 /2 /2: a total stride of 32.
        self.assertEqual(backbone.output_shape, (None, *(size // 32,) * rank, channels))

    @parameterized.named_parameters(("resnet18", 18, 11_689_512), ("resnet50", 50, 25_557_032))
    def test_torchvision_parameter_counts(self, depth, expected):
        model = Classifier(ResNetBackbone(rank=2, depth=depth), num_classes=1000)
        self.assertEqual(_trainable_count(model), expected)

    def test_medicalnet_resnet10_layout(self):
        # MedicalNet: stride-2 stem + pool, stage 2 strided, stages 3-4 dilated (2, 4).
        backbone = ResNetBackbone(
            rank=3, depth=10, input_channels=1, input_spatial_shape=(32, 32, 32),
            stage_strides=(1, 2, 1, 1), stage_dilations=(1, 1, 2, 4),
        )
        self.assertEqual(backbone.output_shape, (None, 4, 4, 4, 512))
        self.assertEqual(backbone.get_layer("stage4_block1").dilation_rate, 4)

    def test_forward_variable_size_with_options(self):
        backbone = ResNetBackbone(
            rank=1, depth=18, input_channels=6, stem="simple", se_ratio=0.25, avg_down=True,
            drop_path_rate=0.2, preactivation=True,
        )
        x = np.random.default_rng(0).normal(size=(2, 100, 6)).astype("float32")
        self.assertEqual(backbone(x).shape, (2, 13, 512))
        self.assertEqual(backbone(x[:, :64]).shape, (2, 8, 512))
        rates = [backbone.get_layer(f"stage{s}_block{b}").drop_path_rate for s in (1, 4) for b in (1, 2)]
        self.assertAlmostEqual(rates[0], 0.0)
        self.assertAlmostEqual(rates[-1], 0.2)

    def test_deep_stem(self):
        backbone = ResNetBackbone(rank=2, depth=18, stem="deep", input_spatial_shape=(32, 32))
        self.assertEqual(backbone.get_layer("stem_conv1").filters, 32)
        self.assertEqual(backbone.output_shape, (None, 1, 1, 512))

    def test_saving_and_config(self):
        backbone = ResNetBackbone(rank=2, depth=10, input_channels=1, stem="simple", se_ratio=0.25)
        revived = ResNetBackbone.from_config(backbone.get_config())
        self.assertEqual(revived.get_config(), backbone.get_config())
        self.run_model_saving_test(backbone, np.random.default_rng(0).normal(size=(2, 16, 16, 1)).astype("float32"))

    @parameterized.named_parameters(
        ("float64", "float64", "float64", "float64"), ("mixed_float16", "mixed_float16", "float32", "float16")
    )
    def test_dtype_reaches_every_layer_and_survives_saving(self, dtype, variable_dtype, compute_dtype):
        backbone = ResNetBackbone(rank=1, depth=10, input_channels=2, stem="simple", widths=(4, 4, 4, 4),
                                  stem_filters=4, se_ratio=0.5, dtype=dtype)
        x = np.random.default_rng(0).normal(size=(2, 8, 2)).astype(variable_dtype)
        self.assertEqual(backbone(x).dtype, compute_dtype)
        restored = self.run_model_saving_test(backbone, x, atol=1e-2 if compute_dtype == "float16" else 1e-6)
        for model in (backbone, restored):
            self.assertEqual(model.dtype_policy.name, dtype)
            self.assertEqual({w.dtype for w in model.weights}, {variable_dtype})
            self.assertEqual(model(x).dtype, compute_dtype)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, r"depth must be one of \[10, 18, 34, 50, 101, 152\]"):
            ResNetBackbone(rank=2, depth=20)
        with self.assertRaisesRegex(ValueError, "rank"):
            ResNetBackbone(rank=4, depth=18)
        with self.assertRaisesRegex(ValueError, "stem"):
            ResNetBackbone(rank=2, depth=18, stem="patchify")
        with self.assertRaisesRegex(ValueError, "input_spatial_shape must have rank=2"):
            ResNetBackbone(rank=2, depth=18, input_spatial_shape=(8, 8, 8))
        backbone = ResNetBackbone(rank=2, depth=10, input_channels=3)
        with self.assertRaisesRegex(ValueError, "expected"):
            backbone(np.zeros((1, 8, 8, 8, 3), "float32"))
