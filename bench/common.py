"""Small helpers shared by the benchmarks: a timer, an environment line, a table printer."""

import dataclasses
import os
import platform
import statistics
import time

from core.cli import format_table


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds per call: the median of the repeats (the headline) and the best one.

    On a shared machine the best repeat is the closer estimate of the uncontended speed.
    """

    median: float
    best: float

    def rate(self, items):
        """(median, best) items per second for `items` processed per call."""
        return items / self.median, items / self.best


def time_call(fn, repeats=5, warmup=2, min_seconds=0.2):
    """Time one call of `fn` after warm-up: median and best of `repeats`, in seconds.

    The warm-up calls absorb tracing and first-touch costs. A call that takes less than
    `min_seconds` is grouped: each repeat then times `number` calls in a row (like `timeit`)
    so that very short steps are not dominated by timer noise.

    Args:
        fn: callable without arguments. It must block until its work is done.
        repeats: int. Timed repeats. Defaults to 5.
        warmup: int. Untimed calls first. Defaults to 2.
        min_seconds: float. Target duration of one repeat. Defaults to 0.2.

    Returns:
        Timing, seconds per call.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1. Received: repeats={repeats}")
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    number = max(1, round(min_seconds / max(time.perf_counter() - start, 1e-9)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return Timing(median=statistics.median(times), best=min(times))


def time_round_robin(fns, repeats=9, warmup=1, min_seconds=0.2):
    """Time several callables in turn: repeat r times each of them once, so all see the same machine state.

    On a shared machine the load drifts over a run: timing one candidate's repeats back to back
    and then the next one's compares them at different loads. Here every round times each
    callable (grouped into `number` calls when a call is shorter than `min_seconds`, as
    `time_call`), and the median and best are taken per callable over the rounds.

    Args:
        fns: dict `{name: callable without arguments}`; each must block until its work is done.
        repeats: int. Rounds. Defaults to 9.
        warmup: int. Untimed calls of each first. Defaults to 1.
        min_seconds: float. Target duration of one timed group. Defaults to 0.2.

    Returns:
        dict `{name: Timing}`, seconds per call.

    Example:
    ```python
    timings = time_round_robin({"sum": lambda: sum(range(1000)), "max": lambda: max(range(1000))}, repeats=3)
    timings["sum"].median > 0   # True
    ```
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1. Received: repeats={repeats}")
    numbers = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        start = time.perf_counter()
        fn()
        numbers[name] = max(1, round(min_seconds / max(time.perf_counter() - start, 1e-9)))
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            times[name].append((time.perf_counter() - start) / numbers[name])
    return {name: Timing(median=statistics.median(t), best=min(t)) for name, t in times.items()}


def environment_line():
    """One line naming the software and the machine the numbers were measured on."""
    import keras
    import tensorflow as tf

    threads = tf.config.threading
    intra, inter = threads.get_intra_op_parallelism_threads(), threads.get_inter_op_parallelism_threads()
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"TensorFlow {tf.__version__}, Keras {keras.__version__} (backend {keras.backend.backend()}), "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs ({cpu_description()}), "
        f"TF threads intra={intra or 'default'} inter={inter or 'default'}{load}"
    )


def save_results(path, result):
    """Write a benchmark's result (environment, date, settings, rows) as JSON, creating the folder.

    `bench/results/` holds the runs the README quotes. Returns the path as a `Path`.

    Example:
    ```python
    save_results("results/peak.json", {"rows": []})   # {"date": "...", "rows": []}
    ```
    """
    import json
    import pathlib

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), **result}, indent=2, default=str) + "\n")
    print(f"\nsaved: {path}")
    return path


def cpu_description():
    """The CPU model and whether it has AVX-512 (oneDNN uses it when present), from /proc/cpuinfo."""
    try:
        lines = open("/proc/cpuinfo").read().splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return f"{model}, {'AVX-512' if 'avx512f' in flags else 'no AVX-512'}"


def print_table(title, rows, columns=None):
    """Print a titled plain-text table of a list of dicts (see `core.cli.format_table`)."""
    print(f"\n{title}")
    print(format_table(rows, columns))


# Official figures measured on another day and machine are printed under this label only, never
# divided into a ratio (a ratio needs the official code timed in the same run: bench.official).
# Defined in bench.official, which imports only the standard library (its torch child runs it too).
from bench.official import STORED  # noqa: E402,F401


def ratio(ours, theirs):
    """'1.23×' for ours/theirs."""
    return f"{ours / theirs:.2f}×"


def count_flops(model, input_shape, rules=None):
    """Floating-point operations of one forward pass, counted from the model's layers (2 per multiply-add).

    The model runs once on zeros of `input_shape` with every layer's `call` watched. A layer of a
    known kind is counted from its input and output shapes, and the layers it calls inside are not
    counted again: `Dense`, convolutions (any rank, groups), transposed, depthwise and separable
    convolutions, and the recurrent layers `SimpleRNN`/`GRU`/`LSTM` (the gate matmuls of every
    step). Element-wise work (activations, normalisation, additions, FFTs) is not counted: for the
    models timed here it is a small fraction. A layer of another kind holding a weight of rank ≥ 2
    of its own (a kernel, not its sub-layers') does work this count does not know: it is named in
    `uncounted`.

    Args:
        model: keras.Model (or layer) taking one input.
        input_shape: tuple of int, with the batch.
        rules: dict `{layer class: fn(layer, input_shape, output_shape) -> flops}` or None, for
            layers of the caller's own kinds; looked up before the built-in ones.

    Returns:
        dict with `flops` (int), `by_kind` ({class name: flops}) and `uncounted` (layer names).

    Example:
    ```python
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(4)])
    count_flops(model, (3, 10))["flops"]   # 240 = 2 × 3 × 10 × 4
    ```
    """
    import numpy as np

    rules = dict(rules or {})
    inside, records = [], []

    def watch(layer):
        call = layer.call
        rule = _flops_rule(layer, rules)

        def watched(*args, **kwargs):
            if inside:  # within a counted layer: its own formula covers this call
                return call(*args, **kwargs)
            if rule is not None:
                inside.append(layer)
            try:
                outputs = call(*args, **kwargs)
            finally:
                if rule is not None:
                    inside.pop()
            first = args[0] if args else next(iter(kwargs.values()), None)
            records.append((layer, rule, _shape(first), _shape(outputs)))
            return outputs

        object.__setattr__(layer, "call", watched)

    layers = list(model._flatten_layers(include_self=True, recursive=True))
    for layer in layers:
        watch(layer)
    try:
        model(np.zeros(input_shape, "float32"), training=False)
    finally:
        for layer in layers:
            object.__delattr__(layer, "call")

    total, by_kind, uncounted = 0, {}, []
    for layer, rule, inputs, outputs in records:
        if rule is not None:
            flops = int(rule(layer, inputs, outputs))
            by_kind[type(layer).__name__] = by_kind.get(type(layer).__name__, 0) + flops
            total += flops
            continue
        inner = {id(w) for sub in layer._flatten_layers(include_self=False, recursive=True) for w in sub.weights}
        if any(len(w.shape) >= 2 and id(w) not in inner for w in layer.weights) and layer.name not in uncounted:
            uncounted.append(layer.name)
    return {"flops": total, "by_kind": by_kind, "uncounted": uncounted}


def _shape(value):
    """The shape of a tensor, or of the first tensor of a nested structure (a list of inputs, a dict)."""
    import keras

    leaves = [leaf for leaf in keras.tree.flatten(value) if hasattr(leaf, "shape")]
    return tuple(int(d) for d in leaves[0].shape) if leaves else ()


def _prod(values):
    result = 1
    for value in values:
        result *= int(value)
    return result


def _flops_rule(layer, rules):
    """The function counting a layer's FLOPs from (layer, input shape, output shape), or None."""
    from keras.src.layers.convolutional.base_conv import BaseConv
    from keras.src.layers.convolutional.base_conv_transpose import BaseConvTranspose
    from keras.src.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
    from keras.src.layers.convolutional.base_separable_conv import BaseSeparableConv

    import keras

    for kind, rule in rules.items():
        if isinstance(layer, kind):
            return rule
    if isinstance(layer, keras.layers.Dense):
        return lambda l, i, o: 2 * _prod(i) * l.units
    if isinstance(layer, BaseSeparableConv):  # depthwise at the output's positions, then pointwise
        return lambda l, i, o: 2 * _prod(o[:-1]) * i[-1] * l.depth_multiplier * (_prod(l.kernel_size) + l.filters)
    if isinstance(layer, BaseDepthwiseConv):
        return lambda l, i, o: 2 * _prod(o) * _prod(l.kernel_size)
    if isinstance(layer, BaseConvTranspose):  # every input value scattered through the kernel
        return lambda l, i, o: 2 * _prod(i) * _prod(l.kernel_size) * l.filters
    if isinstance(layer, BaseConv):
        return lambda l, i, o: 2 * _prod(o) * _prod(l.kernel_size) * i[-1] // l.groups
    gates = {keras.layers.LSTM: 4, keras.layers.GRU: 3, keras.layers.SimpleRNN: 1}
    for kind, count in gates.items():
        if isinstance(layer, kind):
            return lambda l, i, o, g=count: 2 * i[0] * i[1] * g * l.units * (i[-1] + l.units)
    return None
