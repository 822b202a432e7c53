"""`core.calibration`: temperature scaling, calibration error, accuracy–coverage, threshold choice."""

import numpy as np
import pytest

from core import calibration


def overconfident(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    true_logits = 1.5 * np.eye(4)[labels] + rng.normal(0, 1.0, (n, 4))
    sampled = np.array([rng.choice(4, p=p) for p in calibration.softmax(true_logits)])
    return 3.0 * true_logits, sampled  # labels drawn from softmax(true_logits): T = 3 is exact


def test_temperature_recovers_the_scale_of_overconfident_logits():
    logits, labels = overconfident()
    temperature = calibration.fit_temperature(logits, labels)
    assert 2.5 < temperature < 3.6
    assert calibration.negative_log_likelihood(logits, labels, temperature) < calibration.negative_log_likelihood(logits, labels)
    before = calibration.expected_calibration_error(calibration.softmax(logits), labels)
    after = calibration.expected_calibration_error(calibration.softmax(logits / temperature), labels)
    assert after < 0.5 * before


def test_accuracy_coverage_curve_by_hand():
    probabilities = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    labels = np.array([0, 1, 1, 0])  # confidences 0.9 ok, 0.8 wrong, 0.7 ok, 0.6 ok
    curve = calibration.accuracy_coverage(probabilities, labels)
    np.testing.assert_allclose(curve["threshold"], [0.9, 0.8, 0.7, 0.6])
    np.testing.assert_allclose(curve["coverage"], [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(curve["accuracy"], [1.0, 0.5, 2 / 3, 0.75])
    assert calibration.choose_threshold(curve, target_accuracy=0.99) == 0.9
    assert calibration.choose_threshold(curve, target_accuracy=0.8) == 0.9
    assert calibration.choose_threshold(curve, target_accuracy=0.75) == 0.0  # everything already reaches it
    # Not reachable with half answered: the most accurate threshold among those allowed.
    assert calibration.choose_threshold(curve, target_accuracy=0.99, min_coverage=0.5) == 0.6


def test_ties_share_one_threshold_and_bad_input():
    curve = calibration.accuracy_coverage(np.array([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]]), np.array([0, 1, 0]))
    np.testing.assert_allclose(curve["threshold"], [1.0, 0.5])
    np.testing.assert_allclose(curve["coverage"], [1 / 3, 1.0])
    with pytest.raises(ValueError, match="labels must be in"):
        calibration.fit_temperature(np.zeros((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="target_accuracy"):
        calibration.choose_threshold(curve, target_accuracy=1.5)
