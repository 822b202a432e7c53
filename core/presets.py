"""Presets: small trained models shipped inside a domain's package, as keras-hub has them.

A preset is a folder `<package>/presets/<name>/` holding `model.keras` (a whole saved model)
and `metadata.json`: what it is, the command that made it (`make presets`, a fixed seed, the
real sample data), its size and the metrics measured on held-out data when it was made. Each
preset stays under `MAX_PRESET_MB` so that the wheel stays small; nothing is downloaded.

Example:
```python
from core import presets
presets.list_presets("domains.mri.quality")           # {name: metadata}
model = presets.load_preset("domains.mri.quality", "ssim_mni_small")
```
"""

import contextlib
import importlib.resources
import json
import pathlib
import tempfile

import keras

MAX_PRESET_MB = 10.0
MODEL_FILE = "model.keras"
METADATA_FILE = "metadata.json"


def presets_dir(package):
    """The `presets/` folder of `package` (a dotted module name), whether or not it exists."""
    return pathlib.Path(str(importlib.resources.files(package))) / "presets"


def list_presets(package):
    """{name: metadata} of the presets shipped in `package`, sorted by name."""
    root = presets_dir(package)
    if not root.is_dir():
        return {}
    return {folder.name: json.loads((folder / METADATA_FILE).read_text())
            for folder in sorted(root.iterdir()) if (folder / MODEL_FILE).is_file()}


def load_preset(package, name, expected_class=None):
    """The model of preset `name` in `package`, loaded without its optimizer state.

    Args:
        package: str. Dotted name of the package that ships the preset, e.g. "domains.mri.quality".
        name: str. The preset's name (`list_presets(package)` lists them).
        expected_class: type or None. Raise when the saved model is not an instance of it.

    Raises:
        ValueError: unknown name (listing the shipped presets) or a model of another class.
    """
    folder = presets_dir(package) / name
    if not (folder / MODEL_FILE).is_file():
        known = ", ".join(list_presets(package)) or "none"
        raise ValueError(f"No preset {name!r} in {package}. Its presets: {known}. Received: name={name!r}")
    model = keras.saving.load_model(folder / MODEL_FILE, compile=False)
    if expected_class is not None and not isinstance(model, expected_class):
        raise ValueError(f"Preset {name!r} of {package} holds a {type(model).__name__}, "
                         f"not a {expected_class.__name__}. Received: {folder / MODEL_FILE}")
    return model


def save_preset(model, package, name, metadata):
    """Save `model` as preset `name` of `package` (in the source tree), with its metadata.

    Args:
        model: keras.Model to ship.
        package: str. Dotted name of the package (its folder gets `presets/<name>/`).
        name: str. The preset's name.
        metadata: dict. JSON-serialisable: description, command, seed, metrics...

    Returns:
        pathlib.Path of the preset folder.

    Raises:
        ValueError: when the saved model is larger than `MAX_PRESET_MB`.
    """
    folder = presets_dir(package) / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    # An uncompiled copy: a preset ships weights, not optimizer state (half the size with Adam).
    config = keras.saving.serialize_keras_object(model)
    config.pop("compile_config", None)
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(model.get_weights())
    copy.save(path)
    megabytes = path.stat().st_size / 1e6
    if megabytes > MAX_PRESET_MB:
        path.unlink()
        raise ValueError(f"A preset must stay under {MAX_PRESET_MB:g} MB. Received: {name} of {megabytes:.1f} MB")
    metadata = {"name": name, "class": type(model).__name__, "parameters": int(model.count_params()),
                "size_mb": round(megabytes, 2), **metadata}
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
    return folder


@contextlib.contextmanager
def preset_run(task, name, options, epochs, seed=0, verbose=1):
    """A throw-away run folder for training preset `name`: yields `(config, command)`.

    Args:
        task: the `core.registry.TaskRunner` that trains it.
        name: str. The preset's name.
        options: dict. The task options of the recipe.
        epochs: int. The recipe's `--epochs`.
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.

    Yields:
        A `RunConfig` in a temporary folder (deleted afterwards), and the equivalent
        `resuite train` command line for the preset's metadata.
    """
    from core.registry import RunConfig

    given = " ".join(f"--option {key}={json.dumps(value) if isinstance(value, list) else value}"
                     for key, value in options.items())
    command = f"make presets  (resuite train {task.name} --epochs {epochs} --seed {seed} {given})"
    with tempfile.TemporaryDirectory(prefix=f"preset-{name}-") as folder:
        yield RunConfig(output_dir=pathlib.Path(folder), epochs=epochs, seed=seed, verbose=verbose,
                        options=task.resolve_options(options)), command


def train_presets(task, package, recipes, describe, names=None, seed=0, verbose=1):
    """Train presets with `task.train` and save them: the loop behind a domain's `make_presets`.

    Args:
        task: the `core.registry.TaskRunner` (instance) that trains them.
        package: str. Dotted name of the package that ships them, e.g. "domains.fundus".
        recipes: dict. `{name: (description, task options, epochs)}`.
        describe: callable `(train results, config) -> (model, metadata)`: the model to ship
            (e.g. loaded from the run's `best.keras`) and what to record beside it (metrics, data).
            It runs while the run folder still exists.
        names: list of str or None (every recipe).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.

    Returns:
        `{name: preset folder}`.

    Example:
    ```python
    # example: not run (trains a model for minutes)
    from domains.mri.quality.presets import RECIPES
    from domains.mri.quality.task import SSIMRegressionTask

    def describe(results, config):
        return keras.saving.load_model(results["best_model"]), {"metrics": results["test"]}

    train_presets(SSIMRegressionTask(), "domains.mri.quality", RECIPES, describe)
    ```
    """
    made = {}
    for name in names or recipes:
        description, options, epochs = recipes[name]
        with preset_run(task, name, options, epochs, seed, verbose) as (config, command):
            model, metadata = describe(task.train(config), config)
        made[name] = save_preset(model, package, name, {"description": description, "command": command,
                                                        "seed": seed, **metadata})
    return made
