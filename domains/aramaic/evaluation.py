"""Evaluation of `AramaicClassifier`: accuracy, top-3, confusion, conditions, abstention, mistakes.

`report(model, data, output_dir, title)` scores the model on `data = (images, labels, params)`
(`params` None for real crops) beside two non-learned baselines, chance (1/23) and the majority
class (`baselines`), and returns `core.evaluation.report_result`, also written as `report.json`:

- `metrics`: accuracy, top-3 accuracy, macro-F1 (scikit-learn, `core.evaluation`), the calibration
  error, and the "illegible" answers at the model's threshold (the fraction answered and the
  accuracy of the answered letters);
- `details`: the number of letters, the temperature and threshold, per-class F1, the confusion
  matrix, and with `params` (synthetic data) the accuracy per damage-severity and light-elevation bin;
- `figures`: `confusion_matrix.png`, `accuracy_coverage.png`, `conditions.png` (with `params`), and
  `mistakes.png`: for each letter, up to `per_letter` misread images with the answer given.

`stage_ablation(model, output_dir)` scores a model on the test stream's letters with stages of the
renderer switched off (`AramaicSynth(ablate=...)`), and by quartile of each drawn condition:
`ablation.json` and `ablation.png`.

Example:
```python
from domains.aramaic import AramaicClassifier
from domains.aramaic.data import synthetic_splits
splits = synthetic_splits(image_size=64, val_examples=46, test_examples=46)
model = AramaicClassifier(image_size=64, width=8, depth=10)
result = report(model, splits.test, "runs/aramaic_eval", "untrained")
result["metrics"]["accuracy"], result["baselines"]["chance"]["accuracy"]   # (≈ 0.04, 0.043...)
table = stage_ablation(model, "runs/aramaic_eval", num_examples=46, quartile_examples=92)
[(row["name"], row["accuracy"]) for row in table["variants"]]
```
"""

import pathlib

import numpy as np

from core import calibration
from core.evaluation import classification_report, plot_confusion_matrix, report_result, save_figure, save_report
from domains.aramaic.data import TEST_SEVERITY, split_seed, to_float
from domains.aramaic.letters import CLASS_NAMES, NO_LETTER_CLASS, NUM_CLASSES
from domains.aramaic.damage import DAMAGE_KINDS
from domains.aramaic.synth import PARAM_NAMES, AramaicSynth

SEVERITY_BINS = np.linspace(0.0, 1.0, 6)
ELEVATION_BINS = np.array([0.0, 20.0, 30.0, 40.0, 50.0, 90.0])
# `stage_ablation`'s variants: name → stages switched off (`AramaicSynth(ablate=...)`).
ABLATION_VARIANTS = {
    "clean (relief and light only)": ("form", "stone", "photo", "damage"),
    "+ letter form": ("stone", "photo", "damage"),
    "+ letter form, font outline only (no stroke variation)": ("strokes", "stone", "photo", "damage"),
    "+ stone": ("form", "photo", "damage"),
    "+ photograph": ("form", "stone", "damage"),
    "+ damage (every kind)": ("form", "stone", "photo"),
    **{f"+ {kind} only": ("form", "stone", "photo", *(other for other in DAMAGE_KINDS if other != kind))
       for kind in DAMAGE_KINDS},
    "all but damage": ("damage",),
    "all but stroke variation": ("strokes",),
    "all (the test split)": (),
}
# The conditions of `stage_ablation`'s quartile table: name → value of an example's plan (`AramaicSynth.conditions`).
QUARTILE_CONDITIONS = {
    "severity": lambda plan: plan["severity"],
    "erosion (blur, px)": lambda plan: plan["erosion"],
    "depth lost to erosion": lambda plan: 1.0 - plan["shallower"],
    "crust": lambda plan: plan["crust"],
    "stains": lambda plan: plan["stains"],
    "spalls + cracks (count)": lambda plan: len(plan["spalls"]) + len(plan["cracks"]),
    "chips (count)": lambda plan: len(plan["chips"][1]),
    "elastic alpha": lambda plan: plan["elastic_alpha"],
    "stroke width offset (px)": lambda plan: plan["stroke"],
    "zoom": lambda plan: plan["zoom"],
    "relief depth (px)": lambda plan: plan["depth"],
    "stone: coarse relief (px)": lambda plan: plan["coarse"],
    "stone: fine relief (px)": lambda plan: plan["fine"],
    "light elevation (degrees)": lambda plan: plan["elevation"],
    "focus blur (px)": lambda plan: plan["focus"][0],
    "shot noise": lambda plan: plan["shot_noise"],
}
CATEGORY_CONDITIONS = {
    "stone": lambda plan: plan["stone"],
    "relief": lambda plan: plan["relief"],
    "neighbour fragment": lambda plan: "yes" if plan["neighbour"] >= 0 else "no",
    "JPEG": lambda plan: "yes" if plan["jpeg"] else "no",
}


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


