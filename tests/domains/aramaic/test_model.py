"""`AramaicClassifier`: the paper's input, .keras round trip with its calibration, answers, illegible."""

import keras
import numpy as np
import pytest

from domains.aramaic.letters import CLASS_NAMES
from domains.aramaic.model import ILLEGIBLE, AramaicClassifier


@pytest.fixture(scope="module")
def small():
    return AramaicClassifier(image_size=32, depth=10, width=4)


def test_default_is_the_papers_input_and_a_resnet18():
    model = AramaicClassifier()
    assert model.input_shape == (None, 224, 224, 3) and model.output_shape == (None, 23)
    assert model.depth == 18 and model.class_names == list(CLASS_NAMES)
    # torchvision's resnet18 has 11,689,512 parameters with 1000 classes: the same trunk, 23 classes
    # (Keras also counts the batch-norm moving statistics, which torch keeps as buffers).
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 11_689_512 - 512 * 1000 - 1000 + 512 * 23 + 23


def test_keras_round_trip_keeps_outputs_and_calibration(small, tmp_path):
    small.temperature, small.illegible_threshold = 1.7, 0.4
    images = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
    path = tmp_path / "model.keras"
    small.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, AramaicClassifier)
    assert (loaded.temperature, loaded.illegible_threshold, loaded.image_size) == (1.7, 0.4, 32)
    np.testing.assert_allclose(loaded.logits(images), small.logits(images), atol=1e-5)
    np.testing.assert_allclose(loaded.probabilities(images), small.probabilities(images), atol=1e-5)


def test_answers_top3_and_illegible(small):
    images = (np.random.default_rng(1).random((3, 32, 32, 3)) * 255).astype("uint8")  # uint8 accepted
    small.temperature, small.illegible_threshold = 1.0, 0.0
    answers = small.answer(images)
    probabilities = small.probabilities(images)
    for a, p in zip(answers, probabilities):
        order = np.argsort(-p)[:3]
        assert [name for name, _ in a["top3"]] == [CLASS_NAMES[i] for i in order]
        assert a["answer"] == CLASS_NAMES[order[0]] and a["confidence"] == pytest.approx(p[order[0]])
    small.illegible_threshold = 1.0  # no untrained answer is that sure
    assert {a["answer"] for a in small.answer(images)} == {ILLEGIBLE}
    assert {a["class"] for a in small.answer(images)} == {-1}


def test_calibrate_sets_temperature_and_threshold(small):
    images = np.random.default_rng(2).random((46, 32, 32, 3)).astype("float32")
    labels = np.arange(46) % 23
    chosen = small.calibrate(images, labels, target_accuracy=0.99)
    assert small.temperature == chosen["temperature"] > 0
    assert small.illegible_threshold == chosen["illegible_threshold"]
    assert chosen["nll_after"] <= chosen["nll_before"] + 1e-9
    assert len(chosen["curve"]["coverage"]) >= 1 and chosen["curve"]["coverage"][-1] == 1.0


def test_bad_input(small):
    with pytest.raises(ValueError, match=r"expects RGB images \(N, 32, 32, 3\). Received: shape=\(2, 64, 64, 3\)"):
        small.logits(np.zeros((2, 64, 64, 3), "float32"))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        small.logits(np.full((1, 32, 32, 3), 3.0, "float32"))
    with pytest.raises(ValueError, match="image_size"):
        AramaicClassifier(image_size=8)
    with pytest.raises(ValueError, match="23 names"):
        AramaicClassifier(image_size=32, depth=10, width=4, class_names=["a", "b"])
