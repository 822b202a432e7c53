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
"""

import numpy as np

__all__ = ["class_activity", "choose_static_classes"]


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
