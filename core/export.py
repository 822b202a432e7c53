"""Export a model to an inference runtime: a TF SavedModel, LiteRT (`.tflite`), ONNX or OpenVINO.

Keras 3's own `model.export(path, format=...)` writes every format (`tf_saved_model`, `litert`
through `tf.lite.TFLiteConverter`, `onnx` through tf2onnx, `openvino`); this module picks the
network inference runs (a GAN's generator: `preset_network()`), checks the format can hold it,
exports it, runs the exported file in its own runtime on a random input of the network's input
shape and records the largest difference to Keras in `export.json` beside it. A format that
cannot hold the network is refused with a `ValueError` naming the format and the reason: complex
tensors (an FFT iSTFT) for ONNX, LiteRT and OpenVINO; select TensorFlow ops in a `.tflite` (no
interpreter here links the Flex delegate); a converter that fails or writes a file its runtime
cannot run.

```python
import keras, numpy as np
from core import export

model = keras.Sequential([keras.Input((8, 2)), keras.layers.Conv1D(4, 3), keras.layers.Dense(1)])
record = export.export_model(model, "/tmp/exported", "savedmodel")
record["max_abs_difference"]          # e.g. 2.4e-07: the exported model against Keras
run = export.load_exported("/tmp/exported")
run(np.zeros((1, 8, 2), "float32"))   # [array of shape (1, 6, 1)]
```

Lower precision is offered, never applied unasked: `quantize="int8"` (ONNX Runtime dynamic
quantisation, LiteRT dynamic-range) or `"float16"` (LiteRT, OpenVINO weights), see `QUANTIZE`;
`export.json` then names it, and its difference is against the float32 Keras model.

The runtimes other than TensorFlow are the `export` extra (`pip install 'resuite[export]'`).
"""

import importlib
import importlib.util
import json
import pathlib
import shutil

# CLI name -> (Keras `export` format, file or folder name in the output folder, Python modules it needs)
FORMATS = {
    "savedmodel": ("tf_saved_model", "saved_model", ("tensorflow",)),
    "tflite": ("litert", "model.tflite", ("tensorflow",)),
    "onnx": ("onnx", "model.onnx", ("tf2onnx", "onnx", "onnxruntime")),
    "openvino": ("openvino", "model.xml", ("openvino",)),
}
RECORD = "export.json"
# Lower precision, offered per format and never applied unless asked (`quantize=`): what each does.
QUANTIZE = {
    "onnx": {"int8": "ONNX Runtime dynamic quantisation (quantize_dynamic): int8 weights of Conv/MatMul/Gemm, "
                     "activations quantised to 8 bits at run time"},
    "tflite": {"int8": "LiteRT dynamic-range quantisation (Optimize.DEFAULT): int8 weights, float activations",
               "float16": "LiteRT float16 weights (Optimize.DEFAULT, supported_types float16), float32 compute on CPU"},
    "openvino": {"float16": "OpenVINO IR with float16 weights (compress_to_fp16), float32 compute (f32 hint)"},
}
# Largest |exported − Keras float32| / largest |Keras output| a quantised export keeps on the tests' tiny
# models (tests/core/test_export.py); the record holds each export's own figure (`relative_difference`).
QUANTIZE_TOLERANCE = {"int8": 0.05, "float16": 0.005}
# `resuite predict --engine`: TensorFlow (the Keras model itself), each format, each format with a precision.
TENSORFLOW = "tensorflow"
ENGINES = (TENSORFLOW, *FORMATS, *(f"{format} {precision}" for format, precisions in QUANTIZE.items()
                                   for precision in precisions))
# Dimensions of the check input that the network leaves free (None): batch 1, other axes this long.
FREE_LENGTH = 32
# Complex tensors (an FFT iSTFT): none of these converters maps them (tried: APNet's generator).
NO_COMPLEX = {"onnx": "tf2onnx converts no complex-valued op",
              "tflite": "LiteRT's builtin ops hold no complex tensor",
              "openvino": "OpenVINO's TensorFlow frontend converts no IRFFT of a complex input"}


