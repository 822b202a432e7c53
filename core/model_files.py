"""Which model a `.keras` file holds, read from its config without building it.

A task given another task's model file would otherwise fail deep inside TensorFlow ("in user
code: ... Input 0 of layer ..."). Each `core.registry.TaskRunner` accepts the kinds its
`accepted_models()` names (its model class's, or those of `saved_models`); before a task runs
with `--model PATH`, `check_model_file` reads the file's
`config.json` (no weights, no graph) and names the task the file belongs to.

A model's *kind* is its registered class name without the package (`"FusionActNet"`,
`"Classifier"`), or, for a plain functional model, the name it was built with
(`"disgan_generator"`).

Example:
```python
# example: not run (needs a trained model)
from core.model_files import model_kind
model_kind("runs/har/best.keras")   # 'FusionActNet'
```
"""

import json
import pathlib
import zipfile

__all__ = ["check_model_file", "load_model_file", "model_kind", "read_config"]

_PLAIN_MODELS = ("Functional", "Sequential", "Model")


def read_config(path):
    """The model config a `.keras` file stores (its `config.json`), read without building the model.

    Args:
        path: str or `os.PathLike`. A `.keras` file.

    Returns:
        dict.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a Keras `.keras` archive.

    Example:
    ```python
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Dense(1)(inputs), name="scorer").save("scorer.keras")
    read_config("scorer.keras")["config"]["name"]   # 'scorer'
    ```
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file (expected a Keras .keras file)")
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{path}: not a Keras .keras file (a zip archive holding config.json). "
                         f"Received: {path}") from None


def model_kind(path):
    """The kind of model a `.keras` file holds (see the module docstring).

    Args:
        path: str or `os.PathLike`. A `.keras` file.

    Returns:
        str.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a Keras `.keras` archive.

    Example:
    ```python
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Dense(1)(inputs), name="scorer").save("scorer.keras")
    model_kind("scorer.keras")   # 'scorer'
    ```
    """
    config = read_config(path)
    kind = (config.get("registered_name") or config.get("class_name") or "").split(">")[-1]
    if kind in _PLAIN_MODELS:
        return config.get("config", {}).get("name") or kind
    return kind


def check_model_file(path, task):
    """Raise a clear error when `path` holds the model of another registered task.

    Nothing is checked for a task that accepts no kind (`TaskRunner.accepted_models`); a file whose
    kind no registered task saves passes (the task's own loader says whether it can use it).

    Args:
        path: str or `os.PathLike`. The `.keras` file given to the task.
        task: a `core.registry.TaskRunner` (class or instance).

    Raises:
        FileNotFoundError, ValueError: see `model_kind`; or the file holds another task's model
            (the message names the file, its kind, the task(s) that save that kind, and `task`).

    Example:
    ```python
    # example: not run (needs a saved model)
    check_model_file("runs/har/best.keras", get_task("mri.disgan"))
    # ValueError: runs/har/best.keras holds a FusionActNet, a model of har.fusionactnet; mri.disgan ...
    ```
    """
    accepted = task.accepted_models()
    if not accepted:
        return
    kind = model_kind(path)
    if kind in accepted:
        return
    from core.registry import list_tasks

    owners = [name for name, other in list_tasks().items() if kind in other.accepted_models()]
    if not owners:  # a model no task claims (e.g. a user's own generator): the task's loader decides
        return
    raise ValueError(f"{path} holds a {kind}, a model of {' or '.join(owners)}; {task.name} loads a "
                     f"{' or a '.join(accepted)}. Received: --model {path} for task {task.name}")


def load_model_file(path, expected_class, hint=""):
    """Load a `.keras` file that must hold an `expected_class`, with clear errors naming the file.

    Loads through `core.saving.load_model` (the suite's modules the file names are imported first).

    Args:
        path: str or `os.PathLike`.
        expected_class: the model class the caller needs (e.g. a domain's headline model).
        hint: str. Appended to the missing-file message (e.g. where presets come from). Defaults to "".

    Returns:
        The loaded model.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file holds another class of model.

    Example:
    ```python
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Dense(1)(inputs)).save("plain.keras")
    load_model_file("plain.keras", keras.Model).output_shape   # (None, 1)
    ```
    """
    from core.saving import load_model

    name = expected_class.__name__
    if not pathlib.Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such model file (expected a saved {name} .keras{hint})")
    model = load_model(path)
    if not isinstance(model, expected_class):
        raise ValueError(f"{path}: expected a saved {name}. Received: a {type(model).__name__}")
    return model
