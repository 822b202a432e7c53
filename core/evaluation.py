"""Evaluation reports shared by the classification domains (scikit-learn metrics, plots)."""

import json
import pathlib

import numpy as np


def classification_report(y_true, probabilities, class_names):
    """Accuracy, macro-F1, per-class F1 and the confusion matrix (scikit-learn).

    Args:
        y_true: int array (n,). True labels.
        probabilities: float array (n, classes). Predicted probabilities or logits.
        class_names: list of str.

    Returns:
        dict with "accuracy", "macro_f1", "per_class_f1" (dict), "confusion_matrix" (list of
        lists, rows = true class) and "n".

    Example:
    ```python
    report = classification_report(y_test, model.predict(x_test), class_names)
    report["accuracy"], report["macro_f1"]
    ```
    """
    from sklearn import metrics

    y_true = np.asarray(y_true).astype(int)
    y_pred = np.argmax(np.asarray(probabilities), axis=-1)
    labels = list(range(len(class_names)))
    f1 = metrics.f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "macro_f1": float(metrics.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class_f1": {name: float(v) for name, v in zip(class_names, f1)},
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def plot_confusion_matrix(confusion, class_names, path, title="Confusion matrix"):
    """Save a confusion-matrix figure (counts, rows = true class) as PNG; returns the path.

    Args:
        confusion: (classes, classes) counts.
        class_names: list of str.
        path: str or Path of the PNG.
        title: str. Defaults to "Confusion matrix".
    """
    # A bare Figure (no pyplot): works headless and leaves a notebook's inline backend alone.
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay

    size = max(4.0, 0.6 * len(class_names) + 2)
    figure = Figure(figsize=(size, size))
    axis = figure.add_subplot()
    ConfusionMatrixDisplay(np.asarray(confusion), display_labels=class_names).plot(
        ax=axis, cmap="Blues", colorbar=False, xticks_rotation=45
    )
    axis.set_title(title)
    figure.tight_layout()
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


def save_report(report, path):
    """Write a report dict as JSON; returns the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    return path