def missing_modules(format):
    """The Python modules a format needs that are not installed ([] when it can be used).

    Args:
        format: str. One of `FORMATS`.

    Example:
    ```python
    missing_modules("savedmodel")   # []
    ```
    """
    _check_format(format)
    return [name for name in FORMATS[format][2] if importlib.util.find_spec(name) is None]


def available_formats():
    """The formats whose runtimes are installed here, in `FORMATS` order.

    Example:
    ```python
    available_formats()   # ['savedmodel', 'tflite', 'onnx', 'openvino'] with the `export` extra
    ```
    """
    return [name for name in FORMATS if not missing_modules(name)]


def parse_engine(engine):
    """The export format and precision of an inference engine's name (`ENGINES`): `resuite predict --engine`.

    Args:
        engine: str. "tensorflow" (the Keras model itself), a format of `FORMATS`, or a format and
            a precision of `QUANTIZE` separated by a space ("onnx int8", "tflite float16").

    Returns:
        (format, quantize): (None, None) for "tensorflow"; quantize None for float32.

    Raises:
        ValueError: any other name, listing `ENGINES`.

    Example:
    ```python
    parse_engine("onnx int8")    # ('onnx', 'int8')
    parse_engine("tensorflow")   # (None, None)
    ```
    """
    words = tuple(engine.split()) if isinstance(engine, str) else ()
    if " ".join(words) not in ENGINES:
        raise ValueError(f"Unknown inference engine. Expected one of: {', '.join(ENGINES)}. "
                         f"Received: engine={engine!r}")
    if words == (TENSORFLOW,):
        return None, None
    return words[0], (words[1] if len(words) == 2 else None)


def engine_name(engine):
    """An engine's name as `ENGINES` spells it (single-spaced), checked by `parse_engine`.

    Args:
        engine: str. As for `parse_engine`.

    Example:
    ```python
    engine_name("onnx  int8")   # 'onnx int8'
    ```
    """
    format, precision = parse_engine(engine)
    return " ".join(filter(None, (format, precision))) or TENSORFLOW


def inference_network(model):
    """The network inference runs: a GAN's generator (`preset_network()`), else the model itself.

    Args:
        model: keras.Model. What a task's `load_model` returns.

    Example:
    ```python
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    inference_network(model) is model   # True; a GAN preset (e.g. DISGAN's) gives its generator
    ```
    """
    import keras

    network = model.preset_network() if hasattr(model, "preset_network") else model
    if not isinstance(network, keras.Model):
        raise ValueError(f"Only a Keras model can be exported. Received: model of type {type(network).__name__}")
    return network


def check_shape(network, input_shape=None):
    """The input shape of the export-time check: `input_shape`, or the network's with free axes filled.

    Args:
        network: keras.Model with one input.
        input_shape: sequence of int or None. Must fit the network's input (fixed axes equal).

    Returns:
        tuple of int: batch 1 and `FREE_LENGTH` for the free axes unless `input_shape` says otherwise.

    Raises:
        ValueError: the network has several inputs, or `input_shape` does not fit.
    """
    if len(network.inputs) != 1:
        raise ValueError(f"Export handles networks with one input. Received: {len(network.inputs)} inputs")
    declared = tuple(network.inputs[0].shape)
    if input_shape is None:
        return tuple(1 if i == 0 and d is None else FREE_LENGTH if d is None else int(d)
                     for i, d in enumerate(declared))
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != len(declared) or any(d is not None and d != s for d, s in zip(declared, shape)):
        raise ValueError(f"The input shape must fit the network's input {_shape_text(declared)}. "
                         f"Received: input_shape={shape}")
    return shape


def complex_ops(network, shape):
    """The TensorFlow ops of the network's graph that take or produce complex tensors (sorted op types).

    Args:
        network: keras.Model.
        shape: tuple of int. The input shape to trace with.

    Example:
    ```python
    inputs = keras.Input((8,))
    spectrum = keras.layers.Lambda(lambda x: tf.signal.rfft(x))(inputs)
    complex_ops(keras.Model(inputs, keras.layers.Lambda(tf.math.abs)(spectrum)), (1, 8))   # ['RFFT', ...]
    ```
    """
    import tensorflow as tf

    dtype = network.inputs[0].dtype
    function = tf.function(lambda x: network(x, training=False))
    graph = function.get_concrete_function(tf.TensorSpec(shape, dtype)).graph
    return sorted({op.type for op in graph.get_operations()
                   if any(t.dtype.is_complex for t in (*op.inputs, *op.outputs))})


