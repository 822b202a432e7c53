"""A task's evaluation with its inference network run by an exported (e.g. quantised) runtime.

`core.export.export_model(..., quantize="int8")` checks a lower precision on a random input; what
it costs in quality shows only on the task's own held-out data and metric (PSNR, PESQ, MAE,
accuracy). `evaluate_exported` runs the task's `evaluate` twice, as shipped and with the inference
network (a GAN's generator) running the exported file, and returns both results.

`ExportedRuntime` makes the Keras network itself run the exported file: its `call` is replaced by
the runtime (through `tf.numpy_function`, so that `model(x)`, `model.predict`, the network class's
own methods and `tf.function`s around it all reach the runtime), everything else is the network's.

```python
# example: not run (a trained RRNet `model` and ONNX Runtime)
record = export.export_model(model, "exported/rrnet-int8", "onnx", quantize="int8")
runtime = ExportedRuntime(model, "exported/rrnet-int8")
model.predict(x)     # the int8 runtime's outputs
runtime.calls        # how many times the runtime ran
runtime.restore()    # the Keras model again
```

`use_engine` is the switch `resuite predict --engine` and `model.use_engine` run: the network is
exported once per engine into the engine cache (`engine_cache_dir()`, a folder per network
fingerprint, format and precision), then runs that file until the handle is closed. The cache is
bounded (`prune_engine_cache`, after each new export): the 3 most recently used exports per
network class and engine, 1 GiB in all.
"""

import hashlib
import json
import os
import pathlib
import re
import shutil
import tempfile
import time

import numpy as np

# The engine cache's bounds (`prune_engine_cache`, run after each new export): the most recently used
# exports of one network class and engine, and the whole cache's size.
ENGINE_CACHE_KEEP = 3
ENGINE_CACHE_MAX_BYTES = 1024 ** 3
# A partial export folder (`.<name>.<random>`) older than this was left by a killed export.
PARTIAL_AGE_SECONDS = 3600


class ExportedRuntime:
    """Make a Keras network run an exported file (`core.export.load_exported`) in place of its layers.

    Args:
        network: keras.Model. The network the folder was exported from (one input).
        folder: str or Path. A folder `core.export.export_model` wrote.
        threads: int or None. The runtime's intra-op threads.

    Example:
    ```python
    from core import export

    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    export.export_model(network, "/tmp/tiny", "savedmodel")
    runtime = ExportedRuntime(network, "/tmp/tiny")
    network.predict(np.ones((4, 3), "float32")).shape, runtime.calls   # ((4, 2), 1)
    ```
    """

    def __init__(self, network, folder, threads=None):
        import keras
        import tensorflow as tf

        from core import export

        self.network = network
        self.calls = 0  # runs of the exported file: an evaluation that never ran it compared nothing
        run = export.load_exported(folder, threads=threads)
        self.runtime = run.runtime
        dtype = str(network.inputs[0].dtype)
        try:
            structure = network.output  # a Functional model's own structure (a dict of heads stays a dict)
        except AttributeError:  # a Sequential model's
            structure = network.outputs
        outputs = keras.tree.flatten(structure)

        def run_counted(x):
            self.calls += 1
            return [np.asarray(y, dtype=str(o.dtype)) for y, o in zip(run(np.asarray(x, dtype=dtype)), outputs)]

        def call(inputs, training=False, **kwargs):
            results = tf.numpy_function(run_counted, [tf.convert_to_tensor(inputs, dtype)],
                                        [tf.as_dtype(str(o.dtype)) for o in outputs], stateful=True)
            results = list(results) if isinstance(results, (list, tuple)) else [results]  # eager: one tensor
            for result, output in zip(results, outputs):
                result.set_shape(output.shape)
            return keras.tree.pack_sequence_as(structure, results) if len(results) > 1 else results[0]

        object.__setattr__(network, "call", call)
        _forget_traced(network)
        self.engine, self.folder, self.exported, self.models = None, pathlib.Path(folder), False, (network,)

    def restore(self):
        """The network runs its own layers again."""
        if "call" in vars(self.network):
            object.__delattr__(self.network, "call")
        for model in self.models:
            _forget_traced(model)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.restore()

    def check_ran(self, what="the prediction"):
        """Raise when the exported file never ran: `what` used another path than the network's call.

        Raises:
            ValueError: `calls` is 0, naming the engine and `what`.
        """
        if not self.calls:
            raise ValueError(f"{what} never ran the {self.engine or 'exported'} engine ({self.folder}): its network "
                             f"was not called through `call` (a function traced before the switch, or another "
                             f"network). Received: calls=0")

    def describe(self):
        """What ran, for a results dict: engine, runtime, runtime calls, the exported folder."""
        return {"engine": self.engine or str(self.folder), "engine_runtime": self.runtime,
                "engine_calls": self.calls, "engine_folder": str(self.folder)}