def _in_top3(probabilities, labels):
    """Whether each label is among its example's 3 most probable classes (N,) bool."""
    top3 = np.argsort(-probabilities, axis=1)[:, :3]
    return np.any(top3 == labels[:, None], axis=1)


def baselines(labels):
    """The non-learned answers the model must beat on `labels`, under the metric names of `report`.

    - "chance": a uniform guess among the 23 classes (its expected accuracy 1/23, top-3 3/23);
    - "majority class": always the most frequent class of `labels` (the first on ties; the
      synthetic splits hold every class equally often, so it is Alef there), its top 3 the three
      most frequent.

    Args:
        labels: (N,) class indices, N >= 1.

    Returns:
        dict: baseline name → {"accuracy", "top3_accuracy"[, "macro_f1"]}.

    Example:
    ```python
    baselines(np.array([0, 0, 1, 2]))["majority class"]["accuracy"]   # 0.5
    ```
    """
    labels = np.asarray(labels).astype(int)
    if not len(labels):
        raise ValueError(f"baselines need at least one label. Received: labels of shape {labels.shape}")
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    order = np.argsort(-counts, kind="stable")
    constant = np.full_like(labels, order[0])
    return {
        "chance": {"accuracy": 1.0 / NUM_CLASSES, "top3_accuracy": 3.0 / NUM_CLASSES},
        "majority class": {"accuracy": float(np.mean(labels == order[0])),
                           "top3_accuracy": float(np.mean(np.isin(labels, order[:3]))),
                           "macro_f1": classification_report(labels, constant, list(CLASS_NAMES))["macro_f1"]},
    }


def report(model, data, output_dir, title, per_letter=3):
    """Score `model` on labelled letter images beside chance and the majority class; save the report and figures.

    Args:
        model: AramaicClassifier (calibrated or not).
        data: `(images, labels, params)`: images float32 (N, S, S, 3) in [0, 1], labels (N,)
            class indices, params (N, 5) synthetic conditions (`synth.PARAM_NAMES`) or None (real
            crops); `(images, labels)` for crops. A `SyntheticSplits.test` is one.
        output_dir: str or Path.
        title: str. Names the model and the data in the figures and the report.
        per_letter: int. Mistakes shown per letter. Defaults to 3.

    Returns:
        dict: `core.evaluation.report_result` (module docstring): "metrics", "baselines"
        (`baselines`), "figures", "details", "report_json".

    Raises:
        ValueError: `data` that is not (images, labels[, params]) of one length.

    Example:
    ```python
    splits = synthetic_splits(image_size=64, val_examples=23, test_examples=46)
    result = report(AramaicClassifier.from_preset("aramaic_letters_small"), splits.test, "runs/eval", "preset")
    result["metrics"]["accuracy"], result["baselines"]["majority class"]["accuracy"]
    ```
    """
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError(f"data is (images, labels) or (images, labels, params). Received: data of type "
                         f"{type(data).__name__}" + (f" with {len(data)} items" if isinstance(data, (tuple, list)) else ""))
    images, labels, params = (*data, None) if len(data) == 2 else data
    labels = np.asarray(labels).astype(int)
    if len(images) != len(labels) or (params is not None and len(params) != len(labels)):
        raise ValueError(f"data's images, labels and params must be as many. Received: {len(images)} images, "
                         f"{len(labels)} labels" + ("" if params is None else f", {len(params)} params"))
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    probabilities = model.probabilities(images)
    predicted = probabilities.argmax(axis=1)
    correct = predicted == labels
    scores = classification_report(labels, predicted, list(CLASS_NAMES))
    confidence = probabilities.max(axis=1)
    answered = confidence >= model.illegible_threshold
    curve = calibration.accuracy_coverage(probabilities, labels)
    metrics = {
        "accuracy": scores["accuracy"],
        "top3_accuracy": float(np.mean(_in_top3(probabilities, labels))),
        "macro_f1": scores["macro_f1"],
        "expected_calibration_error": calibration.expected_calibration_error(probabilities, labels),
        "answered_fraction": float(answered.mean()),
        "answered_accuracy": float(correct[answered].mean()) if answered.any() else None,
    }
    details = {
        "n_test": int(len(labels)),
        "temperature": model.temperature,
        "illegible_threshold": model.illegible_threshold,
        "per_class_f1": scores["per_class_f1"],
        "confusion_matrix": scores["confusion_matrix"],
    }
    figures = []
    if params is not None:
        params = np.asarray(params)
        details["accuracy_by_severity"] = binned_accuracy(params[:, 0], correct, SEVERITY_BINS)
        details["accuracy_by_elevation"] = binned_accuracy(params[:, 1], correct, ELEVATION_BINS)
        figures.append(plot_conditions({**details, "chance_accuracy": 1.0 / NUM_CLASSES}, output_dir / "conditions.png",
                                       title))
    figures.append(plot_confusion_matrix(scores["confusion_matrix"], list(CLASS_NAMES),
                                         output_dir / "confusion_matrix.png", f"{title}: test"))
    figures.append(plot_accuracy_coverage(curve, model.illegible_threshold, output_dir / "accuracy_coverage.png", title))
    figures.append(plot_mistakes(images, labels, predicted, confidence, output_dir / "mistakes.png", per_letter))
    return report_result(title, metrics, baselines(labels), figures, output_dir, details)


