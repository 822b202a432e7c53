"""HAR evaluation: test accuracy and macro-F1 beside a random forest and chance (JSON and PNG).

`report(model, data, output_dir, title)` scores a trained classifier once on the test split and
returns `core.evaluation.report_result`: the model's accuracy and macro-F1, the same two numbers
for the non-learned-feature baselines (a random forest on per-channel summary statistics, fitted
on the training split with a fixed seed; and chance, uniform guessing), and the confusion matrix
figure. When the windows were cut from longer recordings (`HARData.windowed`), the model's and
the forest's window probabilities are also voted per test recording (their mean,
`domains.har.data.windows.vote`) and scored as `recording_accuracy` and `recording_macro_f1`,
for the model and both baselines alike. The CLI's `evaluate`, the tasks' `demo`, the notebook and the preset's stored score all
read this one result.
"""

import pathlib

import numpy as np

from core.evaluation import classification_report, plot_confusion_matrix, report_result
from domains.har.data.windows import recording_labels, vote

# Per-channel statistics of a window (`summary_features`), in this order.
PERCENTILES = (10, 25, 50, 75, 90)
SUMMARY_FEATURES = ("mean", "std", "min", "max", *(f"p{q}" for q in PERCENTILES), "mean_abs_diff")
FOREST_TREES = 300


def summary_features(x):
    """Per-channel summary statistics of each window: the random forest baseline's input.

    For every channel: mean, standard deviation, minimum, maximum, the 10/25/50/75/90th
    percentiles and the mean absolute step-to-step difference (`SUMMARY_FEATURES`), over time.

    Args:
        x: array `(windows, time, channels)`.

    Returns:
        float32 array `(windows, channels * len(SUMMARY_FEATURES))`, channel-major.

    Raises:
        ValueError: `x` is not 3-D.

    Example:
    ```python
    x = np.stack([np.tile(np.arange(4.0)[:, None], (1, 2))])   # 1 window, 4 steps, 2 channels
    summary_features(x).shape                                   # (1, 20)
    summary_features(x)[0, :4]                                  # mean 1.5, std 1.118, min 0, max 3
    ```
    """
    x = np.asarray(x, dtype="float64")
    if x.ndim != 3:
        raise ValueError(f"summary_features takes windows (windows, time, channels). Received: x.shape={x.shape}")
    steps = np.abs(np.diff(x, axis=1)).mean(axis=1) if x.shape[1] > 1 else np.zeros((len(x), x.shape[2]))
    features = [x.mean(axis=1), x.std(axis=1), x.min(axis=1), x.max(axis=1),
                *np.percentile(x, PERCENTILES, axis=1), steps]
    return np.stack(features, axis=-1).reshape(len(x), -1).astype("float32")


def random_forest_probabilities(data, trees=FOREST_TREES, seed=0):
    """Test-split class probabilities `(test windows, classes)` of the `random_forest_predictions` forest.

    Args:
        data: domains.har.data.HARData.
        trees: int. Defaults to `FOREST_TREES` (300).
        seed: int. Defaults to 0.

    Returns:
        float array `(test windows, data.num_classes)`; a class absent from training gets 0.

    Example:
    ```python
    probabilities = random_forest_probabilities(load_har("watch"))   # voted per recording by `report`
    ```
    """
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(n_estimators=trees, random_state=seed, n_jobs=1)
    forest.fit(summary_features(data.x_train), data.y_train)
    probabilities = np.zeros((len(data.x_test), data.num_classes))
    probabilities[:, forest.classes_] = forest.predict_proba(summary_features(data.x_test))
    return probabilities


def random_forest_predictions(data, trees=FOREST_TREES, seed=0):
    """Test-split predictions of a random forest on `summary_features`, fitted on the training split.

    scikit-learn's `RandomForestClassifier(trees, random_state=seed, n_jobs=1)`: the same
    predictions on every run. The validation split is not used (the forest chooses nothing).

    Args:
        data: domains.har.data.HARData.
        trees: int. Number of trees. Defaults to `FOREST_TREES` (300).
        seed: int. The forest's `random_state`. Defaults to 0.

    Returns:
        int array `(test windows,)` of predicted labels.

    Example:
    ```python
    data = load_har("basicmotions")
    predicted = random_forest_predictions(data)
    (predicted == data.y_test).mean()
    ```
    """
    return random_forest_probabilities(data, trees, seed).argmax(axis=1)


def as_probabilities(scores):
    """Class probabilities from a model's scores: rows already summing to one are kept, logits get a softmax.

    Args:
        scores: float array `(windows, classes)` (FusionActNet's probabilities, the ResNet's logits).

    Returns:
        float64 array of the same shape, rows summing to one.

    Example:
    ```python
    as_probabilities(np.array([[0.0, 0.0]]))   # [[0.5, 0.5]]
    ```
    """
    scores = np.asarray(scores, dtype=np.float64)
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-4):
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def chance_metrics(y_true, num_classes):
    """Expected accuracy and macro-F1 of guessing a class uniformly at random.

    Accuracy is 1 / classes; a class of test share p has precision p and recall 1 / classes,
    so its F1 is 2p / (1 + p * classes); macro-F1 averages that over the classes.

    Args:
        y_true: int array of true labels.
        num_classes: int.

    Returns:
        dict with "accuracy" and "macro_f1".

    Example:
    ```python
    chance_metrics([0, 1, 2, 3], 4)   # {'accuracy': 0.25, 'macro_f1': 0.25}
    ```
    """
    shares = np.bincount(np.asarray(y_true, dtype=int), minlength=num_classes) / max(len(y_true), 1)
    f1 = 2 * shares / (1 + shares * num_classes)
    return {"accuracy": 1.0 / num_classes, "macro_f1": float(f1.mean())}