def check_exportable(network, format, shape):
    """Refuse a format that cannot hold the network, naming the format and the reason.

    Raises:
        ValueError: an unknown format, a runtime that is not installed, or complex-valued ops
            for ONNX or LiteRT.
    """
    _check_format(format)
    missing = missing_modules(format)
    if missing:
        raise ValueError(f"Export to {format} needs {', '.join(missing)}: pip install 'resuite[export]'. "
                         f"Received: --format {format}")
    if format in NO_COMPLEX:
        ops = complex_ops(network, shape)
        if ops:
            raise ValueError(f"{network.name} cannot be exported to {format}: its graph computes complex-valued "
                             f"tensors (ops {', '.join(ops)}) and {NO_COMPLEX[format]}. The format that holds "
                             f"it: savedmodel. Received: --format {format}")


def export_model(model, output_dir, format, input_shape=None, task=None, source=None, seed=0, quantize=None):
    """Export `model`'s inference network to `output_dir` and check it against Keras.

    Writes the artifact (`FORMATS`: `saved_model/`, `model.tflite`, `model.onnx`, or
    `model.xml` + `model.bin`) and `export.json`: task, source, format, artifact, input
    signature, check input shape, the largest absolute difference between the exported
    runtime's outputs and Keras's on a random normal input, and the library versions.

    Args:
        model: keras.Model. A task's model (a GAN exports its generator).
        output_dir: str or Path. Created if needed; an earlier artifact of the format is replaced.
        format: str. One of `FORMATS`: "savedmodel", "tflite", "onnx", "openvino".
        input_shape: sequence of int or None. The check input's shape (default: `check_shape`).
        task: str or None. Recorded.
        source: dict or None. Recorded, e.g. {"preset": "disgan_mni_small"}.
        seed: int. Seed of the random check input.
        quantize: str or None. Lower precision, only when asked: a precision of `QUANTIZE[format]`
            ("int8" for onnx and tflite, "float16" for tflite and openvino). The record then
            names it and its `max_abs_difference` is against the float32 Keras model.

    Returns:
        dict: what `export.json` holds.

    Raises:
        ValueError: the format cannot hold the network (see `check_exportable`), a bad shape, or
            a precision the format does not offer.

    Example:
    ```python
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    record = export_model(model, "exported/tiny", "savedmodel")
    record["max_abs_difference"]   # ~1e-7: the exported runtime against Keras
    ```
    """
    import keras
    import numpy as np

    network = inference_network(model)
    shape = check_shape(network, input_shape)
    check_exportable(network, format, shape)
    _check_quantize(format, quantize)
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    keras_format, artifact, _ = FORMATS[format]
    target = output_dir / artifact
    if target.is_dir():
        shutil.rmtree(target)
    dtype = str(network.inputs[0].dtype)
    declared = tuple(network.inputs[0].shape)
    # A fixed signature where the network fixes it; free axes stay free (any batch, any length).
    signature = [keras.InputSpec(shape=declared, dtype=dtype)]
    options = _tflite_options(quantize) if format == "tflite" else {}
    try:
        network.export(str(target), format=keras_format, verbose=False, input_signature=signature, **options)
    except Exception as error:  # noqa: BLE001 - a converter's own failure, reported as the format's refusal
        _refuse(network, format, "the converter failed", error)
    if quantize and format in ("onnx", "openvino"):
        try:
            _quantize_file(format, quantize, target)
        except Exception as error:  # noqa: BLE001 - the quantiser's failure, reported as the format's refusal
            _refuse(network, format, f"the {quantize} quantisation failed", error)

    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    expected = [np.asarray(y) for y in keras.tree.flatten(network(x, training=False))]
    if format == "tflite":
        _check_builtin_ops(network, target)
    try:
        runner = load_exported(output_dir, format=format)
        got = runner(x)
    except Exception as error:  # noqa: BLE001 - a converter's wrong file, reported as the format's refusal
        _refuse(network, format, "the converted file does not run in its runtime", error)
    if [e.shape for e in expected] != [g.shape for g in got]:
        raise ValueError(f"The exported {format} model's outputs have shapes {[g.shape for g in got]}, Keras's "
                         f"{[e.shape for e in expected]}. Received: {target}")
    difference = max(float(np.max(np.abs(e.astype("float64") - g))) for e, g in zip(expected, got))
    scale = max(float(np.max(np.abs(e))) for e in expected)
    record = {
        "task": task,
        "source": source,
        "format": format,
        "artifact": artifact,
        "input_signature": [{"shape": list(declared), "dtype": dtype}],
        "check_input_shape": list(shape),
        "outputs": [list(e.shape) for e in expected],
        "runtime": runner.runtime,
        "quantize": quantize,
        "quantization": QUANTIZE[format][quantize] if quantize else None,
        "max_abs_difference": difference,
        "max_abs_keras_output": scale,
        "relative_difference": difference / scale if scale else None,
        "versions": _versions(format),
    }
    (output_dir / RECORD).write_text(json.dumps(record, indent=2) + "\n")
    return record


