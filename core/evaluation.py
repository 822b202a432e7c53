"""Evaluation reports: the one shape every domain's `report` returns, and shared metrics and plots.

Every domain's `evaluation.report(model, data, output_dir, title, **options)` returns
`report_result(...)`: the model's metrics, each baseline's under the same keys, the figures
written, and the JSON file that holds it all, so that the CLI, the demo, the notebooks and the
README tables read every domain alike.
"""

import json
import pathlib

import numpy as np


def classification_report(y_true, predictions, class_names):
    """Accuracy, macro-F1, per-class F1 and the confusion matrix (scikit-learn).

    Args:
        y_true: true classes: integer labels `(n,)` or one-hot rows `(n, classes)`.
        predictions: predicted classes: integer labels `(n,)`, or scores `(n, classes)` whose
            largest entry is the class (probabilities, logits or one-hot rows).
        class_names: list of str, one per class.

    Returns:
        dict with "accuracy", "macro_f1", "per_class_f1" (dict), "confusion_matrix" (list of
        lists, rows = true class) and "n".

    Raises:
        ValueError: a shape that is neither labels nor one score per class, labels outside
            `[0, len(class_names))`, or different numbers of examples.

    Example:
    ```python
    report = classification_report([0, 1, 2, 2], [0, 2, 2, 2], ["sit", "stand", "walk"])
    report["accuracy"], report["confusion_matrix"]   # 0.75, [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    logits = np.array([[2.0, 0.1, 0.3], [0.2, 1.5, 0.1], [0.0, 0.1, 3.0], [0.9, 0.1, 0.5]])
    classification_report(np.eye(3)[[0, 1, 2, 2]], logits, ["sit", "stand", "walk"])["accuracy"]   # 0.75
    ```
    """
    from sklearn import metrics

    num_classes = len(class_names)
    y_true = _as_labels(y_true, num_classes, "y_true")
    y_pred = _as_labels(predictions, num_classes, "predictions")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and predictions must have one entry per example. Received: {len(y_true)} and {len(y_pred)}"
        )
    labels = list(range(num_classes))
    f1 = metrics.f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "macro_f1": float(metrics.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class_f1": {name: float(v) for name, v in zip(class_names, f1)},
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def _as_labels(values, num_classes, name):
    """Integer labels `(n,)` from labels `(n,)` / `(n, 1)` or per-class scores `(n, num_classes)`."""
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == num_classes and num_classes > 1:
        return np.argmax(values, axis=-1)
    if values.ndim == 2 and values.shape[1] == 1:
        if not np.issubdtype(values.dtype, np.integer):
            raise ValueError(
                f"{name}: one score column is ambiguous (a probability or a logit?). Pass integer labels, "
                f"e.g. (logits > 0).astype(int), or one score per class ({num_classes}). "
                f"Received: {name}.shape={values.shape}, dtype={values.dtype}"
            )
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"{name} must be integer labels (n,) or one score per class (n, {num_classes}). "
            f"Received: {name}.shape={values.shape}"
        )
    if values.size and not (np.issubdtype(values.dtype, np.integer) or np.all(np.mod(values, 1) == 0)):
        raise ValueError(f"{name}: (n,) values must be integer labels. Received: {values[:5].tolist()} ...")
    labels = values.astype(int)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"{name}: labels must be in [0, {num_classes}) (one per class name). "
            f"Received: labels from {labels.min()} to {labels.max()}"
        )
    return labels


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

    confusion = np.asarray(confusion)
    size = max(4.0, 0.6 * len(class_names) + 2)
    figure = Figure(figsize=(size, size))
    axis = figure.add_subplot()
    ConfusionMatrixDisplay(confusion, display_labels=class_names).plot(
        ax=axis, cmap="Blues", colorbar=False, xticks_rotation=45, include_values=False
    )
    # Only the non-zero cells are written (a text per cell of a large, mostly empty matrix is slow).
    dark = confusion > confusion.max() / 2
    for row, column in zip(*np.nonzero(confusion)):
        axis.text(column, row, str(confusion[row, column]), ha="center", va="center",
                  color="white" if dark[row, column] else "black")
    axis.set_title(title)
    figure.tight_layout()
    return save_figure(figure, path, dpi=120)


