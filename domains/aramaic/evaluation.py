"""Evaluation of `AramaicClassifier`: accuracy, top-3, confusion, conditions, abstention, mistakes.

`report(model, images, labels, output_dir, title, params=None)` writes into `output_dir`:

- `report.json`: accuracy, top-3 accuracy, macro-F1, per-class F1 and the confusion matrix
  (scikit-learn, `core.evaluation`), the chance baseline (1/23), the calibration error, the
  "illegible" answers at the model's threshold (coverage and accuracy of the answered letters),
  and with `params` (synthetic data) the accuracy per damage-severity and light-elevation bin;
- `confusion_matrix.png`, `accuracy_coverage.png`, `conditions.png` (with `params`), and
  `mistakes.png`: for each letter, up to `per_letter` misread images with the answer given.

Example:
```python
from domains.aramaic import AramaicClassifier
from domains.aramaic.data import synthetic_splits
splits = synthetic_splits(image_size=64, val_examples=46, test_examples=46)
model = AramaicClassifier(image_size=64, width=8, depth=10)
results = report(model, splits.test[0], splits.test[1], "runs/aramaic_eval", "untrained", params=splits.test[2])
results["accuracy"], results["top3_accuracy"]
```
"""

import pathlib

import numpy as np

from core import calibration
from core.evaluation import classification_report, plot_confusion_matrix, save_report
from domains.aramaic.letters import CLASS_NAMES, NUM_CLASSES

SEVERITY_BINS = np.linspace(0.0, 1.0, 6)
ELEVATION_BINS = np.array([0.0, 20.0, 30.0, 40.0, 50.0, 90.0])