class KerasEngine:
    """The handle of the "tensorflow" engine: the Keras model runs its own layers; nothing to restore.

    Example:
    ```python
    with KerasEngine() as engine:
        engine.describe()   # {"engine": "tensorflow"}
    ```
    """

    engine, calls, runtime = "tensorflow", None, "tensorflow"

    def restore(self):
        """Nothing to restore."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.restore()

    def check_ran(self, what="the prediction"):
        """Nothing to check: the Keras model is the engine."""

    def describe(self):
        """{"engine": "tensorflow"}."""
        return {"engine": self.engine}


def _forget_traced(model):
    """Drop Keras' traced predict/evaluate functions: traced before the switch, they would keep the old `call`."""
    for name in ("predict_function", "test_function"):
        if getattr(model, name, None) is not None:
            setattr(model, name, None)


def with_exported(model, folder, threads=None):
    """Make the task model's inference network (a GAN's generator) run the exported file; the `ExportedRuntime`.

    Args:
        model: keras.Model. What the task's `load_model` returns; it is changed in place.
        folder: str or Path. The export of `core.export.inference_network(model)`.
        threads: int or None. The runtime's intra-op threads.
    """
    from core import export

    runtime = ExportedRuntime(export.inference_network(model), folder, threads)
    if model is not runtime.network:  # a GAN's own traced predict holds its generator's old call
        runtime.models = (runtime.network, model)
        _forget_traced(model)
    return runtime


def evaluate_exported(task_name, config, folder, threads=None):
    """The task's `evaluate` as shipped and with the exported (e.g. quantised) network: both results.

    Args:
        task_name: str. A registered task, e.g. "lamost.rrnet".
        config: core.registry.RunConfig. The evaluation's (preset or model, options, output folder).
        folder: str or Path. The export of that model's inference network.
        threads: int or None. The runtime's intra-op threads.

    Returns:
        dict {"keras": results, "exported": results, "export": the export's record, "runtime_calls": int}.

    Raises:
        ValueError: the evaluation never ran the exported network (nothing was compared).
    """
    import dataclasses

    from core import export
    from core.registry import get_task

    task = get_task(task_name)
    keras_results = task.evaluate(dataclasses.replace(config, output_dir=pathlib.Path(config.output_dir) / "keras"))
    load_model, runtimes = task.load_model, []

    def load_exported_model(run_config):
        model = load_model(run_config)
        runtimes.append(with_exported(model, folder, threads))
        return model

    task.load_model = load_exported_model
    try:
        exported_results = task.evaluate(dataclasses.replace(config,
                                                             output_dir=pathlib.Path(config.output_dir) / "exported"))
    finally:
        del task.load_model
    calls = sum(runtime.calls for runtime in runtimes)
    if not calls:
        raise ValueError(f"{task_name}'s evaluation never ran the exported network: no comparison. "
                         f"Received: task_name={task_name!r}, folder={folder}")
    record = json.loads((pathlib.Path(folder) / export.RECORD).read_text())
    return {"keras": keras_results, "exported": exported_results, "export": record, "runtime_calls": calls}


def engine_cache_dir():
    """The engine cache: `$XDG_CACHE_HOME/resuite/engines`, else `~/.cache/resuite/engines` (not created here).

    Example:
    ```python
    engine_cache_dir()   # PosixPath('/home/me/.cache/resuite/engines')
    ```
    """
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "resuite" / "engines"