def save_figure(figure, path, dpi=110):
    """Write a matplotlib figure as PNG, creating the folders; returns the path as a `Path`.

    Args:
        figure: a `matplotlib.figure.Figure` (the suite draws on bare Figures, never through pyplot,
            so that saving works headless and leaves a notebook's inline backend alone).
        path: str or Path.
        dpi: int. Defaults to 110.

    Example:
    ```python
    from matplotlib.figure import Figure
    figure = Figure(figsize=(3, 2))
    figure.subplots().plot([0, 1], [1, 0])
    save_figure(figure, "plots/line.png")  # creates plots/
    ```
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    return path


REPORT_FILE = "report.json"
REPORT_KEYS = ("title", "metrics", "baselines", "figures", "details", "report_json")


def report_result(title, metrics, baselines, figures, output_dir, details=None):
    """The result of a domain's `report`, also written to `output_dir/report.json`.

    Args:
        title: str. What was evaluated on what ("preset dr_synthetic_small, 200 SYNTHETIC test photographs").
        metrics: dict. The model's headline metrics: {name: number} (or small dicts of numbers).
        baselines: dict. {baseline name: metrics dict with the model's keys, where they apply}:
            the non-learned answer the model must beat (interpolation, chance, a constant, ...).
        figures: list of paths. The PNGs written.
        output_dir: str or Path.
        details: dict or None. Everything else worth keeping (per-class, per-file, curves, data
            description), written to the JSON only. Defaults to None.

    Returns:
        dict with `REPORT_KEYS`: JSON-ready (NumPy values as numbers, paths as strings).

    Raises:
        ValueError: a baseline that is not a dict of metrics.

    Example:
    ```python
    result = report_result("a constant predictor vs the model", {"mae": 0.4}, {"constant": {"mae": 0.9}},
                           [], "runs/example")
    result["baselines"]["constant"]["mae"], result["report_json"]   # 0.9, 'runs/example/report.json'
    ```
    """
    for name, values in baselines.items():
        if not isinstance(values, dict):
            raise ValueError(f"Each baseline's metrics must be a dict. Received: {name}={values!r}")
    path = pathlib.Path(output_dir) / REPORT_FILE
    result = _jsonable({"title": title, "metrics": dict(metrics), "baselines": dict(baselines),
                        "figures": [str(figure) for figure in figures], "details": dict(details or {}),
                        "report_json": str(path)})
    save_report(result, path)
    return result


def save_predictions(rows, output_dir, name="predictions.csv"):
    """Write a task's per-input predictions as CSV (one row per dict; the columns in first-seen order).

    Args:
        rows: list of dict. One row each: file, then the prediction's fields (numbers already
            formatted as the task wants them, or plain values).
        output_dir: str or Path. Created if missing.
        name: str. Defaults to "predictions.csv".

    Returns:
        pathlib.Path of the CSV file.

    Raises:
        ValueError: no rows (a predict call without inputs should have been refused earlier).

    Example:
    ```python
    path = save_predictions([{"file": "a.wav", "score": "0.91"}, {"file": "b,c.wav", "score": "0.40"}], "runs/p")
    path.read_text().splitlines()   # ['file,score', 'a.wav,0.91', '"b,c.wav",0.40']
    ```
    """
    import csv

    if not rows:
        raise ValueError(f"No predictions to write. Received: rows={rows!r}")
    path = pathlib.Path(output_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def save_report(report, path):
    """Write a report dict as JSON; returns the path.

    NumPy scalars and arrays (values or keys, at any depth) are written as the Python numbers
    and lists they hold, paths as strings.

    Args:
        report: dict (nested dicts, lists, numbers, strings, NumPy values).
        path: str or Path of the JSON file.

    Example:
    ```python
    path = save_report({"accuracy": np.float32(0.75), "n": np.int64(4)}, "runs/exp1/report.json")
    path.read_text()   # {"accuracy": 0.75, "n": 4}, indented
    ```
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_jsonable(report), indent=2))
    return path


def _jsonable(value):
    if isinstance(value, dict):
        return {_jsonable(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()  # a 0-d array or a NumPy scalar gives a Python scalar
    if isinstance(value, pathlib.PurePath):
        return str(value)
    return value
