"""Calibrated probabilities and selective answers for classifiers (chosen on validation data).

- `fit_temperature`: temperature scaling (Guo et al., ICML 2017, "On calibration of modern neural
  networks"): one scalar T dividing the logits, chosen to minimise the negative log-likelihood of
  validation labels; the ranking of the classes (hence accuracy) is unchanged.
- `expected_calibration_error`: the gap between confidence and accuracy, over confidence bins.
- `accuracy_coverage`: answer only when the top probability reaches a threshold; for every
  threshold, the fraction answered (coverage) and the accuracy on it (El-Yaniv & Wiener 2010,
  risk–coverage curves).
- `choose_threshold`: the lowest threshold whose accuracy on validation reaches a target, so the
  model abstains ("illegible") as little as that target allows.

Example:
```python
rng = np.random.default_rng(0)
labels = rng.integers(0, 3, 500)
logits = 4.0 * np.eye(3)[labels] + rng.normal(0, 1.5, (500, 3))   # an over-confident model
T = fit_temperature(logits, labels)
probabilities = softmax(logits / T)
curve = accuracy_coverage(probabilities, labels)
threshold = choose_threshold(curve, target_accuracy=0.99)
```
"""

import numpy as np


def softmax(logits, axis=-1):
    """Numerically stable softmax of NumPy logits."""
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=axis, keepdims=True)


def _check(logits, labels):
    logits = np.asarray(logits, dtype="float64")
    labels = np.asarray(labels).astype(int)
    if logits.ndim != 2 or labels.shape != (len(logits),) or len(logits) == 0:
        raise ValueError(f"Expected logits (n, classes) and labels (n,), n > 0. Received: logits.shape="
                         f"{logits.shape}, labels.shape={labels.shape}")
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError(f"labels must be in [0, {logits.shape[1]}). Received: {labels.min()} to {labels.max()}")
    return logits, labels


def negative_log_likelihood(logits, labels, temperature=1.0):
    """Mean negative log-likelihood of `labels` under `softmax(logits / temperature)`."""
    logits, labels = _check(logits, labels)
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    log_probabilities = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
    return float(-log_probabilities[np.arange(len(labels)), labels].mean())


def fit_temperature(logits, labels, bounds=(0.05, 20.0)):
    """The temperature T > 0 minimising the validation NLL of `softmax(logits / T)`.

    Args:
        logits: (n, classes) validation logits.
        labels: (n,) integer labels.
        bounds: (low, high) of T. Defaults to (0.05, 20).

    Returns:
        float T (above 1: the model was over-confident).
    """
    from scipy.optimize import minimize_scalar

    logits, labels = _check(logits, labels)
    result = minimize_scalar(lambda log_t: negative_log_likelihood(logits, labels, np.exp(log_t)),
                             bounds=tuple(np.log(bounds)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))


def expected_calibration_error(probabilities, labels, bins=15):
    """Expected calibration error over equal-width bins: Σ_bins (n_bin / n) · |observed − predicted|.

    With per-class probabilities `(n, classes)`, the top-label ECE: the bins hold the top
    probability (confidence) and "observed" is the accuracy in the bin. With one probability per
    example `(n,)` (a binary task's P(positive)), the positive-class ECE: the bins hold that
    probability and "observed" is the frequency of positives in the bin.

    Args:
        probabilities: `(n, classes)` probabilities, or `(n,)` probabilities of the positive class.
        labels: `(n,)` integer labels (0/1 for the binary form).
        bins: int. Defaults to 15.

    Returns:
        float in [0, 1].

    Raises:
        ValueError: different numbers of probabilities and labels.

    Example:
    ```python
    expected_calibration_error([[0.9, 0.1], [0.8, 0.2]], [0, 1])   # 0.45: bins of 0.9 (right) and 0.8 (wrong)
    expected_calibration_error([0.9, 0.2], [1, 0])                 # 0.15: P(positive) against the outcome
    ```
    """
    probabilities = np.asarray(probabilities, dtype="float64")
    labels = np.asarray(labels).astype(int)
    if len(probabilities) != len(labels):
        raise ValueError(f"One label per probability is needed. Received: {len(probabilities)} probabilities, "
                         f"{len(labels)} labels")
    if probabilities.ndim == 1:
        predicted, observed = probabilities, labels.astype("float64")
    else:
        predicted, observed = probabilities.max(axis=1), (probabilities.argmax(axis=1) == labels).astype("float64")
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(predicted, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        chosen = index == b
        if chosen.any():
            error += chosen.mean() * abs(observed[chosen].mean() - predicted[chosen].mean())
    return float(error)


def accuracy_coverage(probabilities, labels):
    """The accuracy–coverage curve of answering only when the top probability ≥ a threshold.

    Args:
        probabilities: (n, classes) calibrated probabilities.
        labels: (n,) integer labels.

    Returns:
        dict of arrays, one entry per distinct confidence (sorted by decreasing threshold):
        "threshold", "coverage" (fraction answered) and "accuracy" (on the answered ones).
    """
    probabilities = np.asarray(probabilities, dtype="float64")
    labels = np.asarray(labels).astype(int)
    confidence = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == labels).astype("float64")
    order = np.argsort(-confidence, kind="stable")
    confidence, correct = confidence[order], correct[order]
    answered = np.arange(1, len(confidence) + 1)
    accuracy = np.cumsum(correct) / answered
    # Ties share one threshold: keep the last position of each distinct confidence.
    last = np.r_[confidence[1:] != confidence[:-1], True]
    return {"threshold": confidence[last], "coverage": answered[last] / len(confidence), "accuracy": accuracy[last]}


def choose_threshold(curve, target_accuracy=0.99, min_coverage=0.0):
    """The lowest threshold of `curve` (`accuracy_coverage`) whose accuracy reaches `target_accuracy`.

    If no threshold reaches it (with at least `min_coverage` answered), the threshold of the
    highest accuracy among those with `min_coverage` is returned instead. A threshold of 0 (answer
    everything) is returned when the whole set already reaches the target.

    Args:
        curve: dict of `accuracy_coverage`.
        target_accuracy: float in (0, 1]. Defaults to 0.99.
        min_coverage: float. Least fraction answered. Defaults to 0.

    Returns:
        float threshold on the top probability.
    """
    accuracy, coverage, threshold = (np.asarray(curve[key]) for key in ("accuracy", "coverage", "threshold"))
    if not 0.0 < target_accuracy <= 1.0:
        raise ValueError(f"target_accuracy must be in (0, 1]. Received: target_accuracy={target_accuracy}")
    if accuracy[-1] >= target_accuracy:
        return 0.0
    allowed = coverage >= min_coverage
    reaching = np.nonzero(allowed & (accuracy >= target_accuracy))[0]
    if len(reaching):
        return float(threshold[reaching[-1]])
    candidates = np.nonzero(allowed)[0] if allowed.any() else np.arange(len(accuracy))
    return float(threshold[candidates[np.argmax(accuracy[candidates])]])