def binned_accuracy(values, correct, edges):
    """Accuracy of `correct` (bool) within each bin of `values`: list of {"range", "n", "accuracy"}."""
    values, correct = np.asarray(values, "float64"), np.asarray(correct, bool)
    index = np.clip(np.digitize(values, edges[1:-1]), 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        chosen = index == b
        rows.append({"range": [float(edges[b]), float(edges[b + 1])], "n": int(chosen.sum()),
                     "accuracy": float(correct[chosen].mean()) if chosen.any() else None})
    return rows


def report(model, images, labels, output_dir, title, params=None, per_letter=3):
    """Score `model` on labelled letter images and save the report and figures (module docstring).

    Args:
        model: AramaicClassifier (calibrated or not).
        images: float32 (N, S, S, 3) in [0, 1].
        labels: (N,) class indices.
        output_dir: str or Path.
        title: str. Names the model in the figures.
        params: (N, 5) synthetic conditions (`synth.PARAM_NAMES`) or None (real crops).
        per_letter: int. Mistakes shown per letter. Defaults to 3.

    Returns:
        dict of the scores (the content of `report.json`) plus the paths of the files.
    """
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    labels = np.asarray(labels).astype(int)
    probabilities = model.probabilities(images)
    predicted = probabilities.argmax(axis=1)
    correct = predicted == labels
    top3 = np.argsort(-probabilities, axis=1)[:, :3]
    scores = classification_report(labels, predicted, list(CLASS_NAMES))
    confidence = probabilities.max(axis=1)
    answered = confidence >= model.illegible_threshold
    curve = calibration.accuracy_coverage(probabilities, labels)
    results = {
        "title": title,
        "n_test": int(len(labels)),
        "accuracy": scores["accuracy"],
        "top3_accuracy": float(np.mean(np.any(top3 == labels[:, None], axis=1))),
        "macro_f1": scores["macro_f1"],
        "chance_accuracy": 1.0 / NUM_CLASSES,
        "temperature": model.temperature,
        "expected_calibration_error": calibration.expected_calibration_error(probabilities, labels),
        "illegible_threshold": model.illegible_threshold,
        "answered_fraction": float(answered.mean()),
        "answered_accuracy": float(correct[answered].mean()) if answered.any() else None,
        "per_class_f1": scores["per_class_f1"],
        "confusion_matrix": scores["confusion_matrix"],
    }
    if params is not None:
        params = np.asarray(params)
        results["accuracy_by_severity"] = binned_accuracy(params[:, 0], correct, SEVERITY_BINS)
        results["accuracy_by_elevation"] = binned_accuracy(params[:, 1], correct, ELEVATION_BINS)
        results["conditions_png"] = str(plot_conditions(results, output_dir / "conditions.png", title))
    results["confusion_png"] = str(plot_confusion_matrix(results["confusion_matrix"], list(CLASS_NAMES),
                                                         output_dir / "confusion_matrix.png", f"{title}: test"))
    results["coverage_png"] = str(plot_accuracy_coverage(curve, model.illegible_threshold,
                                                         output_dir / "accuracy_coverage.png", title))
    results["mistakes_png"] = str(plot_mistakes(images, labels, predicted, confidence, output_dir / "mistakes.png",
                                                per_letter))
    results["report_json"] = str(save_report(results, output_dir / "report.json"))
    return results


def plot_conditions(results, path, title):
    """Accuracy against damage severity and against light elevation (bars with their counts)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.4))
    for axis, key, label in zip(figure.subplots(1, 2), ("accuracy_by_severity", "accuracy_by_elevation"),
                                ("damage severity", "light elevation (degrees)")):
        rows = [row for row in results[key] if row["n"]]
        names = [f"{row['range'][0]:g}–{row['range'][1]:g}" for row in rows]
        bars = axis.bar(names, [row["accuracy"] for row in rows], color="tab:blue")
        for bar, row in zip(bars, rows):
            axis.text(bar.get_x() + bar.get_width() / 2, 0.02, f"n={row['n']}", ha="center", fontsize=7, color="w")
        axis.axhline(results["chance_accuracy"], color="grey", linestyle=":", label="chance")
        axis.set_ylim(0, 1)
        axis.set_xlabel(label)
        axis.set_ylabel("accuracy")
        axis.legend(loc="lower left", fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def plot_accuracy_coverage(curve, threshold, path, title):
    """Accuracy of the answered letters against the fraction answered, the model's threshold marked."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.8, 3.6))
    axis = figure.subplots()
    axis.plot(curve["coverage"], curve["accuracy"], color="tab:blue")
    chosen = np.nonzero(curve["threshold"] >= threshold)[0]
    if len(chosen):
        i = chosen[-1]
        axis.plot(curve["coverage"][i], curve["accuracy"][i], "o", color="tab:red",
                  label=f"threshold {threshold:.2f}: {curve['coverage'][i]:.0%} answered")
        axis.legend(loc="lower left", fontsize=8)
    axis.set_xlabel("coverage (fraction answered)")
    axis.set_ylabel("accuracy of the answered")
    axis.set_title(f"{title}: accuracy–coverage", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def plot_mistakes(images, labels, predicted, confidence, path, per_letter=3):
    """For each class with mistakes: up to `per_letter` misread images captioned 'true → answer (p)'.

    The images are tiled into one mosaic drawn on a single axis (one subplot per image would take
    seconds for 23 letters).
    """
    from matplotlib.figure import Figure

    rows = [(c, np.nonzero((labels == c) & (predicted != c))[0][:per_letter]) for c in range(NUM_CLASSES)]
    rows = [(c, found) for c, found in rows if len(found)]
    figure = Figure(figsize=(1.5 * per_letter, 1.6 * max(len(rows), 1)))
    if not rows:
        figure.text(0.5, 0.5, "no mistakes", ha="center")
    else:
        size = images.shape[1]
        caption, gap = max(size // 3, 8), max(size // 16, 2)  # room above each image, and between images
        cell_height, cell_width = size + caption, size + gap
        mosaic = np.ones((len(rows) * cell_height, per_letter * cell_width - gap, 3), "float32")
        axis = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        axis.set_axis_off()
        for r, (c, found) in enumerate(rows):
            for column, i in enumerate(found):
                top, left = r * cell_height + caption, column * cell_width
                mosaic[top:top + size, left:left + size] = images[i]
                axis.text(left + size / 2, top - 1, f"{CLASS_NAMES[c]} → {CLASS_NAMES[predicted[i]]} ({confidence[i]:.2f})",
                          ha="center", va="bottom", fontsize=7)
        axis.imshow(mosaic, interpolation="nearest", aspect="auto")
    figure.savefig(path, dpi=72)
    return path
