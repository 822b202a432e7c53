"""Which classes are static: the split FusionActNet needs, for a data set that does not say.

FusionActNet gives static activities (postures: sitting, standing, lying) one expert and dynamic
ones (walking, running, ...) the other. The known sets name their static classes; for any other
set the *activity rule* chooses them from the training windows alone (never the test set):

1. The activity of a window is the standard deviation over time of each channel, divided by that
   channel's standard deviation over the whole training split (so that no channel's units
   dominate), averaged over the channels.
2. The activity of a class is the median over its training windows.
3. Sorted by activity, the classes are cut at the largest ratio between neighbours (the largest
   gap on a log scale): the classes below the cut are static. Both groups are never empty.

Postures hold still and score low; movements score high. For a set that is not about activities
the rule still gives a valid split (each expert learns a group of similar-variance classes), and
`--option static_classes=[...]` overrides it.

A set of exercises or gestures has no postures, and cutting it by energy can put unlike movements
together. `choose_grouping` therefore chooses among candidate groupings on the training split
alone, by how well the gate could tell the groups apart:

- `activity`: the activity rule above;
- `clusters`: the two clusters (Ward linkage) of the classes' mean summary features (the random
  forest's per-channel statistics, standardised over the training windows), the cluster of lower
  activity called static;
- `one expert`: no grouping (`FusionActNet(static_classes=[])`: one expert on every class, no gate).

Each two-group candidate is scored by its *separability*: the balanced accuracy, cross-validated
over the training split (folds by subject, else by recording, else stratified), of a random forest
predicting the group of a window from its summary features. The best candidate is kept when its
separability is at least `MIN_SEPARABILITY` (0.9: the gate's routing would err on at most about
one window in ten); otherwise one expert, since a gate that cannot route costs more than it gives.
"""

import dataclasses

import numpy as np

__all__ = ["MIN_SEPARABILITY", "Grouping", "choose_grouping", "class_activity", "choose_static_classes",
           "cluster_static_classes", "group_separability"]

MIN_SEPARABILITY = 0.9


def class_activity(x, y, class_names):
    """{class name: median normalised temporal standard deviation of its windows} (rule steps 1-2).

    Args:
        x: float array `(windows, time, channels)`. Training windows.
        y: int array `(windows,)`. Their class indices into `class_names`.
        class_names: list of str.

    Returns:
        dict, in `class_names` order (a class without windows is left out).

    Example:
    ```python
    x = np.stack([np.zeros((32, 1)), np.sin(np.arange(32.0))[:, None]])
    class_activity(x, np.array([0, 1]), ["still", "move"])   # {'still': 0.0, 'move': 1.4...}
    ```
    """
    x = np.asarray(x, dtype=np.float64)
    scale = x.std(axis=(0, 1))
    scale[scale == 0] = 1.0
    window_activity = (x.std(axis=1) / scale).mean(axis=1)
    y = np.asarray(y)
    return {name: float(np.median(window_activity[y == i])) for i, name in enumerate(class_names) if np.any(y == i)}


def choose_static_classes(x, y, class_names):
    """The static classes by the activity rule (module docstring), and the activity of each class.

    Args:
        x: float array `(windows, time, channels)`. Training windows.
        y: int array. Their class indices.
        class_names: list of str, at least two classes with windows.

    Returns:
        A tuple `(static_classes, activity)`: the list of static class names (in `class_names`
        order) and the `class_activity` dict.

    Raises:
        ValueError: fewer than two classes have training windows.

    Example:
    ```python
    from domains.har.data import load_har
    data = load_har("basicmotions")
    static, activity = choose_static_classes(data.x_train, data.y_train, data.class_names)
    static   # ['Standing']
    ```
    """
    activity = class_activity(x, y, class_names)
    if len(activity) < 2:
        raise ValueError(f"The activity rule needs training windows of at least two classes. "
                         f"Received: windows of {sorted(activity)}")
    ordered = sorted(activity, key=activity.get)
    levels = np.log(np.maximum([activity[name] for name in ordered], 1e-12))
    cut = int(np.argmax(np.diff(levels))) + 1
    static = set(ordered[:cut])
    return [name for name in class_names if name in static], activity


