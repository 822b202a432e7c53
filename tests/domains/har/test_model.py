"""FusionActNet: the official parameter counts, the label-order mixture, saving, bad arguments."""

import numpy as np

from core.testing import TestCase
from domains.har.model import FusionActNet, GroupMixture, build_expert, build_gate

UCI_CLASSES = ["WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"]


def _count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


class FusionActNetTest(TestCase):
    def test_parameter_counts_equal_the_official_model(self):
        # docs/official_implementations.md: the official PyTorch FusionActNet, 9 channels × 128, 3 + 3 classes.
        self.assertEqual(_count(build_expert(9, 3)), 3_581_763)
        self.assertEqual(_count(build_gate(9)), 432_193)
        model = FusionActNet(9, UCI_CLASSES, ["SITTING", "STANDING", "LAYING"], window_length=128)
        self.assertEqual(_count(model), 7_595_719)

    def test_no_arguments_build_the_paper_configuration(self):
        model = FusionActNet()
        self.assertEqual(_count(model), 7_595_719)
        self.assertEqual(model.class_names, UCI_CLASSES)
        self.assertEqual(model.static_indices, [3, 4, 5])
        self.assertEqual(model.input_shape, (None, 128, 9))

    def test_mixture_puts_each_group_at_its_label_indices(self):
        # UCI HAR labels: dynamic classes first (0-2), static after (3-5): the official
        # static-first concatenation would mislabel every class.
        mixture = GroupMixture(static_indices=[3, 4, 5], dynamic_indices=[0, 1, 2])
        static_logits = np.array([[10.0, 0.0, 0.0]], "float32")  # SITTING
        dynamic_logits = np.array([[0.0, 0.0, 10.0]], "float32")  # WALKING_DOWNSTAIRS
        p = mixture([static_logits, dynamic_logits, np.array([[0.75]], "float32")]).numpy()[0]
        self.assertAlmostEqual(float(p.sum()), 1.0, places=6)
        self.assertEqual(int(np.argmax(p)), 3)
        self.assertAlmostEqual(float(p[3]), 0.75, delta=1e-3)
        self.assertAlmostEqual(float(p[2]), 0.25, delta=1e-3)
        revived = GroupMixture.from_config(mixture.get_config())
        self.assertEqual(revived.static_indices, [3, 4, 5])

    def test_output_is_a_distribution_not_logits(self):
        model = FusionActNet(6, ["Standing", "Running", "Walking", "Badminton"], ["Standing"], window_length=100)
        x = np.random.default_rng(0).normal(size=(5, 100, 6)).astype("float32")
        p = model.predict(x, verbose=0)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
        # Standing alone in its group: its probability is the gate weight itself.
        np.testing.assert_allclose(p[:, 0], model.gate.predict(x, verbose=0)[:, 0], atol=1e-5)
        self.assertFalse(model.static_expert.trainable)
        self.assertTrue(model.dynamic_expert.trainable)

    def test_no_static_classes_is_one_expert_on_every_class(self):
        model = FusionActNet(6, ["a", "b", "c"], [], window_length=32, expert_filters=(8,) * 5)
        self.assertIsNone(model.static_expert)
        self.assertIsNone(model.gate)
        self.assertEqual(model.dynamic_indices, [0, 1, 2])
        self.assertEqual(_count(model), _count(model.dynamic_expert))
        x = np.random.default_rng(0).normal(size=(4, 32, 6)).astype("float32")
        p = model.predict(x, verbose=0)
        # The expert's softmax, in label order.
        logits = model.dynamic_expert.predict(x, verbose=0)
        np.testing.assert_allclose(p, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), atol=1e-5)
        model.compile()
        restored = self.run_model_saving_test(model, x, atol=1e-5)
        self.assertEqual((restored.static_classes, restored.gate), ([], None))

    def test_saving_round_trip(self):
        model = FusionActNet(6, ["a", "b", "c", "d"], ["a", "b"], window_length=32,
                             expert_filters=(8, 8, 8, 8, 8), gate_stem_filters=8, gate_stages=((8, 1), (8, 1)))
        model.compile()
        x = np.random.default_rng(0).normal(size=(4, 32, 6)).astype("float32")
        restored = self.run_model_saving_test(model, x, atol=1e-5)
        self.assertEqual(restored.class_names, ["a", "b", "c", "d"])
        self.assertEqual(restored.static_indices, [0, 1])
        self.assertTrue(restored.compiled)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, r"static_classes \['Sleeping'\] are not in class_names"):
            FusionActNet(6, ["Standing", "Running"], ["Sleeping"])
        with self.assertRaisesRegex(ValueError, r"at least one dynamic class \(static_classes=\[\]: one expert"):
            FusionActNet(6, ["Standing", "Running"], ["Standing", "Running"])
        with self.assertRaisesRegex(ValueError, r"at least 32 time steps. Received: window_length=16"):
            FusionActNet(6, ["a", "b"], ["a"], window_length=16)
        model = FusionActNet(6, ["a", "b", "c"], ["a"], window_length=32, expert_filters=(4,) * 5,
                             gate_stem_filters=4, gate_stages=((4, 1),))
        with self.assertRaisesRegex(ValueError, r"labels \[0\] are not dynamic classes"):
            model.group_labels([0, 1], "dynamic")
