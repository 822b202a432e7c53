"""Load any `.keras` file the suite wrote, in a fresh process, without knowing its domain.

Keras 3 finds a custom class while loading only if the module that registers it has been
imported (it imports modules of its own packages only). A file saved by `domains.har` needs
`import domains.har` first, one saved by DISGAN needs `core.layers.dense`, and so on. The
file's `config.json` names each object's `module`: `load_model` imports those of the suite's
packages (`core.`, `domains.`; nothing else is imported) and then calls
`keras.saving.load_model`. `domains.load_model` is the same function reached by a light
`import domains`.

Example:
```python
inputs = keras.Input((3,))
keras.Model(inputs, keras.layers.Dense(1)(inputs), name="scorer").save("scorer.keras")
load_model("scorer.keras").name   # 'scorer'
```
"""

import importlib

from core.model_files import read_config

__all__ = ["SUITE_PACKAGES", "import_model_modules", "load_model", "model_modules"]

SUITE_PACKAGES = ("core", "domains")  # the only packages whose modules a file may make us import


def model_modules(path):
    """The modules of the suite's packages that a `.keras` file's config names, sorted.

    Args:
        path: str or `os.PathLike`. A `.keras` file.

    Returns:
        list of str (dotted module names under `SUITE_PACKAGES`).

    Raises:
        FileNotFoundError, ValueError: see `core.model_files.read_config`.

    Example:
    ```python
    from core.layers.pixel_shuffle import PixelShuffle
    inputs = keras.Input((4, 4, 4, 8))
    keras.Model(inputs, PixelShuffle(rank=3, scale=2)(inputs)).save("shuffle.keras")
    model_modules("shuffle.keras")   # ['core.layers.pixel_shuffle']
    ```
    """
    found = set()
    stack = [read_config(path)]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            module = item.get("module")
            if isinstance(module, str) and module.split(".")[0] in SUITE_PACKAGES:
                found.add(module)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(found)


def import_model_modules(path):
    """Import the modules a `.keras` file needs (`model_modules`), so that `keras.saving.load_model` finds its classes.

    Args:
        path: str or `os.PathLike`. A `.keras` file.

    Returns:
        list of str: the modules imported.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a `.keras` file, or it names a module of the suite that does not exist
            (a file of another version of the suite, or a domain that is not installed).

    Example:
    ```python
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Dense(1)(inputs)).save("plain.keras")
    import_model_modules("plain.keras")   # [] (Keras's own layers only)
    ```
    """
    modules = model_modules(path)
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            raise ValueError(f"{path}: its model needs the module {module}, which cannot be imported ({error}); "
                             f"it was saved by another version of resuite or needs a domain's extra "
                             f"(pip install -e \".[DOMAIN]\"). Received: {path}") from None
    return modules


def load_model(path, **kwargs):
    """`keras.saving.load_model(path, **kwargs)` after importing the suite's modules the file names.

    Args:
        path: str or `os.PathLike`. A `.keras` file written by the suite (a run's `best.keras`,
            a preset's `model.keras`).
        **kwargs: passed to `keras.saving.load_model` (e.g. `compile=False`).

    Returns:
        The loaded model.

    Raises:
        FileNotFoundError, ValueError: see `import_model_modules`.

    Example:
    ```python
    from core.layers.pixel_shuffle import PixelShuffle
    inputs = keras.Input((4, 4, 4, 8))
    keras.Model(inputs, PixelShuffle(rank=3, scale=2)(inputs)).save("shuffle.keras")
    load_model("shuffle.keras").output_shape   # (None, 8, 8, 8, 1)
    ```
    """
    import keras

    import_model_modules(path)
    return keras.saving.load_model(path, **kwargs)
