"""tf.data input pipelines in the one order that is right for training and evaluation.

`make_pipeline` builds, from a `tf.data.Dataset` or in-memory arrays:

    map_fn → cache → shuffle → repeat → augment_fn → batch → prefetch

- `map_fn` (deterministic preprocessing: decoding, normalisation) runs before the cache, so its
  work is done once and stored.
- `cache` comes before `shuffle`: a shuffle placed before the cache would be recorded in the
  cache on the first epoch and replayed in the same order every epoch. After the cache,
  `shuffle(reshuffle_each_iteration=True)` draws a new order each epoch from cached elements.
- `repeat` follows the shuffle, so each pass over the data is a fresh permutation, and precedes
  `batch`, so an infinite stream has no partial batches at epoch boundaries (useful with
  `steps_per_epoch` and `tf.distribute`).
- `augment_fn` (random augmentation) runs after the cache so each epoch sees new random draws,
  and only in training.
- `prefetch(AUTOTUNE)` overlaps the input pipeline with the training step.
"""

import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE

# Buffer size when `shuffle_buffer=None`: the whole data set when its size is known and at most
# this many elements, else this many.
MAX_DEFAULT_SHUFFLE_BUFFER = 10_000


def make_pipeline(
    dataset,
    batch_size,
    training=True,
    shuffle=None,
    shuffle_buffer=None,
    cache=False,
    map_fn=None,
    augment_fn=None,
    seed=None,
    drop_remainder=False,
    repeat=False,
):
    """Batch, shuffle, cache, preprocess and prefetch a data set, in the right order.

    The order is `map_fn → cache → shuffle → repeat → augment_fn → batch → prefetch`; the module
    docstring explains why. `map_fn` and `augment_fn` run with `num_parallel_calls=AUTOTUNE`;
    when a `seed` is given they keep the element order (`deterministic=True`) and the shuffle is
    seeded, so two pipelines built with the same seed yield the same batches. Random ops inside
    `augment_fn` are not seeded by this function: use stateless ops (`tf.image.stateless_*`)
    with your own seeds for fully reproducible augmentation.

    Args:
        dataset: a `tf.data.Dataset`, or in-memory data accepted by
            `tf.data.Dataset.from_tensor_slices` (a NumPy array, or a tuple/dict of arrays).
        batch_size: int > 0. Number of elements per batch.
        training: bool. Whether this is a training pipeline: `augment_fn` runs only in training,
            and `shuffle` defaults to `training`. Defaults to `True`.
        shuffle: bool or `None`. Whether to shuffle each epoch. `None` follows `training`.
            Defaults to `None`.
        shuffle_buffer: int or `None`. Shuffle buffer size. `None` uses the data set's size when
            known and at most 10,000, else 10,000. Defaults to `None`.
        cache: `False`, `True` (cache in memory) or a file path prefix (cache on disk, via
            `Dataset.cache(path)`; its folder must exist). Defaults to `False`.
        map_fn: callable or `None`. Deterministic per-element preprocessing, applied before the
            cache. Tuple elements are unpacked into its arguments (`map_fn(x, y)`). Defaults to `None`.
        augment_fn: callable or `None`. Random per-element augmentation, applied after the cache
            and only when `training=True`. Defaults to `None`.
        seed: int or `None`. Seed for the shuffle; also makes the parallel maps deterministic.
            Defaults to `None`.
        drop_remainder: bool. Drop the last partial batch. Defaults to `False`.
        repeat: bool. Repeat the data indefinitely. Defaults to `False`.

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Example:
    ```python
    images = np.random.randint(0, 256, size=(64, 8, 8, 3), dtype="uint8")
    labels = np.random.randint(0, 2, size=64)
    train_ds = tf.data.Dataset.from_tensor_slices((images[:48], labels[:48]))
    val_ds = tf.data.Dataset.from_tensor_slices((images[48:], labels[48:]))

    def normalize(image, label):
        return tf.cast(image, "float32") / 255.0, label

    def flip(image, label):
        return tf.image.random_flip_left_right(image), label

    train = make_pipeline(train_ds, 16, map_fn=normalize, augment_fn=flip, cache=True, seed=0)
    val = make_pipeline(val_ds, 16, training=False, map_fn=normalize, cache=True)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(train, validation_data=val, epochs=2, verbose=0)
    ```
    """
    batch_size = _check_batch_size(batch_size)
    if not isinstance(dataset, tf.data.Dataset):
        dataset = tf.data.Dataset.from_tensor_slices(dataset)
    if shuffle is None:
        shuffle = training
    deterministic = True if seed is not None else None

    if map_fn is not None:
        dataset = dataset.map(map_fn, num_parallel_calls=AUTOTUNE, deterministic=deterministic)
    if cache is True:
        dataset = dataset.cache()
    elif cache:
        dataset = dataset.cache(str(cache))
    if shuffle:
        buffer_size = shuffle_buffer if shuffle_buffer is not None else _default_shuffle_buffer(dataset)
        if buffer_size <= 0:
            raise ValueError(f"`shuffle_buffer` must be a positive integer. Received: shuffle_buffer={buffer_size}")
        dataset = dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if training and augment_fn is not None:
        dataset = dataset.map(augment_fn, num_parallel_calls=AUTOTUNE, deterministic=deterministic)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(AUTOTUNE)