def _check_quantize(format, quantize):
    if quantize is not None and quantize not in QUANTIZE.get(format, {}):
        offered = ", ".join(f"{name} ({', '.join(precisions)})" for name, precisions in QUANTIZE.items())
        raise ValueError(f"Export to {format} offers no {quantize} quantisation; offered: {offered}. "
                         f"Received: --format {format} --quantize {quantize}")


def _tflite_options(quantize):
    """LiteRT converter settings (Keras passes them to `tf.lite.TFLiteConverter`) for a precision."""
    if quantize is None:
        return {}
    import tensorflow as tf

    options = {"optimizations": [tf.lite.Optimize.DEFAULT]}
    if quantize == "float16":
        options["target_spec"] = {"supported_types": [tf.float16]}
    return options


def _quantize_file(format, quantize, target):
    """Rewrite the exported float32 file at `target` in the lower precision, in place."""
    if format == "onnx":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        float_path = target.with_name("model.float32.onnx")
        target.replace(float_path)
        try:
            quantize_dynamic(str(float_path), str(target), weight_type=QuantType.QInt8)
        finally:
            float_path.unlink()
        return
    import openvino

    compressed = target.with_name("model.float16.xml")
    openvino.save_model(openvino.Core().read_model(str(target)), str(compressed), compress_to_fp16=True)
    compressed.replace(target)
    compressed.with_suffix(".bin").replace(target.with_suffix(".bin"))


def _check_builtin_ops(network, path):
    """Refuse a LiteRT file that needs select TensorFlow ops (Flex...): no interpreter here links them."""
    import re

    select = sorted({name.decode() for name in re.findall(rb"Flex[A-Z][A-Za-z0-9]*", path.read_bytes())})
    if select:
        path.unlink()
        raise ValueError(f"{network.name} cannot be exported to tflite: the converter needs select TensorFlow ops "
                         f"({', '.join(select)}; e.g. a transpose of more than 6 axes, a TensorList loop) and "
                         "neither LiteRT's interpreter nor TensorFlow's links the Flex delegate that runs them. "
                         "Received: --format tflite")


def _refuse(network, format, what, error):
    """Re-raise an engine's failure as the format's refusal naming the reason (SavedModel is TensorFlow's own: raised as is)."""
    if format == "savedmodel":
        raise error
    reason = " ".join(str(error).split())[:600]
    raise ValueError(f"{network.name} cannot be exported to {format}: {what} ({type(error).__name__}: {reason}). "
                     f"Received: --format {format}") from error


