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


# Official figures measured on another day and machine (docs/official_implementations.md: an AVX2
# machine, 2026-12-02). They are printed under this label only, never divided into a ratio: a ratio
# against the official code needs it timed in the same run.
STORED = "stored (docs/official_implementations.md, AVX2, 2026-12-02; not this run, no ratio)"


def ratio(ours, theirs):
    """'1.23×' for ours/theirs."""
    return f"{ours / theirs:.2f}×"
