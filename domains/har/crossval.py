"""Choosing a recipe by cross-validation over the training subjects, never the test subjects.

A recipe (augmentation, windows, width, epochs, ...) chosen on the test subjects' scores would
overstate how it does on people it never saw. `subject_folds` therefore drops the test split
first (`training_only`), pools the training and validation windows (all of them training
subjects), and cuts them into leave-subjects-out folds (`sklearn.model_selection.GroupKFold`):
each fold trains on some training subjects and is scored on the others, as `HARData` whose test
split is the held-out subjects' windows. `cross_validate` runs a recipe over the folds and scores
every training subject's windows and recordings exactly once (pooled over the folds).
"""

import dataclasses

import numpy as np

from domains.har.data.windows import VOTES, recording_labels, vote

__all__ = ["cross_validate", "pooled_scores", "subject_folds", "training_only"]


def training_only(data):
    """`data` with its test split removed and the validation split pooled into the training one.

    Args:
        data: domains.har.data.HARData with `subjects_train` (and `subjects_val`).

    Returns:
        A `HARData` whose train split holds every training-subject window, and whose validation and
        test splits are empty.

    Raises:
        ValueError: the data set has no subjects.

    Example:
    ```python
    pooled = training_only(load_har("watch"))
    sorted(set(pooled.subjects_train))   # [1, 2, 3, 4, 5, 6, 7]
    ```
    """
    if data.subjects_train is None:
        raise ValueError(f"Subject folds need the subject of each window. Received: {data.name} without subjects")

    def pooled(key):
        a, b = getattr(data, f"{key}_train"), getattr(data, f"{key}_val")
        return a if b is None or len(b) == 0 else np.concatenate([a, b])

    x = pooled("x")
    empty = dict(x_val=x[:0], y_val=data.y_train[:0], x_test=x[:0], y_test=data.y_train[:0],
                 subjects_val=data.subjects_train[:0], subjects_test=data.subjects_train[:0])
    recordings = {}
    if data.recordings_train is not None:
        recordings = dict(recordings_train=pooled("recordings"), recordings_val=data.recordings_train[:0],
                          recordings_test=data.recordings_train[:0])
    return dataclasses.replace(data, x_train=x, y_train=pooled("y"), subjects_train=pooled("subjects"),
                               **empty, **recordings)


def subject_folds(data, n_folds=3):
    """Leave-subjects-out folds of the training subjects: one `HARData` per fold.

    Each fold's train split is the windows of the other folds' subjects; its test split the
    windows of its own subjects; its validation split is empty (a recipe runs its fixed epochs).
    The data's own test split is never read.

    Args:
        data: domains.har.data.HARData with subjects.
        n_folds: int >= 2, at most the number of training subjects. Defaults to 3.

    Returns:
        list of `HARData`, one per fold, in `GroupKFold` order.

    Example:
    ```python
    folds = subject_folds(load_har("watch"), 3)
    [sorted(set(fold.subjects_test)) for fold in folds]
    ```
    """
    from sklearn.model_selection import GroupKFold

    pooled = training_only(data)
    subjects = pooled.subjects_train
    if not 2 <= n_folds <= len(np.unique(subjects)):
        raise ValueError(f"n_folds must be between 2 and the {len(np.unique(subjects))} training subjects. "
                         f"Received: n_folds={n_folds}")
    folds = []
    for train, held_out in GroupKFold(n_folds).split(pooled.x_train, pooled.y_train, groups=subjects):
        part = {}
        for key in ("x", "y", "subjects", "recordings"):
            values = getattr(pooled, f"{key}_train")
            if values is not None:
                part[f"{key}_train"], part[f"{key}_test"] = values[train], values[held_out]
        folds.append(dataclasses.replace(pooled, **part))
    return folds


def cross_validate(data, fit_predict, n_folds=3, only=None):
    """Run a recipe over the subject folds; score the held-out windows and recordings, pooled.

    Args:
        data: domains.har.data.HARData with subjects (its test split is never read).
        fit_predict: callable `(fold: HARData, index: int) -> probabilities` of the fold's test
            (held-out subjects') windows, `(windows, classes)`, trained on the fold's train split.
        n_folds: int. Defaults to 3.
        only: list of fold indices or `None`. Run only these folds (to split a long search into
            short runs; `pooled_scores` joins their `predictions`). Defaults to `None`: all.

    Returns:
        dict: `pooled_scores` of the folds run (`window_accuracy`, `recording_accuracy_mean`,
        `recording_accuracy_log`, `recordings`), `per_fold` (the same per fold, with its subjects)
        and `predictions` (per fold: `fold`, `subjects`, `y`, `recordings`, `probabilities`).

    Example:
    ```python
    from domains.har.evaluation import random_forest_probabilities
    cross_validate(load_har("watch"), lambda fold, i: random_forest_probabilities(fold))["recording_accuracy_mean"]
    ```
    """
    predictions = []
    for index, fold in enumerate(subject_folds(data, n_folds)):
        if only is not None and index not in only:
            continue
        probabilities = np.asarray(fit_predict(fold, index), dtype=np.float64)
        if probabilities.shape != (len(fold.x_test), fold.num_classes):
            raise ValueError(f"fit_predict must return ({len(fold.x_test)}, {fold.num_classes}) probabilities. "
                             f"Received: shape {probabilities.shape}")
        recordings = fold.recordings_test if fold.recordings_test is not None else np.arange(len(fold.y_test))
        predictions.append({"fold": index, "subjects": sorted(int(s) for s in np.unique(fold.subjects_test)),
                            "y": fold.y_test, "recordings": recordings, "probabilities": probabilities})
    per_fold = [{"fold": p["fold"], "subjects": p["subjects"], **_scores(p["y"], p["probabilities"], p["recordings"])}
                for p in predictions]
    return {**pooled_scores(predictions), "per_fold": per_fold, "predictions": predictions}


def pooled_scores(predictions):
    """Window and recording accuracy (each vote of `VOTES`) over the folds' held-out predictions together.

    Args:
        predictions: list of dicts with `y`, `recordings` and `probabilities` (`cross_validate`'s).

    Returns:
        dict: `window_accuracy`, `recording_accuracy_mean`, `recording_accuracy_log`, `recordings`.

    Example:
    ```python
    pooled_scores(first["predictions"] + second["predictions"])
    ```
    """
    if not predictions:
        raise ValueError("pooled_scores needs the predictions of at least one fold. Received: []")
    return _scores(np.concatenate([np.asarray(p["y"]) for p in predictions]),
                   np.concatenate([np.asarray(p["probabilities"]) for p in predictions]),
                   np.concatenate([np.asarray(p["recordings"]) for p in predictions]))


def _scores(y, probabilities, recordings):
    scores = {"window_accuracy": float(np.mean(probabilities.argmax(axis=1) == y))}
    labels = recording_labels(y, recordings)
    for method in VOTES:
        scores[f"recording_accuracy_{method}"] = float(np.mean(vote(probabilities, recordings, method)[1].argmax(axis=1)
                                                               == labels))
    scores["recordings"] = int(len(labels))
    return scores
