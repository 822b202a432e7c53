"""Streams of generated examples: a seeded per-example generator, run in parallel inside `tf.data`.

A procedural data set (rendered letters, simulated signals, ...) is a function
`make_example(rng, index) -> tuple of NumPy arrays`. `generated_dataset` maps it over example
indices with `num_parallel_calls`, giving example `index` its own generator
`numpy.random.default_rng([seed, index])`. Hence:

- the stream is reproducible: the same seed gives the same examples, in the same order, however
  many threads run the function (`deterministic=True` keeps the order of the indices);
- example `index` does not depend on the others: a stream started at `start=1000` yields the
  examples 1000, 1001, ... of the full stream, so a resumed or sharded run sees the same data;
- different seeds give independent streams (use one per split: training, validation, test).

NumPy and SciPy release the GIL in most of their array work, so several calls run at once on
several cores; the function must only use its own `rng` (never a global random state).

`generated_batch_dataset` is the same stream made a chunk of consecutive examples at a time by
vectorised code `make_batch(rngs, indices)` (one generator per example, as above): for generators
made of many small array operations, a chunk spends far less time in the Python interpreter per
example, so it is faster and its parallel calls overlap better.

At interpreter exit, an endless stream whose iterator is still alive would keep calling into
Python from tf.data's threads; a thread that asks for the GIL once Python has begun finalizing
never gets it, and the exit then waits for that thread for ever. So an `atexit` hook
(`_stop_generating`) first makes every later call fail at once (its error only fills the
pipeline's buffers, which then stop asking) and waits for the calls under way to return.
"""

import atexit
import threading
import time

import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
EXIT_WAIT_SECONDS = 30.0  # at most this long for the generator calls under way at exit
_calls = {"running": 0, "last_start": 0.0, "stopped": False}
_calls_lock = threading.Lock()


def _stop_generating(timeout=EXIT_WAIT_SECONDS, quiet=0.2):
    """At exit: refuse new generator calls, wait until none runs and none started for `quiet` s."""
    with _calls_lock:
        _calls["stopped"] = True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _calls_lock:
            idle = _calls["running"] == 0 and time.monotonic() - _calls["last_start"] > quiet
        if idle:
            return True
        time.sleep(0.01)  # releases the GIL: the running calls finish
    return False


atexit.register(_stop_generating)


def example_rng(seed, index):
    """The NumPy generator of example `index` of the stream `seed` (what `generated_dataset` passes).

    Args:
        seed: int or tuple of ints. The stream's seed.
        index: int >= 0. The example's position in the stream.

    Example:
    ```python
    a = example_rng(0, 5).random()
    assert a == example_rng(0, 5).random() and a != example_rng(1, 5).random()
    ```
    """
    seed = list(seed) if isinstance(seed, (tuple, list)) else [int(seed)]
    return np.random.default_rng([*map(int, seed), int(index)])


def generated_dataset(make_example, output_signature, seed=0, num_examples=None, start=0,
                      num_parallel_calls=AUTOTUNE, deterministic=True):
    """A `tf.data.Dataset` of `make_example(example_rng(seed, i), i)` for i = start, start + 1, ...

    Args:
        make_example: callable `(rng, index) -> tuple of NumPy arrays`, one per entry of
            `output_signature` (a single `tf.TensorSpec` means one array). It must draw every random
            number from `rng`.
        output_signature: `tf.TensorSpec` or tuple of them: dtype and shape of each array.
        seed: int or tuple of ints. The stream's seed. Defaults to 0.
        num_examples: int or None. Number of examples; None streams forever. Defaults to None.
        start: int. Index of the first example. Defaults to 0.
        num_parallel_calls: int or `tf.data.AUTOTUNE`. Examples made at once. Defaults to AUTOTUNE.
        deterministic: bool. Keep the index order whatever the parallelism. Defaults to True.

    Returns:
        A `tf.data.Dataset` of the examples (unbatched).

    Raises:
        ValueError: a negative `start` or `num_examples`; at iteration time, an example whose arrays
            do not match `output_signature` (naming the entry and the index).

    Example:
    ```python
    def noisy_sine(rng, index):
        phase = rng.uniform(0, 2 * np.pi)
        x = np.sin(np.linspace(0, 6, 32) + phase) + 0.1 * rng.standard_normal(32)
        return x.astype("float32"), np.int64(index % 2)

    signature = (tf.TensorSpec((32,), tf.float32), tf.TensorSpec((), tf.int64))
    stream = generated_dataset(noisy_sine, signature, seed=7, num_examples=100).batch(10)
    x, y = next(iter(stream))   # (10, 32), (10,)
    ```
    """
    single = isinstance(output_signature, tf.TensorSpec)

    def make_batch(rngs, indices):
        arrays = make_example(rngs[0], int(indices[0]))
        stacked = [np.asarray(array)[np.newaxis] for array in ((arrays,) if single else arrays)]
        return stacked[0] if single else tuple(stacked)

    return _chunked_dataset(make_batch, output_signature, seed, num_examples, start, 1, num_parallel_calls,
                            deterministic, "make_example")


