"""Presets: small trained models shipped inside a domain's package, as keras-hub has them.

A preset is a folder `<package>/presets/<name>/` holding `model.keras` (a whole saved model)
and `metadata.json`: what it is, the command that made it (`make presets`, a fixed seed, the
real sample data), its size and the metrics measured on held-out data when it was made. Each
preset stays under `MAX_PRESET_MB` so that the wheel stays small; nothing is downloaded. A model
a little over the limit can store its large weight arrays in float16 (`float16_from`): half their
bytes, read back into the model's float32 variables (it computes in float32 as before, with
weights rounded to float16's 11 significant bits).

A domain's `presets.py` is data: a `Recipe` per preset (the task that trains it, its options,
and the `resuite evaluate` options that score it on held-out data). `make_preset` trains one
through its task and records that score in the metadata; every model class of the suite loads
its presets through `PresetMixin.from_preset` (on `core.tasks.Task` and `core.training.GANModel`).

Example:
```python
from domains.mri.quality import SSIMRegressor
SSIMRegressor.presets()                               # {name: metadata}
model = SSIMRegressor.from_preset("ssim_mni_small")
```
"""

import dataclasses
import importlib.resources
import io
import json
import pathlib
import shlex
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


def load_preset(package, name):
    """The network stored as preset `name` in `package`, loaded without its optimizer state.

    `PresetMixin.from_preset` is the way a model class loads its presets (it checks the class);
    this reads the stored network itself.

    Args:
        package: str. Dotted name of the package that ships the preset, e.g. "domains.mri.quality".
        name: str. The preset's name (`list_presets(package)` lists them).

    Raises:
        ValueError: unknown name (listing the shipped presets).
    """
    folder = presets_dir(package) / name
    if not (folder / MODEL_FILE).is_file():
        known = ", ".join(list_presets(package)) or "none"
        raise ValueError(f"No preset {name!r} in {package}. Its presets: {known}. Received: name={name!r}")
    return keras.saving.load_model(folder / MODEL_FILE, compile=False)


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


def save_preset(model, package, name, metadata, float16_from=None, model_class=None):
    """Save `model` as preset `name` of `package` (in the source tree), with its metadata.

    Args:
        model: keras.Model to ship.
        package: str. Dotted name of the package (its folder gets `presets/<name>/`).
        name: str. The preset's name.
        metadata: dict. JSON-serialisable: description, command, seed, metrics...
        float16_from: int or None. Store the float32 weight arrays of at least this many values
            in float16 (`store_float16`); None keeps every weight in float32. Defaults to None.
        model_class: str or None. The class whose `from_preset` loads it, when that is not the
            saved model's own (a GAN ships its generator). Defaults to None (the model's class).

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
    metadata = {"name": name, "class": model_class or type(model).__name__, "parameters": int(model.count_params()),
                "size_mb": round(megabytes, 2), **storage, **metadata}
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
    return folder


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How a preset is made and scored: what a domain's `presets.py` declares, one per preset.

    Args:
        task: str. The registered task that trains it, e.g. "fundus.dr".
        description: str. What the preset is, in one sentence (its training data named).
        options: dict. The task options of its `resuite train` run.
        epochs: int. The run's `--epochs`.
        evaluate: dict. The task options of `resuite evaluate TASK --preset NAME` that score it on
            the held-out data it was never trained or tuned on; the score is stored in its
            metadata and repeated by the template test. Defaults to {}.
        batch_size: int or None. The run's `--batch-size` (None: the task's). Defaults to None.
        float16_from: int or None. As `save_preset`. Defaults to None (float32).
        score_tolerance: float. How far (relative and absolute) a repeated evaluation may fall
            from the stored score: run-to-run noise of the metric on one machine (e.g. PESQ's
            resampling), not a margin for changed code. Defaults to 1e-4.

    Example:
    ```python
    recipe = Recipe("fundus.dr", "ResNet-18 at a quarter width on SYNTHETIC drawings",
                    {"width": 16, "image_size": 128}, epochs=15, evaluate={"synthetic_test": 200})
    recipe.train_command("dr_small", seed=0)
    # 'resuite train fundus.dr --epochs 15 --seed 0 --option width=16 --option image_size=128'
    ```
    """

    task: str
    description: str
    options: dict
    epochs: int
    evaluate: dict = dataclasses.field(default_factory=dict)
    batch_size: int = None
    float16_from: int = None
    score_tolerance: float = 1e-4

    def train_command(self, name, seed=0):
        """The `resuite train` command line of this recipe (what `make presets` runs for `name`)."""
        batch = f" --batch-size {self.batch_size}" if self.batch_size else ""
        return f"resuite train {self.task} --epochs {self.epochs}{batch} --seed {seed}{_option_args(self.options)}"

    def evaluate_command(self, name, seed=0):
        """The `resuite evaluate` command line that repeats the stored score of preset `name`."""
        return f"resuite evaluate {self.task} --preset {name} --seed {seed}{_option_args(self.evaluate)}"