def load_exported(output_dir, format=None, threads=None):
    """A function running an exported model in its runtime: numpy input -> list of numpy outputs.

    Args:
        output_dir: str or Path. A folder `export_model` wrote.
        format: str or None. Default: the one `export.json` records.
        threads: int or None. Intra-op threads of the runtime (default: the runtime's).

    Example:
    ```python
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    export_model(model, "exported/tiny", "savedmodel")
    run = load_exported("exported/tiny")
    outputs = run(np.ones((2, 3), "float32"))   # [array of shape (2, 1)]: one per output, Keras's order
    ```
    """
    output_dir = pathlib.Path(output_dir)
    if format is None:
        path = output_dir / RECORD
        if not path.is_file():
            raise ValueError(f"{output_dir} holds no {RECORD} (not written by `resuite export`). Received: {output_dir}")
        format = json.loads(path.read_text())["format"]
    _check_format(format)
    target = output_dir / FORMATS[format][1]
    if not target.exists():
        raise FileNotFoundError(f"{target} does not exist (the {format} artifact). Received: {output_dir}")
    return _RUNNERS[format](str(target), threads)


def _run_savedmodel(path, threads):
    import numpy as np

    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    loaded = tf.saved_model.load(path)  # held by `run`: its variables live as long as the function

    def run(x):
        return [np.asarray(y) for y in tf.nest.flatten(loaded.serve(tf.constant(x)))]

    run.runtime = "tensorflow"
    return run


def _run_tflite(path, threads):
    import numpy as np

    if importlib.util.find_spec("ai_edge_litert") is None:
        import tensorflow as tf

        interpreter, runtime = tf.lite.Interpreter(model_path=path, num_threads=threads), "tf.lite.Interpreter"
    else:
        from ai_edge_litert.interpreter import Interpreter

        interpreter, runtime = Interpreter(model_path=path, num_threads=threads), "ai_edge_litert"
    runner = interpreter.get_signature_runner()
    names = list(interpreter.get_signature_list()["serving_default"]["outputs"])
    (input_name,) = interpreter.get_signature_list()["serving_default"]["inputs"]

    def run(x):
        outputs = runner(**{input_name: x})
        return [np.asarray(outputs[name]) for name in sorted(names, key=_output_index)]

    run.runtime = runtime
    return run


def _output_index(name):
    digits = "".join(ch for ch in name.rsplit("_", 1)[-1] if ch.isdigit())
    return (int(digits) if digits else 0, name)


def _run_onnx(path, threads):
    import numpy as np

    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(x):
        return [np.asarray(y) for y in session.run(None, {name: x})]

    run.runtime = "onnxruntime (CPUExecutionProvider)"
    return run


def _run_openvino(path, threads):
    import numpy as np

    import openvino

    config = {"INFERENCE_NUM_THREADS": threads} if threads else {}
    # Full float32: OpenVINO may otherwise run in bfloat16 on CPUs that have it.
    config["INFERENCE_PRECISION_HINT"] = "f32"
    compiled = openvino.Core().compile_model(path, "CPU", config)

    # The TF function's outputs are its Identity tensors, in order; OpenVINO's TF frontend can leave
    # an intermediate tensor as a further output (a shape slice of a 3-D pixel shuffle): not the model's.
    outputs = sorted(((_identity_index(output.get_names()), output) for output in compiled.outputs),
                     key=lambda pair: pair[0])
    outputs = [output for index, output in outputs if index < 2**31] or list(compiled.outputs)

    def run(x):
        result = compiled(x)
        return [np.asarray(result[output]) for output in outputs]

    run.runtime = "openvino (CPU, f32)"
    return run


def _identity_index(names):
    """0 for a tensor named "Identity:0", k for "Identity_k:0", 2**31 for one of another name."""
    import re

    found = [re.fullmatch(r"Identity(?:_(\d+))?:0", name) for name in names]
    indices = [int(match.group(1) or 0) for match in found if match]
    return min(indices) if indices else 2**31


_RUNNERS = {"savedmodel": _run_savedmodel, "tflite": _run_tflite, "onnx": _run_onnx, "openvino": _run_openvino}


def _versions(format):
    versions = {}
    for name in ("keras", "tensorflow", *FORMATS[format][2]):
        try:
            versions[name] = importlib.import_module(name).__version__
        except (ImportError, AttributeError):
            continue
    return versions


def _check_format(format):
    if format not in FORMATS:
        raise ValueError(f"Unknown export format. Expected one of {', '.join(FORMATS)}. Received: format={format!r}")


def _shape_text(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"