def stage_ablation(model, output_dir, num_examples=460, quartile_examples=2300, seed=0, severity=TEST_SEVERITY,
                   title=None, **synth_options):
    """Accuracy per stage of the renderer, and by quartile of each drawn condition, on test-stream letters.

    Every variant of `ABLATION_VARIANTS` (those that switch the stroke variation off only when
    `stroke_variation` is on) renders the same `num_examples` letters of the test stream
    (`split_seed(seed, "test")`, damage severity drawn from `severity`) with some stages switched
    off (`AramaicSynth(ablate=...)`: the other stages' conditions stay those of the full
    rendering), from clean letters (relief and raking light only) to the full test split. The
    quartile table scores the first `quartile_examples` letters of the test split (no stage off)
    by quartile of each condition of `QUARTILE_CONDITIONS` and of the legibility as drawn (before
    `min_legibility` raised it), and by value of
    `CATEGORY_CONDITIONS`, "No Letter" examples left out (they have no letter to degrade).
    Writes `ablation.json` and `ablation.png` into `output_dir`.

    Args:
        model: AramaicClassifier.
        output_dir: str or Path.
        num_examples: int >= 1. Letters per variant. Defaults to 460 (20 per class).
        quartile_examples: int >= 1. Letters of the quartile table. Defaults to 2300 (the test split).
        seed: int. The run seed of the test stream. Defaults to 0.
        severity: (low, high). Damage severity range. Defaults to the test split's (0.3, 1.0).
        title: str or None. Names the model in the figure.
        **synth_options: other `AramaicSynth` settings (fonts, rotation, min_legibility...).

    Returns:
        dict: "variants" (list of {"name", "ablate", "n", "accuracy", "top3_accuracy"}),
        "raised_by_floor" (the fraction of the letters drawn fainter than `min_legibility`, and
        the accuracy on them and on the others),
        "quartiles" (condition → list of {"range", "n", "accuracy"}), "categories" (condition →
        value → {"n", "accuracy"}), "baselines" (`baselines` of the quartile table's
        `quartile_examples` letters, as in `report`), the settings, and the paths of the files.

    Raises:
        ValueError: `num_examples` or `quartile_examples` not an integer >= 1.

    Example:
    ```python
    model = AramaicClassifier.from_preset("aramaic_letters_small")
    table = stage_ablation(model, "runs/aramaic_ablation", num_examples=46, quartile_examples=92)
    {row["name"]: row["accuracy"] for row in table["variants"]}, table["baselines"]["chance"]["accuracy"]
    ```
    """
    for name, value in (("num_examples", num_examples), ("quartile_examples", quartile_examples)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1. Received: {name}={value!r}")
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stream = split_seed(seed, "test")
    settings = dict(image_size=model.image_size, severity=tuple(severity), **synth_options)

    def score(synth, count):
        images, labels, params = synth.arrays(count, seed=stream)
        probabilities = model.probabilities(to_float(images))
        return probabilities.argmax(axis=1) == labels, _in_top3(probabilities, labels), labels, params

    variants = []
    for name, ablate in ABLATION_VARIANTS.items():
        if "strokes" in ablate and not synth_options.get("stroke_variation"):
            continue  # without stroke variation these are the variants without "strokes"
        correct, in_top3, _, _ = score(AramaicSynth(ablate=ablate, **settings), num_examples)
        variants.append({"name": name, "ablate": list(ablate), "n": num_examples, "accuracy": float(correct.mean()),
                         "top3_accuracy": float(in_top3.mean())})
    synth = AramaicSynth(**settings)
    correct, _, labels, params = score(synth, quartile_examples)
    letter = labels != NO_LETTER_CLASS
    plans = [plan for plan, keep in zip(synth.conditions(quartile_examples, seed=stream), letter) if keep]
    correct = correct[letter]
    values = {name: np.array([condition(plan) for plan in plans], "float64")
              for name, condition in QUARTILE_CONDITIONS.items()}
    if synth.min_legibility > 0:  # the floor makes most legibilities equal: measure the same letters without it
        params = AramaicSynth(**{**settings, "min_legibility": 0.0}).arrays(quartile_examples, seed=stream)[2]
    values["legibility before the floor"] = params[letter, PARAM_NAMES.index("legibility")].astype("float64")
    raised = values["legibility before the floor"] < synth.min_legibility
    quartiles = {name: binned_accuracy(value, correct, np.quantile(value, [0, 0.25, 0.5, 0.75, 1]))
                 for name, value in values.items() if len(value)}
    categories = {}
    for name, condition in CATEGORY_CONDITIONS.items():
        found = np.array([condition(plan) for plan in plans])
        categories[name] = {str(value): {"n": int((found == value).sum()), "accuracy": float(correct[found == value].mean())}
                            for value in sorted(set(found))}
    results = {"title": title, "image_size": model.image_size, "seed": seed, "test_stream": list(stream),
               "severity": list(severity), "synth_options": {key: str(value) for key, value in synth_options.items()},
               "num_examples": num_examples, "quartile_examples": quartile_examples,
               "quartile_letters": int(letter.sum()),
               "quartile_accuracy": float(correct.mean()) if len(correct) else None,
               "raised_by_floor": {"fraction": float(raised.mean()) if len(raised) else None,
                                   "accuracy": float(correct[raised].mean()) if raised.any() else None,
                                   "accuracy_of_the_others": float(correct[~raised].mean()) if (~raised).any() else None},
               "chance_accuracy": 1.0 / NUM_CLASSES, "baselines": baselines(labels) if len(labels) else {},
               "variants": variants, "quartiles": quartiles,
               "categories": categories}
    results["ablation_png"] = str(plot_ablation(results, output_dir / "ablation.png", title))
    results["ablation_json"] = str(save_report(results, output_dir / "ablation.json"))
    return results


def plot_ablation(results, path, title=None):
    """The variants' accuracy as bars, and the quartile table as a grid of accuracies (conditions × quartiles).

    Args:
        results: dict returned by `stage_ablation` ("variants", "quartiles", "quartile_letters").
        path: str or Path of the PNG.
        title: str or None. Defaults to "stage ablation".

    Returns:
        Path of the PNG.
    """
    from matplotlib.figure import Figure

    variants, quartiles = results["variants"], results["quartiles"]
    figure = Figure(figsize=(12, 0.3 * max(len(variants), len(quartiles)) + 1.6))
    bars_axis, grid_axis = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    accuracies = [row["accuracy"] for row in variants]
    positions = np.arange(len(variants))[::-1]
    bars_axis.barh(positions, accuracies, color="tab:blue")
    for position, row in zip(positions, variants):
        bars_axis.text(0.01, position, f"{row['accuracy']:.1%}", va="center", fontsize=7, color="w")
    bars_axis.set_yticks(positions, [row["name"] for row in variants], fontsize=8)
    bars_axis.axvline(results["chance_accuracy"], color="grey", linestyle=":", label="chance")
    bars_axis.set_xlim(0, 1)
    bars_axis.set_xlabel("accuracy (23 classes)")
    bars_axis.legend(loc="lower right", fontsize=7)
    bars_axis.set_title(f"stages switched on, {results['num_examples']} test-stream examples each", fontsize=9)
    names = list(quartiles)
    table = np.array([[np.nan if row["accuracy"] is None else row["accuracy"] for row in quartiles[name]]
                      for name in names])
    grid_axis.imshow(table, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for (r, c), value in np.ndenumerate(table):
        edges = quartiles[names[r]][c]["range"]
        text = "–" if np.isnan(value) else f"{value:.0%}\n{edges[0]:.2g}–{edges[1]:.2g}"
        grid_axis.text(c, r, text, ha="center", va="center", fontsize=6)
    grid_axis.set_yticks(range(len(names)), names, fontsize=8)
    grid_axis.set_xticks(range(4), ["Q1 (low)", "Q2", "Q3", "Q4 (high)"], fontsize=8)
    grid_axis.set_title(f"accuracy by quartile of each condition ({results['quartile_letters']} test letters)",
                        fontsize=9)
    figure.suptitle(title or "stage ablation")
    figure.tight_layout()
    return save_figure(figure, path)


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
    return save_figure(figure, path)


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
    return save_figure(figure, path)


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
    return save_figure(figure, path, dpi=72)