def _option_args(options):
    # Lists, dicts and booleans as compact JSON: one shell word each, as `Option.parse` reads them;
    # a word holding quotes or spaces (strings in a list) is shell-quoted, so that it survives a shell.
    words = []
    for key, value in options.items():
        text = json.dumps(value, separators=(",", ":")) if isinstance(value, (list, dict, bool)) else str(value)
        word = f"{key}={text}"
        words.append(f" --option {shlex.quote(word) if any(c in text for c in chr(34) + chr(39) + ' ') else word}")
    return "".join(words)


class PresetMixin:
    """`from_preset(name)` and `presets()` for a model class: the presets its package ships.

    A preset of class `C` lives in `presets/<name>/` of the package that holds `C`'s module
    (`domains/fundus/presets/` for `domains.fundus.model.DRClassifier`) and its metadata names
    `C`. A model that ships one of its networks (a GAN, its generator) overrides
    `preset_network` and `from_preset_network`.

    Example:
    ```python
    from domains.fundus import DRClassifier
    DRClassifier.presets()                     # {"dr_synthetic_small": {...metadata...}}
    model = DRClassifier.from_preset("dr_synthetic_small")
    ```
    """

    # The trainable parameters of the paper's configuration (`Model()`), as the paper or its
    # official code counts them (buffers such as batch-norm statistics excluded); None: not a
    # paper's model.
    paper_parameters = None

    @classmethod
    def preset_package(cls):
        """The dotted name of the package whose `presets/` folder holds this class's presets."""
        return cls.__module__.rpartition(".")[0]

    @classmethod
    def presets(cls):
        """{name: metadata} of the shipped presets of this class, sorted by name."""
        return {name: metadata for name, metadata in list_presets(cls.preset_package()).items()
                if metadata.get("class") == cls.__name__}

    @classmethod
    def from_preset(cls, name):
        """The model of a shipped preset (`presets()` lists them), without optimizer state.

        Args:
            name: str. The preset's name.

        Raises:
            ValueError: an unknown name (listing this class's presets).
        """
        known = cls.presets()
        if name not in known:
            raise ValueError(f"No preset {name!r} for {cls.__name__} in {cls.preset_package()}. Its presets: "
                             f"{', '.join(known) or 'none'}. Received: name={name!r}")
        network = load_preset(cls.preset_package(), name)
        return cls.from_preset_network(network, known[name])

    @classmethod
    def from_preset_network(cls, network, metadata):
        """The model from the network a preset stores (`preset_network`) and its metadata."""
        if not isinstance(network, cls):
            raise ValueError(f"Preset {metadata['name']!r} holds a {type(network).__name__}, not a {cls.__name__}")
        return network

    def preset_network(self):
        """The network a preset of this model stores (the whole model; a GAN: its generator)."""
        return self

    def trainable_parameter_count(self):
        """Trainable parameters of `preset_network()` (what `paper_parameters` counts)."""
        return int(sum(np.prod(weight.shape) for weight in self.preset_network().trainable_weights))

    def use_engine(self, engine, cache_dir=None, threads=None, verbose=0):
        """Run this model's inference network (a GAN: its generator) with another engine until the handle closes.

        `"tensorflow"` is the Keras model itself (the default path: nothing changes). An export engine
        (`core.export.ENGINES`: "savedmodel", "tflite", "onnx", "openvino", or with a lower precision,
        "onnx int8", "tflite float16", ...) exports the network once into the engine cache
        (`~/.cache/resuite/engines`, keyed by the weights: a changed weight exports again) and makes
        `model(x)`, `model.predict` and the model's own methods run the exported file, until the
        handle's `restore()` or the end of its `with` block. See `core.quantize.use_engine`.

        Args:
            engine: str. One of `core.export.ENGINES`.
            cache_dir: str, Path or None. Default: `core.quantize.engine_cache_dir()`.
            threads: int or None. The runtime's intra-op threads (default: the runtime's).
            verbose: int. 1 prints a line when the network is exported.

        Returns:
            A handle, also a context manager: `engine`, `calls` (runs of the exported file; None for
            tensorflow), `describe()`, `check_ran()`, `restore()`.

        Raises:
            ValueError: an unknown engine (listing them), or a format that cannot hold the network
                (its reason, e.g. complex-valued ops for onnx).

        Example:
        ```python
        import keras, numpy as np
        from core.tasks import Regressor

        inputs = keras.Input((16, 2))
        model = Regressor(keras.Model(inputs, keras.layers.Conv1D(4, 3)(inputs)), num_outputs=1)
        x = np.ones((3, 16, 2), "float32")
        with model.use_engine("savedmodel", cache_dir="engines") as engine:
            exported = model.predict(x, verbose=0)   # the SavedModel's outputs
        engine.calls                                  # 1
        np.abs(exported - model.predict(x, verbose=0)).max()   # ~1e-7: Keras's own path again
        ```
        """
        from core import quantize

        return quantize.use_engine(self, engine, cache_dir=cache_dir, threads=threads, verbose=verbose)


