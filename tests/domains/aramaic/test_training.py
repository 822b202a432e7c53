"""The training recipe's pieces: the synthetic splits, the smoothed loss, checks (the run itself: test_task.py)."""

import keras
import numpy as np
import pytest

from domains.aramaic.data import synthetic_splits
from domains.aramaic.model import AramaicClassifier
from domains.aramaic.training import SmoothedSparseCrossEntropy, train_aramaic_classifier


@pytest.fixture(scope="module")
def tiny_splits(noto_font):
    return synthetic_splits(image_size=32, batch_size=8, val_examples=23, test_examples=23, fonts=noto_font)


def test_splits_use_separate_streams_and_harder_test_damage(tiny_splits):
    images, labels = next(iter(tiny_splits.train))
    assert images.shape == (8, 32, 32, 3) and images.dtype == "float32" and float(np.max(images)) <= 1.0
    assert list(labels.numpy()) == list(range(8))
    assert len({tuple(seed) for seed in tiny_splits.seeds.values()}) == 3
    assert not np.allclose(tiny_splits.val[0][:8], images.numpy())
    assert tiny_splits.test[2][:, 0].min() >= 0.3 and tiny_splits.val[2][:, 0].max() <= 0.8


def test_smoothed_loss_matches_keras_categorical():
    y = np.array([0, 2])
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], "float32")
    ours = SmoothedSparseCrossEntropy(0.1, 3)(y, logits)
    reference = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(np.eye(3)[y], logits)
    np.testing.assert_allclose(float(ours), float(reference), rtol=1e-6)


def test_image_size_mismatch(tiny_splits, tmp_path):
    with pytest.raises(ValueError, match="images are 32 px but the model expects 48 px"):
        train_aramaic_classifier(AramaicClassifier(image_size=48, depth=10, width=4), tiny_splits, tmp_path)
