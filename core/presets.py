"""Presets: small trained models shipped inside a domain's package, as keras-hub has them.

A preset is a folder `<package>/presets/<name>/` holding `model.keras` (a whole saved model)
and `metadata.json`: what it is, the command that made it (`make presets`, a fixed seed, the
real sample data), its size and the metrics measured on held-out data when it was made. Each
preset stays under `MAX_PRESET_MB` so that the wheel stays small; nothing is downloaded. A model
a little over the limit can store its large weight arrays in float16 (`float16_from`): half their
bytes, read back into the model's float32 variables (it computes in float32 as before, with
weights rounded to float16's 11 significant bits).

Example:
```python
from core import presets
presets.list_presets("domains.mri.quality")           # {name: metadata}
model = presets.load_preset("domains.mri.quality", "ssim_mni_small")
```
"""

import contextlib
import importlib.resources
import io
import json
import pathlib
import tempfile
import zipfile

import keras
import numpy as np

MAX_PRESET_MB = 10.0
MODEL_FILE = "model.keras"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"  # inside a .keras archive


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


def _copy_h5(source, target, float16_from):
    """Copy an HDF5 group into another, float32 arrays of >= `float16_from` values as float16; returns their count."""
    for key, value in source.attrs.items():
        target.attrs[key] = value
    halved = 0
    for key, item in source.items():
        if hasattr(item, "items"):  # a group
            halved += _copy_h5(item, target.create_group(key), float16_from)
            continue
        data = item[()]
        if getattr(data, "dtype", None) == np.float32 and data.size >= float16_from:
            data, halved = data.astype(np.float16), halved + 1
        copy = target.create_dataset(key, data=data)
        for attr, value in item.attrs.items():
            copy.attrs[attr] = value
    return halved


def store_float16(path, float16_from):
    """Rewrite the `.keras` file `path` with its float32 weight arrays of ≥ `float16_from` values in float16.

    Keras reads them back into the model's float32 variables: the loaded model computes in
    float32 with weights rounded to float16 (relative error ≤ 2⁻¹¹). Small arrays (biases,
    statistics, normalisation) keep float32: they weigh little and some, like a per-pixel mean,
    need the precision.

    Args:
        path: str or Path. A `.keras` file (rewritten in place).
        float16_from: int. Size (number of values) from which an array is stored in float16.

    Returns:
        int: the number of arrays stored in float16.

    Example:
    ```python
    inputs = keras.Input((512,))
    model = keras.Model(inputs, keras.layers.Dense(256)(inputs))
    model.save("dense.keras")
    store_float16("dense.keras", float16_from=65536)   # 1: the 512 × 256 kernel; the bias stays float32
    ```
    """
    import h5py

    path = pathlib.Path(path)
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: (info, archive.read(info.filename)) for info in archive.infolist()}
    if WEIGHTS_FILE not in entries:
        raise ValueError(f"{path}: expected a Keras .keras file holding {WEIGHTS_FILE}. Received: {list(entries)}")
    weights = io.BytesIO()
    with h5py.File(io.BytesIO(entries[WEIGHTS_FILE][1]), "r") as source, h5py.File(weights, "w") as target:
        halved = _copy_h5(source, target, float16_from)
    with zipfile.ZipFile(path, "w") as archive:
        for name, (info, data) in entries.items():
            archive.writestr(info, weights.getvalue() if name == WEIGHTS_FILE else data)
    return halved


def save_preset(model, package, name, metadata, float16_from=None):
    """Save `model` as preset `name` of `package` (in the source tree), with its metadata.

    Args:
        model: keras.Model to ship.
        package: str. Dotted name of the package (its folder gets `presets/<name>/`).
        name: str. The preset's name.
        metadata: dict. JSON-serialisable: description, command, seed, metrics...
        float16_from: int or None. Store the float32 weight arrays of at least this many values
            in float16 (`store_float16`); None keeps every weight in float32. Defaults to None.

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
    storage = {}
    if float16_from is not None:
        count = store_float16(path, float16_from)
        storage = {"weights_storage": f"float16 for the {count} arrays of >= {float16_from} values, float32 otherwise "
                                      f"(loaded into float32 variables)"}
    megabytes = path.stat().st_size / 1e6
    if megabytes > MAX_PRESET_MB:
        path.unlink()
        raise ValueError(f"A preset must stay under {MAX_PRESET_MB:g} MB. Received: {name} of {megabytes:.1f} MB")
    metadata = {"name": name, "class": type(model).__name__, "parameters": int(model.count_params()),
                "size_mb": round(megabytes, 2), **storage, **metadata}
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
    return folder


@contextlib.contextmanager
def preset_run(task, name, options, epochs, seed=0, verbose=1, batch_size=None):
    """A throw-away run folder for training preset `name`: yields `(config, command)`.

    Args:
        task: the `core.registry.TaskRunner` that trains it.
        name: str. The preset's name.
        options: dict. The task options of the recipe.
        epochs: int. The recipe's `--epochs`.
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
        batch_size: int or None. The recipe's `--batch-size` (None: the task's default). Defaults to None.

    Yields:
        A `RunConfig` in a temporary folder (deleted afterwards), and the equivalent
        `resuite train` command line for the preset's metadata.
    """
    from core.registry import RunConfig

    given = " ".join(f"--option {key}={json.dumps(value) if isinstance(value, list) else value}"
                     for key, value in options.items())
    batch = f" --batch-size {batch_size}" if batch_size else ""
    command = f"make presets  (resuite train {task.name} --epochs {epochs}{batch} --seed {seed} {given})"
    with tempfile.TemporaryDirectory(prefix=f"preset-{name}-") as folder:
        yield RunConfig(output_dir=pathlib.Path(folder), epochs=epochs, batch_size=batch_size, seed=seed,
                        verbose=verbose, options=task.resolve_options(options)), command


def train_presets(task, package, recipes, describe, names=None, seed=0, verbose=1, float16_from=None):
    """Train presets with `task.train` and save them: the loop behind a domain's `make_presets`.

    Args:
        task: the `core.registry.TaskRunner` (instance) that trains them.
        package: str. Dotted name of the package that ships them, e.g. "domains.fundus".
        recipes: dict. `{name: (description, task options, epochs)}`, or with a batch size:
            `(description, task options, epochs, batch size)`.
        describe: callable `(train results, config) -> (model, metadata)`: the model to ship
            (e.g. loaded from the run's `best.keras`) and what to record beside it (metrics, data).
            It runs while the run folder still exists.
        names: list of str or None (every recipe).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
        float16_from: int or None. As `save_preset`. Defaults to None (float32).

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
        description, options, epochs, *batch_size = recipes[name]
        with preset_run(task, name, options, epochs, seed, verbose, *batch_size) as (config, command):
            model, metadata = describe(task.train(config), config)
        made[name] = save_preset(model, package, name, {"description": description, "command": command,
                                                        "seed": seed, **metadata}, float16_from)
    return made