def make_preset(name, recipe, task, seed=0, verbose=1, run_dir=None):
    """Train preset `name` with `recipe` through `task` (or take a finished run), save it, and record its score.

    The run happens in a throw-away folder; `task.make_preset(config)` returns the trained model
    and what to record beside it (training figures). With `run_dir`, the recipe's training was
    already run there by `resuite train` (`recipe.train_command(name, seed)` with `--output
    run_dir`, in the background, resumed as often as needed): the run's `train_config.json` must
    match the recipe, and `task.preset_from_results` makes the preset from its
    `train_results.json` without training again, and the run's per-epoch curve is kept beside
    it (`record_run`: `<name>_run.json` and `.png`). The preset's score is then measured by
    `score_preset` on its held-out data, as a user would repeat it.

    Args:
        name: str. The preset's name.
        recipe: Recipe.
        task: the registered `core.registry.TaskRunner` instance named by `recipe.task`.
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
        run_dir: str, Path or None. A finished `resuite train` run of this recipe. Defaults to
            None (train now).

    Returns:
        pathlib.Path of the preset folder.

    Raises:
        ValueError: `run_dir` holds no finished run, or a run of another task, seed, epochs,
            batch size or options than the recipe's.
    """
    from core.registry import RunConfig

    def config_in(folder):
        return RunConfig(output_dir=pathlib.Path(folder), epochs=recipe.epochs, batch_size=recipe.batch_size,
                         seed=seed, verbose=verbose, options=dict(recipe.options))

    if run_dir is not None:
        from core.registry import TaskRunner

        if type(task).make_preset is not TaskRunner.make_preset:
            raise ValueError(f"Task {recipe.task} makes its presets its own way (its make_preset), not from a run "
                             f"folder: run `python scripts/make_presets.py {name}`. Received: run_dir={str(run_dir)!r}")
        run_dir = pathlib.Path(run_dir)
        written, results = _read_run(run_dir, recipe, task, seed)  # read and checked once, used twice below
        model, metadata = task.preset_from_results(config_in(run_dir), results)
        folder = _save_made_preset(name, recipe, seed, model, metadata)
        if (run_dir / "log.csv").is_file():  # the run's curve is kept beside the preset
            _write_run_record(name, recipe, task, run_dir, seed, written, results)
    else:
        with tempfile.TemporaryDirectory(prefix=f"preset-{name}-") as run_dir:
            model, metadata = task.make_preset(config_in(run_dir))
            folder = _save_made_preset(name, recipe, seed, model, metadata)
    score_preset(name, recipe, task, seed)
    return folder