def network_fingerprint(network):
    """A hash of a network's architecture and weights: equal for the same model loaded again, new when a weight changes.

    Hashes the network's class, its Keras config with its layers' names replaced by their order of
    appearance (a model built twice in one process gets other automatic names, `dense_3`), its
    input signature and every weight's shape, dtype and values (`network.weights`: trainable and
    statistics, not the dropout seeds' state).

    Args:
        network: keras.Model.

    Returns:
        str: 64 hexadecimal digits (sha256).

    Example:
    ```python
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    before = network_fingerprint(network)
    network.layers[-1].bias.assign([1.0, 0.0])
    network_fingerprint(network) != before   # True
    ```
    """
    import keras

    digest = hashlib.sha256(f"{type(network).__module__}.{type(network).__qualname__}\n".encode())
    try:
        config = keras.saving.serialize_keras_object(network)
    except Exception:  # noqa: BLE001 - a layer without get_config: its class and weights still tell it apart
        config = {}
    text = json.dumps(config, sort_keys=True, default=str)
    names = _names(config)
    if names:
        order = {}
        pattern = "|".join(re.escape(json.dumps(name)) for name in sorted(names, key=len, reverse=True))
        text = re.sub(pattern, lambda match: order.setdefault(match.group(0), f'"#{len(order)}"'), text)
    digest.update(text.encode())
    digest.update(repr([(tuple(i.shape), str(i.dtype)) for i in network.inputs]).encode())
    for weight in network.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
        digest.update(f"{value.dtype}{value.shape}".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _names(config):
    """Every `"name"` value in a Keras config (the model's and each layer's)."""
    if isinstance(config, dict):
        own = {config["name"]} if isinstance(config.get("name"), str) else set()
        return own.union(*(_names(value) for value in config.values()))
    if isinstance(config, list):
        return set().union(*(_names(value) for value in config))
    return set()


def cached_export(model, engine, cache_dir=None, verbose=0):
    """The export of the model's inference network for `engine`, made once and then reused from the cache.

    The folder is `cache_dir/<network class>-<format>[-<precision>]-<key>`, the key hashing the
    network (`network_fingerprint`), the format, the precision and the library versions that
    convert and run it; another weight makes another key (nothing stale is reused). The export
    (`core.export.export_model`, checked against Keras on a random input) is written into a
    temporary folder and renamed into place, so that an interrupted or concurrent export leaves
    no half-written folder behind. A reused export is marked used (its `export.json` touched); after
    a new one the cache is bounded (`prune_engine_cache`).

    Args:
        model: keras.Model. A task's model (a GAN: its generator is exported).
        engine: str. An export engine of `core.export.ENGINES` ("onnx", "tflite float16", ...).
        cache_dir: str, Path or None. Default: `engine_cache_dir()`.
        verbose: int. 1 prints a line when the network is exported (not when it is reused).

    Returns:
        (folder, exported): the export's folder and whether this call wrote it.

    Raises:
        ValueError: "tensorflow" or an unknown engine, or a format that cannot hold the network
            (`core.export.check_exportable`'s reason), before anything is written.

    Example:
    ```python
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    cached_export(network, "savedmodel", "engines")   # (PosixPath('engines/Functional-savedmodel-…'), True)
    cached_export(network, "savedmodel", "engines")   # the same folder, False: reused
    ```
    """
    from core import export

    format, precision = export.parse_engine(engine)
    if format is None:
        raise ValueError(f"The tensorflow engine runs the Keras model itself: nothing to export. "
                         f"Received: engine={engine!r}")
    network = export.inference_network(model)
    key = hashlib.sha256(json.dumps([network_fingerprint(network), format, precision, export._versions(format)],
                                    sort_keys=True).encode()).hexdigest()[:20]
    name = re.sub(r"[^A-Za-z0-9_.]+", "_", type(network).__name__)  # not its name: `functional_3` in a second build
    root = pathlib.Path(cache_dir) if cache_dir is not None else engine_cache_dir()
    folder = root / "-".join(part for part in (name, format, precision, key) if part)
    if (folder / export.RECORD).is_file():
        _touch(folder / export.RECORD)  # its last use: what `prune_engine_cache` keeps
        return folder, False
    asked = " ".join(filter(None, (format, precision)))
    try:
        export.check_exportable(network, format, export.check_shape(network))  # refused before anything is written
    except ValueError as error:
        raise _as_engine(error, format, asked) from None
    root.mkdir(parents=True, exist_ok=True)
    partial = pathlib.Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=root))
    try:
        if verbose:
            print(f"exporting {network.name} to {asked} (once; cached in {folder})", flush=True)
        try:
            export.export_model(network, partial, format, quantize=precision,
                                source={"fingerprint": key, "engine": asked})
        except ValueError as error:
            raise _as_engine(error, format, asked) from error
        try:
            partial.rename(folder)
        except OSError:  # another process put the same export in place first
            if not (folder / export.RECORD).is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    prune_engine_cache(root, protect=(folder,))
    return folder, True


def _touch(path):
    try:
        os.utime(path)
    except OSError:  # a read-only cache is still used, only not kept by its use
        pass


def _size(folder):
    return sum(path.stat().st_size for path in pathlib.Path(folder).rglob("*") if path.is_file())