def generated_batch_dataset(make_batch, output_signature, seed=0, num_examples=None, start=0, chunk_size=32,
                            num_parallel_calls=AUTOTUNE, deterministic=True):
    """Like `generated_dataset`, but the examples are made `chunk_size` at a time, by vectorised code.

    `make_batch(rngs, indices)` receives the consecutive indices of a chunk and their generators
    `[example_rng(seed, i) for i in indices]`, and returns arrays stacked along a first axis of
    `len(indices)`. If it draws example i's random numbers from `rngs` entry i only, the stream is
    the same whatever `chunk_size` (and equals making the examples one by one). A chunk amortises
    the Python overhead of many small array operations over its examples, and one call holds the
    GIL far less per example, so the parallel calls overlap better.

    Args:
        make_batch: callable `(list of generators, int64 array of indices) -> tuple of arrays`
            (one per entry of `output_signature`, each with the chunk as first axis; a single
            `tf.TensorSpec` means one array).
        output_signature: `tf.TensorSpec` or tuple of them: dtype and shape of one example's arrays.
        seed: int or tuple of ints. The stream's seed. Defaults to 0.
        num_examples: int or None. Number of examples; None streams forever. Defaults to None.
        start: int. Index of the first example. Defaults to 0.
        chunk_size: int >= 1. Examples per call of `make_batch` (the last chunk may be shorter).
            Defaults to 32.
        num_parallel_calls: int or `tf.data.AUTOTUNE`. Chunks made at once. Defaults to AUTOTUNE.
        deterministic: bool. Keep the index order whatever the parallelism. Defaults to True.

    Returns:
        A `tf.data.Dataset` of the examples (unbatched).

    Raises:
        ValueError: a negative `start` or `num_examples`, `chunk_size` < 1; at iteration time,
            arrays that do not match `output_signature` (naming the entry and the first index).

    Example:
    ```python
    def noisy_sines(rngs, indices):
        phases = np.array([rng.uniform(0, 2 * np.pi) for rng in rngs])
        x = np.sin(np.linspace(0, 6, 32)[None] + phases[:, None])
        return x.astype("float32"), (indices % 2).astype("int64")

    signature = (tf.TensorSpec((32,), tf.float32), tf.TensorSpec((), tf.int64))
    stream = generated_batch_dataset(noisy_sines, signature, seed=7, num_examples=100, chunk_size=16)
    x, y = next(iter(stream.batch(10)))   # (10, 32), (10,)
    ```
    """
    return _chunked_dataset(make_batch, output_signature, seed, num_examples, start, chunk_size, num_parallel_calls,
                            deterministic, "make_batch")


def _chunked_dataset(make_batch, output_signature, seed, num_examples, start, chunk_size, num_parallel_calls,
                     deterministic, what):
    """The stream of both functions above; `what` names the user's function in error messages."""
    if start < 0 or (num_examples is not None and num_examples < 0):
        raise ValueError(f"start and num_examples must be >= 0. Received: start={start}, num_examples={num_examples}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1. Received: chunk_size={chunk_size}")
    single = isinstance(output_signature, tf.TensorSpec)
    specs = (output_signature,) if single else tuple(output_signature)
    seed_list = list(seed) if isinstance(seed, (tuple, list)) else [int(seed)]

    def make(first, last):
        with _calls_lock:
            if _calls["stopped"]:
                raise RuntimeError("the interpreter is exiting: no more generated examples")
            _calls["running"] += 1
            _calls["last_start"] = time.monotonic()
        try:
            return checked(first, last)
        finally:
            with _calls_lock:
                _calls["running"] -= 1

    def checked(first, last):
        indices = np.arange(int(first), int(last), dtype=np.int64)
        arrays = make_batch([example_rng(seed_list, index) for index in indices], indices)
        arrays = (arrays,) if single else tuple(arrays)
        if len(arrays) != len(specs):
            raise ValueError(f"{what} returned {len(arrays)} arrays for {len(specs)} specs. Received: index={first}")
        out = []
        for position, (array, spec) in enumerate(zip(arrays, specs)):
            array = np.asarray(array)
            expected = tf.TensorShape([len(indices)]).concatenate(spec.shape)
            if not expected.is_compatible_with(array.shape):
                shown = array.shape[1:] if chunk_size == 1 and array.ndim else array.shape
                raise ValueError(f"{what}'s array {position} has shape {shown}, expected "
                                 f"{spec.shape if chunk_size == 1 else expected}. Received: index={first}")
            out.append(array.astype(spec.dtype.as_numpy_dtype, copy=False))
        return out

    def to_tensors(first):
        last = first + chunk_size if stop is None else tf.minimum(first + chunk_size, stop)
        values = tf.numpy_function(make, [first, last], [spec.dtype for spec in specs], stateful=False)
        values = [tf.ensure_shape(value, [None, *spec.shape]) for value, spec in zip(values, specs)]
        return values[0] if single else tuple(values)

    chunk_size = int(chunk_size)
    stop = None if num_examples is None else start + num_examples
    firsts = tf.data.Dataset.range(start, stop if stop is not None else 2**62, chunk_size)
    return firsts.map(to_tensors, num_parallel_calls=num_parallel_calls, deterministic=deterministic).unbatch()
