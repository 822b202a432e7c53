"""`AramaicClassifier`: the paper's input, .keras round trip with its calibration, answers, illegible.

Its trainable parameter count against `paper_parameters` is `tests/domains/test_template.py`'s.
"""

import pathlib

import keras
import numpy as np

from core.testing import TestCase
from domains.aramaic.letters import CLASS_NAMES
from domains.aramaic.model import ILLEGIBLE, AramaicClassifier


class PaperConfigurationTest(TestCase):
    def test_default_is_the_papers_input_and_a_resnet18(self):
        model = AramaicClassifier()
        self.assertEqual((model.input_shape, model.output_shape), ((None, 224, 224, 3), (None, 23)))
        self.assertEqual((model.depth, model.class_names), (18, list(CLASS_NAMES)))
        # torchvision's resnet18 has 11,689,512 parameters with 1000 classes: the same trunk, 23 classes
        # (Keras also counts the batch-norm moving statistics, which torch keeps as buffers).
        self.assertEqual(AramaicClassifier.paper_parameters, 11_689_512 - 512 * 1000 - 1000 + 512 * 23 + 23)


class AramaicClassifierTest(TestCase):
    def setUp(self):
        super().setUp()
        self.small = AramaicClassifier(image_size=32, depth=10, width=4)

    def test_keras_round_trip_keeps_outputs_and_calibration(self):
        small = self.small
        small.temperature, small.illegible_threshold = 1.7, 0.4
        images = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
        path = pathlib.Path(self.get_temp_dir()) / "model.keras"
        small.save(path)
        loaded = keras.saving.load_model(path)
        self.assertIsInstance(loaded, AramaicClassifier)
        self.assertEqual((loaded.temperature, loaded.illegible_threshold, loaded.image_size), (1.7, 0.4, 32))
        self.assertAllClose(loaded.logits(images), small.logits(images), atol=1e-5)
        self.assertAllClose(loaded.probabilities(images), small.probabilities(images), atol=1e-5)

    def test_answers_top3_and_illegible(self):
        small = self.small
        images = (np.random.default_rng(1).random((3, 32, 32, 3)) * 255).astype("uint8")  # uint8 accepted
        small.temperature, small.illegible_threshold = 1.0, 0.0
        answers = small.answer(images)
        probabilities = small.probabilities(images)
        for a, p in zip(answers, probabilities):
            order = np.argsort(-p)[:3]
            self.assertEqual([name for name, _ in a["top3"]], [CLASS_NAMES[i] for i in order])
            self.assertEqual(a["answer"], CLASS_NAMES[order[0]])
            self.assertAlmostEqual(a["confidence"], float(p[order[0]]), places=6)
        small.illegible_threshold = 1.0  # no untrained answer is that sure
        self.assertEqual({a["answer"] for a in small.answer(images)}, {ILLEGIBLE})
        self.assertEqual({a["class"] for a in small.answer(images)}, {-1})

    def test_calibrate_sets_temperature_and_threshold(self):
        small = self.small
        images = np.random.default_rng(2).random((46, 32, 32, 3)).astype("float32")
        labels = np.arange(46) % 23
        chosen = small.calibrate(images, labels, target_accuracy=0.99)
        self.assertEqual(small.temperature, chosen["temperature"])
        self.assertGreater(chosen["temperature"], 0)
        self.assertEqual(small.illegible_threshold, chosen["illegible_threshold"])
        self.assertLessEqual(chosen["nll_after"], chosen["nll_before"] + 1e-9)
        self.assertGreaterEqual(len(chosen["curve"]["coverage"]), 1)
        self.assertEqual(chosen["curve"]["coverage"][-1], 1.0)

    def test_bad_input(self):
        small = self.small
        with self.assertRaisesRegex(ValueError, r"expects RGB images \(N, 32, 32, 3\). Received: shape=\(2, 64, 64, 3\)"):
            small.logits(np.zeros((2, 64, 64, 3), "float32"))
        with self.assertRaisesRegex(ValueError, r"values in \[0, 1\]"):
            small.logits(np.full((1, 32, 32, 3), 3.0, "float32"))
        with self.assertRaisesRegex(ValueError, "image_size"):
            AramaicClassifier(image_size=8)
        with self.assertRaisesRegex(ValueError, "23 names"):
            AramaicClassifier(image_size=32, depth=10, width=4, class_names=["a", "b"])
