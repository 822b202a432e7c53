"""The training recipe's pieces: the synthetic splits, the smoothed loss, checks (the run itself: test_task.py)."""

import keras
import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic.data import synthetic_splits, synthetic_test_split
from domains.aramaic.model import AramaicClassifier
from domains.aramaic.training import SmoothedSparseCrossEntropy, train_aramaic_classifier


@pytest.mark.usefixtures("noto_font")
class SplitsTest(TestCase):
    def setUp(self):
        super().setUp()
        self.splits = synthetic_splits(image_size=32, batch_size=8, val_examples=23, test_examples=23,
                                       fonts=self.noto_font)

    def test_splits_use_separate_streams_and_harder_test_damage(self):
        splits = self.splits
        images, labels = next(iter(splits.train))
        self.assertEqual((tuple(images.shape), images.dtype), ((8, 32, 32, 3), "float32"))
        self.assertLessEqual(float(np.max(images)), 1.0)
        self.assertEqual(list(labels.numpy()), list(range(8)))
        self.assertEqual(len({tuple(seed) for seed in splits.seeds.values()}), 3)
        self.assertFalse(np.allclose(splits.val[0][:8], images.numpy()))
        self.assertGreaterEqual(splits.test[2][:, 0].min(), 0.3)
        self.assertLessEqual(splits.val[2][:, 0].max(), 0.8)
        # The test split alone (what `evaluate` renders) is the same.
        _, test = synthetic_test_split(image_size=32, test_examples=23, fonts=self.noto_font)
        for alone, whole in zip(test, splits.test):
            np.testing.assert_array_equal(alone, whole)
        with self.assertRaisesRegex(ValueError, "Received: test_examples=0"):
            synthetic_test_split(image_size=32, test_examples=0)

    def test_image_size_mismatch(self):
        with self.assertRaisesRegex(ValueError, "images are 32 px but the model expects 48 px"):
            train_aramaic_classifier(AramaicClassifier(image_size=48, depth=10, width=4), self.splits, self.get_temp_dir())


class LossTest(TestCase):
    def test_smoothed_loss_matches_keras_categorical(self):
        y = np.array([0, 2])
        logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], "float32")
        ours = SmoothedSparseCrossEntropy(0.1, 3)(y, logits)
        reference = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(np.eye(3)[y], logits)
        self.assertAllClose(float(ours), float(reference), rtol=1e-6)
