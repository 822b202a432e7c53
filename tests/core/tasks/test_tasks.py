import numpy as np

from core.backbones import ResNetBackbone
from core.tasks import Classifier, Regressor
from core.testing import TestCase


def _data(n=16, size=16, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, size, size, channels)).astype("float32")
    return x, rng


class ClassifierTest(TestCase):
    def test_compiles_itself_and_learns(self):
        x, rng = _data()
        y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
        x[y == 1] += 1.0  # separable classes
        model = Classifier(ResNetBackbone(rank=2, depth=10, input_channels=1, stem="simple", widths=(8, 8, 8, 8)),
                           num_classes=2, class_names=["a", "b"])
        model.compile()
        self.assertFalse(model.jit_compile)
        history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertIn("accuracy", history.history)
        self.assertEqual(model.predict(x, verbose=0).shape, (16, 2))

    def test_binary_head_defaults(self):
        model = Classifier(ResNetBackbone(rank=1, depth=10, input_channels=3, stem="simple"), num_classes=1)
        model.compile()
        self.assertEqual(model.loss.__class__.__name__, "BinaryCrossentropy")

    def test_saving(self):
        x, _ = _data(4)
        model = Classifier(ResNetBackbone(rank=2, depth=10, input_channels=1), num_classes=3, dropout=0.1,
                           class_names=["x", "y", "z"])
        model.compile()
        restored = self.run_model_saving_test(model, x)
        self.assertEqual(restored.class_names, ["x", "y", "z"])
        self.assertEqual(restored.backbone.depth, 10)

    def test_bad_arguments(self):
        backbone = ResNetBackbone(rank=2, depth=10)
        with self.assertRaisesRegex(ValueError, "num_classes"):
            Classifier(backbone, num_classes=0)
        with self.assertRaisesRegex(ValueError, "class_names needs 3"):
            Classifier(backbone, num_classes=3, class_names=["a"])
        with self.assertRaisesRegex(ValueError, "pooling"):
            Classifier(backbone, num_classes=3, pooling="median")


class RegressorTest(TestCase):
    def test_regresses_and_saves(self):
        x, rng = _data()
        y = x.mean(axis=(1, 2, 3))[:, None] * 10
        model = Regressor(ResNetBackbone(rank=2, depth=10, input_channels=1, stem="simple", widths=(8, 8, 8, 8)),
                          num_outputs=1)
        model.compile()
        history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.run_model_saving_test(model, x)

    def test_sigmoid_output_in_unit_interval(self):
        x, _ = _data(4)
        model = Regressor(ResNetBackbone(rank=2, depth=10, input_channels=1), num_outputs=2, output_activation="sigmoid")
        y = model.predict(x, verbose=0)
        self.assertEqual(y.shape, (4, 2))
        self.assertTrue(np.all((y > 0) & (y < 1)))


class CompileRestoreTest(TestCase):
    def test_optimizer_state_and_loss_survive_saving(self):
        x, rng = _data(8)
        y = rng.integers(0, 2, size=8)
        model = Classifier(ResNetBackbone(rank=2, depth=10, input_channels=1, widths=(8, 8, 8, 8)), num_classes=2)
        model.compile(optimizer="adam")
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)
        restored = self.run_model_saving_test(model, x)
        self.assertTrue(restored.compiled)
        self.assertEqual(int(restored.optimizer.iterations.numpy()), 2)
        self.assertEqual(restored.loss.__class__.__name__, "SparseCategoricalCrossentropy")
        restored.fit(x, y, epochs=1, batch_size=4, verbose=0)
        self.assertEqual(int(restored.optimizer.iterations.numpy()), 4)


class DtypeTest(TestCase):
    def test_heads_follow_the_backbone_policy_or_their_own_and_keep_it_when_saved(self):
        x = np.random.default_rng(0).normal(size=(2, 8, 8, 1))
        backbone = ResNetBackbone(rank=2, depth=10, input_channels=1, stem="simple", widths=(4, 4, 4, 4),
                                  stem_filters=4, dtype="float64")
        for model in (Classifier(backbone, num_classes=3, dropout=0.1), Regressor(backbone, num_outputs=2)):
            self.assertEqual(model(x).dtype, "float64")
            restored = self.run_model_saving_test(model, x)
            self.assertEqual(restored.dtype_policy.name, "float64")
            self.assertEqual(restored.backbone.dtype_policy.name, "float64")
            self.assertEqual({w.dtype for w in restored.weights}, {"float64"})
        # A head of its own policy: float32 on a float64 backbone.
        model = Regressor(backbone, num_outputs=1, dtype="float32")
        restored = self.run_model_saving_test(model, x, atol=1e-5)
        self.assertEqual(restored.get_layer("predictions").kernel.dtype, "float32")
        self.assertEqual(restored(x).dtype, "float32")