def from_arrays(x, y=None, sample_weight=None, batch_size=32, **kwargs):
    """Build a `make_pipeline` data set from in-memory arrays.

    The elements are `x`, `(x, y)` or `(x, y, sample_weight)`, the layouts `keras.Model.fit`
    accepts. `x` (and `y`) may be a NumPy array or a dict/tuple/list of arrays of equal length.

    Args:
        x: array-like or a dict/tuple/list of arrays. The inputs.
        y: array-like, a dict/tuple/list of arrays, or `None`. The targets. Defaults to `None`.
        sample_weight: array-like or `None`. Per-example weights (requires `y`). Defaults to `None`.
        batch_size: int > 0. Defaults to `32`.
        **kwargs: passed on to `make_pipeline` (`training`, `shuffle`, `cache`, `map_fn`,
            `augment_fn`, `seed`, ...).

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Example:
    ```python
    x = np.random.rand(100, 128, 9).astype("float32")
    y = np.random.randint(0, 6, size=100)
    train = from_arrays(x, y, batch_size=16, seed=0)
    test = from_arrays(x, y, batch_size=16, training=False)
    ```
    """
    batch_size = _check_batch_size(batch_size)
    if sample_weight is not None and y is None:
        raise ValueError("`sample_weight` requires `y`. Received: y=None")
    num_x = _num_examples(x, "x")
    if y is None:
        element = x
    else:
        num_y = _num_examples(y, "y")
        if num_x != num_y:
            raise ValueError(
                f"`x` and `y` must hold the same number of examples. Received: len(x)={num_x}, len(y)={num_y}"
            )
        element = (x, y)
        if sample_weight is not None:
            num_weights = _num_examples(sample_weight, "sample_weight")
            if num_weights != num_x:
                raise ValueError(
                    "`sample_weight` must hold one weight per example. "
                    f"Received: len(x)={num_x}, len(sample_weight)={num_weights}"
                )
            element = (x, y, sample_weight)
    dataset = tf.data.Dataset.from_tensor_slices(_to_tuples(element))
    return make_pipeline(dataset, batch_size, **kwargs)


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    return int(batch_size)


def _default_shuffle_buffer(dataset):
    size = int(dataset.cardinality())
    if size > 0:
        return min(size, MAX_DEFAULT_SHUFFLE_BUFFER)
    return MAX_DEFAULT_SHUFFLE_BUFFER  # unknown or infinite cardinality


def _num_examples(data, name):
    """The common length of an array or of every array in a dict/tuple/list."""
    leaves = tf.nest.flatten(data)
    if not leaves:
        raise ValueError(f"`{name}` holds no arrays. Received: {name}={data!r}")
    lengths = set()
    for leaf in leaves:
        shape = np.shape(leaf)
        if not shape:
            raise ValueError(f"`{name}` must hold arrays with a leading example axis. Received a scalar: {leaf!r}")
        lengths.add(shape[0])
    if len(lengths) != 1:
        raise ValueError(
            f"All arrays in `{name}` must hold the same number of examples. "
            f"Received lengths: {sorted(lengths)}"
        )
    return lengths.pop()


def _to_tuples(data):
    """Lists become tuples: `from_tensor_slices` would stack a list of arrays into one tensor."""
    if isinstance(data, list):
        return tuple(_to_tuples(item) for item in data)
    if isinstance(data, tuple):
        return tuple(_to_tuples(item) for item in data)
    if isinstance(data, dict):
        return {key: _to_tuples(value) for key, value in data.items()}
    return data