def prune_engine_cache(cache_dir=None, keep=ENGINE_CACHE_KEEP, max_bytes=ENGINE_CACHE_MAX_BYTES, protect=()):
    """Bound the engine cache: the newest `keep` exports per network class and engine, `max_bytes` in all.

    An export's age is its last use (`cached_export` touches its `export.json` when it reuses it).
    First, of the exports of one network class, format and precision (other weights: an older
    preset, a retrained model), only the `keep` most recently used stay; then the least recently
    used go until the cache holds at most `max_bytes`. Partial folders that a killed export left
    (older than `PARTIAL_AGE_SECONDS`) go too. A removed export is made again when it is asked for.
    `cached_export` runs this after each new export.

    Args:
        cache_dir: str, Path or None. Default: `engine_cache_dir()`.
        keep: int >= 1. Exports kept per network class and engine. Defaults to `ENGINE_CACHE_KEEP` (3).
        max_bytes: int. The cache's largest total size. Defaults to `ENGINE_CACHE_MAX_BYTES` (1 GiB).
        protect: folders never removed (the export just made, even when alone above `max_bytes`).

    Returns:
        list of Path: the folders removed.

    Raises:
        ValueError: `keep` < 1 or `max_bytes` < 0.

    Example:
    ```python
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    folder, _ = cached_export(network, "savedmodel", "engines")
    prune_engine_cache("engines", keep=1)   # []: one export of this network and engine
    prune_engine_cache("engines", max_bytes=0, protect=(folder,))   # [] too: the protected one stays
    ```
    """
    from core import export

    if keep < 1 or max_bytes < 0:
        raise ValueError(f"prune_engine_cache keeps at least one export per engine and a size >= 0. "
                         f"Received: keep={keep}, max_bytes={max_bytes}")
    root = pathlib.Path(cache_dir) if cache_dir is not None else engine_cache_dir()
    if not root.is_dir():
        return []
    protected = {pathlib.Path(folder).resolve() for folder in protect}
    removed, entries = [], []
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        if folder.name.startswith("."):  # a partial export: its own process removes it unless it was killed
            if time.time() - folder.stat().st_mtime > PARTIAL_AGE_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
            continue
        record = folder / export.RECORD
        if record.is_file():
            # `<class>-<format>[-<precision>]-<key>`: the group is the name without its key.
            entries.append({"folder": folder, "group": folder.name.rsplit("-", 1)[0],
                            "used": record.stat().st_mtime, "bytes": _size(folder)})
    entries.sort(key=lambda entry: entry["used"], reverse=True)  # the most recently used first
    seen, kept = {}, []
    for entry in entries:
        seen[entry["group"]] = seen.get(entry["group"], 0) + 1
        if seen[entry["group"]] > keep and entry["folder"].resolve() not in protected:
            removed.append(entry["folder"])
        else:
            kept.append(entry)
    total = sum(entry["bytes"] for entry in kept)
    for entry in reversed(kept):  # the least recently used first
        if total <= max_bytes:
            break
        if entry["folder"].resolve() not in protected:
            removed.append(entry["folder"])
            total -= entry["bytes"]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _as_engine(error, format, engine):
    """`core.export`'s refusal, naming the `--engine` asked instead of `resuite export`'s `--format`."""
    message = re.sub(rf"Received: --format {format}( --quantize \w+)?$", f"Received: --engine {engine}", str(error))
    return ValueError(message)


def use_engine(model, engine, cache_dir=None, threads=None, verbose=0):
    """Run the model's inference network (a GAN: its generator) with `engine` until the handle is closed.

    "tensorflow" is the Keras model itself (a handle that changes nothing); any other engine of
    `core.export.ENGINES` is exported once into the cache (`cached_export`) and then replaces the
    network's `call` (`with_exported`): `model(x)`, `model.predict`, the model's own methods and
    every function traced after the switch run the exported file. The handle counts the runtime
    calls (`calls`, `check_ran`) and restores the Keras path on `restore()` or at the end of a
    `with` block.

    Args:
        model: keras.Model. Changed in place until the handle is closed.
        engine: str. One of `core.export.ENGINES`: "tensorflow", "savedmodel", "tflite", "onnx",
            "openvino", or a format with a precision ("onnx int8", "tflite float16", ...).
        cache_dir: str, Path or None. Default: `engine_cache_dir()`.
        threads: int or None. The runtime's intra-op threads (default: the runtime's).
        verbose: int. 1 prints a line when the network is exported.

    Returns:
        `KerasEngine` for "tensorflow", else the `ExportedRuntime` (its `engine`, `folder`,
        `exported`: whether this call exported it, `calls`).

    Raises:
        ValueError: an unknown engine (listing them), or a format that cannot hold the network,
            with the reason.

    Example:
    ```python
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with use_engine(network, "savedmodel", "engines") as engine:
        network.predict(np.ones((4, 3), "float32"), verbose=0)
    engine.calls   # 1; the network runs its Keras layers again
    ```
    """
    from core import export

    format, _ = export.parse_engine(engine)
    if format is None:
        return KerasEngine()
    folder, exported = cached_export(model, engine, cache_dir, verbose)
    runtime = with_exported(model, folder, threads)
    runtime.engine, runtime.exported = export.engine_name(engine), exported
    return runtime