def _save_made_preset(name, recipe, seed, model, metadata):
    return save_preset(model.preset_network(), model.preset_package(), name, {
        "description": recipe.description, "task": recipe.task,
        "command": f"make presets  ({recipe.train_command(name, seed)})", "seed": seed, **metadata,
    }, recipe.float16_from, model_class=type(model).__name__)


def finished_run_results(run_dir, recipe, task, seed=0):
    """The results of a finished `resuite train` run of `recipe`, checked against the recipe.

    Args:
        run_dir: str or Path. The run's `--output` folder.
        recipe: Recipe.
        task: the registered task instance named by `recipe.task`.
        seed: int. The preset's seed. Defaults to 0.

    Returns:
        dict: the run's `train_results.json`.

    Raises:
        ValueError: no `train_results.json` or `train_config.json` (an unfinished run, or not a
            `resuite train` folder), or a run made with other settings than the recipe's (each
            difference named).
    """
    return _read_run(pathlib.Path(run_dir), recipe, task, seed)[1]


def _read_run(run_dir, recipe, task, seed):
    """(`train_config.json` as written, `train_results.json`) of the finished run in `run_dir` (a
    Path), each read once, the settings checked against `recipe` (`finished_run_results`)."""
    files = {kind: run_dir / f"train_{kind}.json" for kind in ("config", "results")}
    missing = [path.name for path in files.values() if not path.is_file()]
    if missing:
        raise ValueError(f"{run_dir}: not a finished `resuite train` run (no {' or '.join(missing)}); run "
                         f"`{recipe.train_command('NAME', seed)} --output {run_dir}` to the end first. "
                         f"Received: run_dir={str(run_dir)!r}")
    written = json.loads(files["config"].read_text())
    # An option added to the task after the run started did not exist for it: the run had its default.
    ran = {**written, "options": {**task.resolve_options({}), **written.get("options", {})}}
    expected = {"task": recipe.task, "seed": seed, "epochs": recipe.epochs,
                "batch_size": recipe.batch_size or task.batch_size, "options": task.resolve_options(recipe.options)}
    differences = [f"{key}: run {ran.get(key)!r}, recipe {value!r}" for key, value in expected.items()
                   if json.dumps(ran.get(key), sort_keys=True, default=str) != json.dumps(value, sort_keys=True, default=str)]
    if differences:
        raise ValueError(f"{files['config']}: this run is not the recipe's ({'; '.join(differences)}). "
                         f"Received: run_dir={str(run_dir)!r}")
    return written, json.loads(files["results"].read_text())


def record_run(name, recipe, task, run_dir, seed=0):
    """Keep the evidence of a finished background run: a candidate recipe's not shipped, or a preset's own.

    A run that does not earn its preset (it loses to the shipped one or to a baseline) still
    says how far the recipe went, and a preset made from a run (`make_preset(run_dir=)`, which
    calls this) keeps how it got there: `<package>/presets/<name>_run.json` stores the recipe's command,
    the run's settings (`train_config.json`), its results (`train_results.json`, without the
    paths into the run's folder) and its learning curve (`log.csv`, one row per epoch), and
    `<name>_run.png` plots the curve. The run is checked against the recipe as `make_preset` does.

    Args:
        name: str. The candidate's name.
        recipe: Recipe.
        task: the registered task instance named by `recipe.task` (its `model_class` names the package).
        run_dir: str or Path. The run's `--output` folder.
        seed: int. Defaults to 0.

    Returns:
        pathlib.Path of the JSON record.

    Raises:
        ValueError: as `finished_run_results`, or the run has no `log.csv`.

    Example:
    ```python
    # example: not run (needs a finished run folder of the candidate)
    from core.presets import record_run
    from core.registry import get_task
    from domains.aramaic.presets import CANDIDATES
    record_run("aramaic_letters_hands", CANDIDATES["aramaic_letters_hands"], get_task("aramaic.letters"),
               "runs/aramaic_hands")   # domains/aramaic/presets/aramaic_letters_hands_run.json and .png
    ```
    """
    run_dir = pathlib.Path(run_dir)
    config, results = _read_run(run_dir, recipe, task, seed)
    return _write_run_record(name, recipe, task, run_dir, seed, config, results)


