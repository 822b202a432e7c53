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
"""

import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


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
    if start < 0 or (num_examples is not None and num_examples < 0):
        raise ValueError(f"start and num_examples must be >= 0. Received: start={start}, num_examples={num_examples}")
    single = isinstance(output_signature, tf.TensorSpec)
    specs = (output_signature,) if single else tuple(output_signature)
    seed_list = list(seed) if isinstance(seed, (tuple, list)) else [int(seed)]

    def make(index):
        index = int(index)
        arrays = make_example(example_rng(seed_list, index), index)
        arrays = (arrays,) if single else tuple(arrays)
        if len(arrays) != len(specs):
            raise ValueError(f"make_example returned {len(arrays)} arrays for {len(specs)} specs. Received: index={index}")
        out = []
        for position, (array, spec) in enumerate(zip(arrays, specs)):
            array = np.asarray(array)
            if not spec.shape.is_compatible_with(array.shape):
                raise ValueError(f"make_example's array {position} has shape {array.shape}, expected "
                                 f"{spec.shape}. Received: index={index}")
            out.append(array.astype(spec.dtype.as_numpy_dtype, copy=False))
        return out

    def to_tensors(index):
        values = tf.numpy_function(make, [index], [spec.dtype for spec in specs], stateful=False)
        values = [tf.ensure_shape(value, spec.shape) for value, spec in zip(values, specs)]
        return values[0] if single else tuple(values)

    stop = None if num_examples is None else start + num_examples
    indices = tf.data.Dataset.range(start, stop) if stop is not None else tf.data.Dataset.range(start, 2**62)
    return indices.map(to_tensors, num_parallel_calls=num_parallel_calls, deterministic=deterministic)