def cluster_static_classes(x, y, class_names):
    """The two clusters of the classes' mean summary features; the one of lower activity is static.

    Args:
        x: float array `(windows, time, channels)`. Training windows.
        y: int array. Their class indices.
        class_names: list of str, at least two classes with windows.

    Returns:
        list of the static class names (in `class_names` order), neither empty nor all classes.

    Example:
    ```python
    static = cluster_static_classes(data.x_train, data.y_train, data.class_names)
    ```
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    from domains.har.evaluation import summary_features

    activity = class_activity(x, y, class_names)
    if len(activity) < 2:
        raise ValueError(f"Clustering needs training windows of at least two classes. Received: windows of {sorted(activity)}")
    features = summary_features(x).astype(np.float64)
    scale = features.std(axis=0)
    features = (features - features.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    y = np.asarray(y)
    present = [i for i, name in enumerate(class_names) if name in activity]
    means = np.stack([features[y == i].mean(axis=0) for i in present])
    labels = fcluster(linkage(means, method="ward"), 2, criterion="maxclust") if len(present) > 2 else np.array([1, 2])
    clusters = [[class_names[i] for i, c in zip(present, labels) if c == k] for k in sorted(set(labels))]
    if len(clusters) < 2:  # identical class means: no structure to cluster
        return choose_static_classes(x, y, class_names)[0]
    static = min(clusters, key=lambda names: np.mean([activity[n] for n in names]))
    return [name for name in class_names if name in static]


def group_separability(x, y, class_names, static_classes, folds_by=None, seed=0):
    """Cross-validated balanced accuracy of a random forest telling the static group from the dynamic one.

    Args:
        x: float array `(windows, time, channels)`. Training windows.
        y: int array. Their class indices.
        class_names: list of str.
        static_classes: list of str. The static group (the rest is dynamic).
        folds_by: int array `(windows,)` or `None`. Subject (or recording) of each window: folds
            never split one (`GroupKFold`); `None`: stratified folds of windows.
        seed: int. The forest's and the folds' seed. Defaults to 0.

    Returns:
        float in [0, 1].

    Example:
    ```python
    group_separability(data.x_train, data.y_train, data.class_names, ["Standing"])   # close to 1
    ```
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_predict

    from domains.har.evaluation import summary_features

    static = [class_names.index(name) for name in static_classes]
    target = np.isin(np.asarray(y), static).astype(int)
    folds = min(3, int(np.bincount(target, minlength=2).min()))
    if folds_by is not None:
        folds = min(folds, len(np.unique(folds_by)))
    if folds < 2:
        return 0.0
    splitter = (GroupKFold(folds) if folds_by is not None
                else StratifiedKFold(folds, shuffle=True, random_state=seed))
    forest = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
    predicted = cross_val_predict(forest, summary_features(x), target, cv=splitter, groups=folds_by)
    return float(balanced_accuracy_score(target, predicted))


@dataclasses.dataclass
class Grouping:
    """The grouping `choose_grouping` chose, and why.

    Args:
        static_classes: list of str. The static group; empty for one expert.
        method: str. `"activity"`, `"clusters"` or `"one expert"`.
        separability: dict. {candidate: its separability} of the two-group candidates.
        reason: str. One sentence for the run's results.
    """

    static_classes: list
    method: str
    separability: dict
    reason: str


def choose_grouping(x, y, class_names, folds_by=None, min_separability=MIN_SEPARABILITY, seed=0):
    """Choose the experts' grouping on the training split (module docstring): best separability, or one expert.

    Args:
        x: float array `(windows, time, channels)`. Training windows only.
        y: int array. Their class indices.
        class_names: list of str.
        folds_by: int array or `None`. Subject or recording of each window (see `group_separability`).
        min_separability: float. Below it, one expert. Defaults to `MIN_SEPARABILITY` (0.9).
        seed: int. Defaults to 0.

    Returns:
        A `Grouping`.

    Example:
    ```python
    grouping = choose_grouping(data.x_train, data.y_train, data.class_names, folds_by=data.subjects_train)
    grouping.method, grouping.static_classes, grouping.reason
    ```
    """
    candidates = {"activity": choose_static_classes(x, y, class_names)[0],
                  "clusters": cluster_static_classes(x, y, class_names)}
    scores = {method: group_separability(x, y, class_names, static, folds_by, seed)
              for method, static in candidates.items()}
    best = max(scores, key=lambda method: (scores[method], method == "activity"))
    described = "; ".join(f"{method} [{', '.join(candidates[method])} | rest] {scores[method]:.3f}" for method in scores)
    if scores[best] < min_separability:
        return Grouping([], "one expert", scores,
                        f"one expert: no grouping separates well enough for a gate (cross-validated balanced accuracy "
                        f"of the group on the training split: {described}; needed {min_separability})")
    return Grouping(candidates[best], best, scores,
                    f"{best}: the best separated grouping on the training split (cross-validated balanced accuracy "
                    f"of the group: {described})")