def report(model, data, output_dir, title, forest_trees=FOREST_TREES, forest_seed=0, vote_method="mean"):
    """Evaluate once on the test split beside a random forest and chance: accuracy, macro-F1.

    Args:
        model: a trained classifier returning class scores (FusionActNet, the ResNet-1D `Classifier`).
        data: domains.har.data.HARData (the forest is fitted on `x_train`, everything scored on `x_test`).
        output_dir: str or Path. Gets `confusion_matrix.png` and `report.json`.
        title: str. What was evaluated, e.g. "preset fusionactnet_basicmotions".
        forest_trees: int. Trees of the random forest baseline. Defaults to 300.
        forest_seed: int. Its `random_state`. Defaults to 0.
        vote_method: "mean" or "log": how a recording's windows vote (`windows.vote`), for the
            model and the forest alike. Defaults to "mean".

    Returns:
        dict (`core.evaluation.report_result`): `metrics` {"accuracy", "macro_f1"} over the test
        windows (and "recording_accuracy", "recording_macro_f1" over the voted recordings when
        `data.windowed`), `baselines` {"random_forest", "chance"} under the same keys, `figures`
        [the confusion matrix PNG (and the recordings' one)],
        `details` (test windows, per-class F1, confusion matrices of the model and the forest,
        the forest's features), `title`, `report_json`.

    Example:
    ```python
    from domains.har import FusionActNet, load_har
    result = report(FusionActNet.from_preset("fusionactnet_basicmotions"), load_har("basicmotions"),
                    "runs/har", "preset fusionactnet_basicmotions")
    result["metrics"]["accuracy"], result["baselines"]["random_forest"]["accuracy"]
    ```
    """
    output_dir = pathlib.Path(output_dir)
    model_probabilities = as_probabilities(model.predict(data.x_test, verbose=0))
    forest_probabilities = random_forest_probabilities(data, forest_trees, forest_seed)
    model_report = classification_report(data.y_test, model_probabilities, data.class_names)
    forest = classification_report(data.y_test, forest_probabilities, data.class_names)
    headline = ("accuracy", "macro_f1")
    metrics = {key: model_report[key] for key in headline}
    forest_metrics = {key: forest[key] for key in headline}
    chance = chance_metrics(data.y_test, data.num_classes)
    figures = [plot_confusion_matrix(model_report["confusion_matrix"], data.class_names,
                                     output_dir / "confusion_matrix.png",
                                     title=f"{title}: test accuracy {model_report['accuracy']:.1%}"
                                           + (" (windows)" if data.windowed else ""))]
    details = {
        "dataset": data.name, "n_test": model_report["n"], "class_names": list(data.class_names),
        "per_class_f1": model_report["per_class_f1"], "confusion_matrix": model_report["confusion_matrix"],
        "random_forest": {"trees": forest_trees, "seed": forest_seed, "fitted_on": f"{len(data.x_train)} training windows",
                          "features": f"per channel: {', '.join(SUMMARY_FEATURES)}",
                          "per_class_f1": forest["per_class_f1"], "confusion_matrix": forest["confusion_matrix"]},
        "chance": "uniform guessing: expected accuracy 1/classes and macro-F1 for the test split's class shares",
    }
    if data.windowed:
        y_recordings = recording_labels(data.y_test, data.recordings_test)
        voted = classification_report(y_recordings, vote(model_probabilities, data.recordings_test, vote_method)[1],
                                      data.class_names)
        forest_voted = classification_report(y_recordings, vote(forest_probabilities, data.recordings_test, vote_method)[1],
                                             data.class_names)
        recording_chance = chance_metrics(y_recordings, data.num_classes)
        for key in headline:
            metrics[f"recording_{key}"] = voted[key]
            forest_metrics[f"recording_{key}"] = forest_voted[key]
            chance[f"recording_{key}"] = recording_chance[key]
        figures.append(plot_confusion_matrix(voted["confusion_matrix"], data.class_names,
                                             output_dir / "confusion_matrix_recordings.png",
                                             title=f"{title}: {voted['accuracy']:.1%} of recordings ({vote_method} vote)"))
        details.update({
            "n_test_recordings": voted["n"],
            "voting": ("each test recording: the mean class probability of its windows" if vote_method == "mean" else
                       "each test recording: the mean log-probability of its windows") + " (model and forest alike)",
            "recording_per_class_f1": voted["per_class_f1"], "recording_confusion_matrix": voted["confusion_matrix"],
        })
        details["random_forest"]["recording_confusion_matrix"] = forest_voted["confusion_matrix"]
    return report_result(title, metrics, {"random_forest": forest_metrics, "chance": chance}, figures, output_dir,
                         details)