def _write_run_record(name, recipe, task, run_dir, seed, config, results):
    """`record_run`'s files from the run's settings and results already read (`_read_run`)."""
    import csv

    log = run_dir / "log.csv"
    if not log.is_file():
        raise ValueError(f"{run_dir}: no log.csv (the per-epoch curve `resuite train` writes). Received: "
                         f"run_dir={str(run_dir)!r}")
    with log.open(newline="") as handle:
        curve = [{key: float(value) for key, value in row.items() if value not in ("", None)}
                 for row in csv.DictReader(handle)]
    inside = (str(run_dir), str(run_dir.resolve()))
    kept = {key: value for key, value in results.items()
            if not (isinstance(value, str) and value.startswith(inside))}
    record = {"name": name, "description": recipe.description, "task": recipe.task, "seed": seed,
              "command": f"{recipe.train_command(name, seed)} --output RUN_FOLDER", "config": config,
              "results": kept, "curve": curve}
    folder = presets_dir(task.model_class.preset_package())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}_run.json"
    path.write_text(json.dumps(record, indent=1, default=str) + "\n")
    _plot_curve(curve, folder / f"{name}_run.png", f"{name}: {recipe.task}, seed {seed}")
    return path


def _plot_curve(curve, path, title):
    """One panel per metric of a Keras `log.csv` (training and validation), against the epoch."""
    from matplotlib.figure import Figure

    from core.evaluation import save_figure

    names = [key for key in curve[0] if key not in ("epoch", "learning_rate") and not key.startswith("val_")]
    columns = min(len(names), 4)
    rows = -(-len(names) // columns)
    figure = Figure(figsize=(4 * columns, 3.2 * rows))
    epochs = [row["epoch"] + 1 for row in curve]
    for index, key in enumerate(names):
        axis = figure.add_subplot(rows, columns, index + 1)
        axis.plot(epochs, [row.get(key) for row in curve], label="training")
        if f"val_{key}" in curve[0]:
            axis.plot(epochs, [row.get(f"val_{key}") for row in curve], label="validation")
        axis.set(xlabel="epoch", title=key)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    save_figure(figure, path)


def score_preset(name, recipe, task, seed=0):
    """Evaluate preset `name` on its held-out data (`recipe.evaluate`) and store the score in its metadata.

    Args:
        name: str. A saved preset of `task.model_class`.
        recipe: Recipe.
        task: the registered task instance named by `recipe.task`.
        seed: int. Defaults to 0.

    Returns:
        dict: the stored score: the command, the model's metrics and each baseline's, and under
        `other_sets` those of every further report the evaluation returns (a value holding
        `metrics` and `baselines`, e.g. speech's `unseen`).
    """
    from core.registry import RunConfig

    with tempfile.TemporaryDirectory(prefix=f"score-{name}-") as folder:
        results = task.evaluate(RunConfig(output_dir=pathlib.Path(folder), seed=seed, preset=name,
                                          options=dict(recipe.evaluate), verbose=0))
    score = {"command": recipe.evaluate_command(name, seed), "seed": seed, "options": dict(recipe.evaluate),
             "tolerance": recipe.score_tolerance, "metrics": results["metrics"], "baselines": results["baselines"]}
    # reports of further held-out sets the evaluation returns beside its main one (e.g. unseen speakers)
    others = {key: {"metrics": value["metrics"], "baselines": value["baselines"]} for key, value in results.items()
              if isinstance(value, dict) and {"metrics", "baselines"} <= set(value)}
    if others:
        score["other_sets"] = others
    path = presets_dir(task.model_class.preset_package()) / name / METADATA_FILE
    metadata = json.loads(path.read_text())
    metadata["score"] = score
    path.write_text(json.dumps(metadata, indent=2, default=str) + "\n")
    return score
