"""Sharded TFRecord files of dicts of arrays: write, validate, read back as `tf.data`.

Encoding: each record is a `tf.train.Example` with one `bytes_list` feature per key, holding that
array as a serialized `TensorProto` (`tf.make_tensor_proto`, read back with `tf.io.parse_tensor`).
A `TensorProto` carries its own dtype and shape, so any shape and any TensorFlow dtype round-trips
(float16/32/64, int8–64, uint8–64, bool, complex, strings) without a per-dtype code path. Strings
are stored as UTF-8 bytes and read back as `tf.string`.

Files: `{prefix}-00000-of-00003.tfrecord`, ... (optionally GZIP-compressed; the reader detects it),
plus a small sidecar `{prefix}.spec.json` with each feature's dtype and shape (a dimension that
varies between examples is `null`). The reader uses the sidecar, when present, to give the data
set static shapes; without it, the dtypes and ranks come from the first record and every
dimension is `None`.

Corrupt files: `tf.data` reports a truncated or corrupt record as a `DataLossError` that does not
name the file. `validate_tfrecord` reads one file through and re-raises with its path, and
`read_tfrecord_shards` runs it on every shard before building the data set (by default when the
shards total at most 256 MiB; pass `validate=True` to always check, `validate=False` to skip).
The sidecar also records each shard's record count, which catches a file cut exactly between two
records (still a well-formed TFRecord file).
"""

import json
import os
import re

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2

AUTOTUNE = tf.data.AUTOTUNE

SPEC_SUFFIX = ".spec.json"
SPEC_FORMAT = "resuite-tfrecord-v1"

# `validate="auto"` checks the shards when together they are at most this many bytes.
AUTO_VALIDATE_MAX_BYTES = 256 * 1024 * 1024

# `cycle_length=None` reads up to this many shards at a time.
MAX_DEFAULT_CYCLE_LENGTH = 16

_COMPRESSIONS = (None, "GZIP")
_SHARD_NAME = re.compile(r"^(?P<prefix>.*)-\d{5}-of-\d{5}\.tfrecord$")
_GZIP_MAGIC = b"\x1f\x8b"


def write_tfrecord_shards(examples, path_prefix, num_shards=1, compression=None):
    """Write dicts of arrays to `num_shards` TFRecord files, round-robin.

    Example `i` goes to shard `i % num_shards`, so the shards differ in size by at most one and a
    deterministic read with `read_tfrecord_shards` (up to 16 shards) returns the original order.
    Every example must have the same keys, and each key the same dtype in every example; shapes may
    vary (the varying dimensions are recorded as `None`).

    Args:
        examples: an iterable of dicts mapping `str` keys to NumPy arrays or scalars (numbers,
            `str`, `bytes`; a Python `float` is stored as float64 and an `int` as int64, so use
            `np.float32(x)` for float32). A generator is fine: examples are streamed, not held.
        path_prefix: str or path. Files are named `{path_prefix}-00000-of-0000N.tfrecord`; missing
            folders are created. The spec goes to `{path_prefix}.spec.json`.
        num_shards: int > 0. Number of files. Defaults to `1`.
        compression: `None` or `"GZIP"`. Defaults to `None`.

    Returns:
        The list of shard paths, in shard order.

    Example:
    ```python
    volumes = [np.random.rand(8, 8, 8) for _ in range(6)]
    labels = [0, 1, 0, 1, 1, 0]

    def examples():
        for index, (volume, label) in enumerate(zip(volumes, labels)):
            yield {"image": volume.astype("float32"), "label": np.int64(label), "id": f"sub-{index:02d}"}

    paths = write_tfrecord_shards(examples(), "data/mri/train", num_shards=2, compression="GZIP")
    dataset = read_tfrecord_shards("data/mri/train-*.tfrecord")   # 6 examples, in the written order
    ```
    """
    if isinstance(num_shards, bool) or not isinstance(num_shards, (int, np.integer)) or num_shards <= 0:
        raise ValueError(f"`num_shards` must be a positive integer. Received: num_shards={num_shards!r}")
    if compression not in _COMPRESSIONS:
        raise ValueError(f"`compression` must be one of {_COMPRESSIONS}. Received: compression={compression!r}")
    path_prefix = os.fspath(path_prefix)
    folder = os.path.dirname(path_prefix)
    if folder:
        tf.io.gfile.makedirs(folder)

    paths = [f"{path_prefix}-{index:05d}-of-{num_shards:05d}.tfrecord" for index in range(num_shards)]
    options = tf.io.TFRecordOptions(compression_type=compression or "")
    writers = [tf.io.TFRecordWriter(path, options=options) for path in paths]
    specs = None  # key -> (dtype name, shape list or None)
    num_examples = 0
    shard_sizes = [0] * num_shards
    try:
        for index, example in enumerate(examples):
            if not isinstance(example, dict) or not example:
                raise ValueError(
                    f"Every example must be a non-empty dict of arrays. Received at index {index}: {type(example)}"
                )
            if specs is not None and set(example) != set(specs):
                raise ValueError(
                    f"Every example must have the same keys. Example 0 has {sorted(specs)}; "
                    f"example {index} has {sorted(example)}."
                )
            features = {}
            example_specs = {}
            for key, value in example.items():
                if not isinstance(key, str):
                    raise ValueError(f"Feature keys must be strings. Received: key={key!r}")
                proto = _to_tensor_proto(value, key)
                dtype = tf.dtypes.as_dtype(proto.dtype)
                example_specs[key] = (dtype.name, [dim.size for dim in proto.tensor_shape.dim])
                features[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[proto.SerializeToString()]))
            specs = example_specs if specs is None else _merge_specs(specs, example_specs, index)
            record = tf.train.Example(features=tf.train.Features(feature=features))
            writers[index % num_shards].write(record.SerializeToString())
            shard_sizes[index % num_shards] += 1
            num_examples += 1
    finally:
        for writer in writers:
            writer.close()
    if num_examples == 0:
        raise ValueError("`examples` yielded no example; nothing to describe in the spec. Received: 0 examples")

    spec_json = {
        "format": SPEC_FORMAT,
        "compression": compression,
        "num_examples": num_examples,
        "shards": {os.path.basename(path): size for path, size in zip(paths, shard_sizes)},
        "features": {key: {"dtype": dtype, "shape": shape} for key, (dtype, shape) in sorted(specs.items())},
    }
    with tf.io.gfile.GFile(path_prefix + SPEC_SUFFIX, "w") as file:
        json.dump(spec_json, file, indent=2)
    return paths


def read_tfrecord_shards(
    pattern_or_paths,
    spec=None,
    compression="auto",
    validate="auto",
    cycle_length=None,
    deterministic=None,
):
    """Read shards written by `write_tfrecord_shards` as a `tf.data.Dataset` of dicts.

    The shards are interleaved (`num_parallel_calls=AUTOTUNE`, one record from each in turn) and the
    records parsed in parallel. With a deterministic read and at most `cycle_length` shards, the
    examples come back in the order they were written.

    Args:
        pattern_or_paths: a glob pattern (`"/data/train-*.tfrecord"`) or a list of file paths.
        spec: dict mapping keys to `tf.TensorSpec`, or `None`. Which features to read, with their
            dtypes and shapes. `None` uses the `{prefix}.spec.json` sidecar next to the shards, or,
            without one, the dtypes and ranks of the first record. Defaults to `None`.
        compression: `"auto"`, `None` or `"GZIP"`. `"auto"` detects GZIP from the files' first bytes.
            Defaults to `"auto"`.
        validate: `"auto"`, `True` or `False`. Whether to read every shard through first with
            `validate_tfrecord`, so that a corrupt shard raises an error naming it. `"auto"`
            validates when the shards total at most 256 MiB. Defaults to `"auto"`.
        cycle_length: int or `None`. Number of shards read at a time. `None` means
            `min(number of shards, 16)`. Defaults to `None`.
        deterministic: bool or `None`. Passed to `interleave` and `map`; `None` follows
            `tf.data.Options` (deterministic by default). Defaults to `None`.

    Returns:
        A `tf.data.Dataset` of dicts of tensors (unbatched).

    Example:
    ```python
    examples = ({"image": np.full((4, 4), i, "float32"), "label": np.int64(i % 2)} for i in range(8))
    write_tfrecord_shards(examples, "data/train", num_shards=2)
    dataset = read_tfrecord_shards("data/train-*.tfrecord")
    dataset = dataset.map(lambda example: (example["image"], example["label"])).batch(4)
    ```
    """
    paths = _resolve_paths(pattern_or_paths)
    if compression == "auto":
        compression = _detect_compression(paths)
    elif compression not in _COMPRESSIONS:
        raise ValueError(
            f"`compression` must be 'auto', None or 'GZIP'. Received: compression={compression!r}"
        )
    if validate not in ("auto", True, False):
        raise ValueError(f"`validate` must be 'auto', True or False. Received: validate={validate!r}")
    if validate == "auto":
        validate = sum(tf.io.gfile.stat(path).length for path in paths) <= AUTO_VALIDATE_MAX_BYTES
    if validate:
        for path in paths:
            validate_tfrecord(path, compression=compression)
    if spec is None:
        spec = _load_spec_sidecar(paths[0])
    if spec is None:
        spec = _infer_spec(paths, compression)
    _check_spec(spec)

    if cycle_length is None:
        cycle_length = min(len(paths), MAX_DEFAULT_CYCLE_LENGTH)
    compression_type = compression or ""
    dataset = tf.data.Dataset.from_tensor_slices(paths).interleave(
        lambda path: tf.data.TFRecordDataset(path, compression_type=compression_type),
        cycle_length=cycle_length,
        block_length=1,
        num_parallel_calls=AUTOTUNE,
        deterministic=deterministic,
    )
    features = {key: tf.io.FixedLenFeature([], tf.string) for key in spec}

    def parse(record):
        serialized = tf.io.parse_single_example(record, features)
        return {
            key: tf.ensure_shape(tf.io.parse_tensor(serialized[key], out_type=value.dtype), value.shape)
            for key, value in spec.items()
        }

    return dataset.map(parse, num_parallel_calls=AUTOTUNE, deterministic=deterministic)


def validate_tfrecord(path, compression="auto"):
    """Read a TFRecord file through, checking every record; name the file if it is corrupt.

    TFRecord records carry CRC checksums; reading them all detects truncated and corrupted files.
    The check runs inside `tf.data` (no Python per record), so it costs about one sequential read.
    A file cut exactly between two records is well-formed TFRecord; when the file has a
    `.spec.json` sidecar from `write_tfrecord_shards`, its record count is checked against the
    count written, which catches that case too. TensorFlow does not check a GZIP file's 8-byte
    trailer, so a GZIP file cut only in its trailer passes: all its records are still intact.

    Args:
        path: str or path. The file.
        compression: `"auto"`, `None` or `"GZIP"`. Defaults to `"auto"` (detected from the first bytes).

    Returns:
        The number of records in the file.

    Raises:
        tf.errors.DataLossError (or the `tf.errors.OpError` that `tf.data` raised): the file is
            corrupt or truncated; the message names the file.

    Example:
    ```python
    examples = ({"x": np.arange(3, dtype="float32")} for _ in range(5))
    write_tfrecord_shards(examples, "data/train", num_shards=2)
    for path in sorted(tf.io.gfile.glob("data/train-*.tfrecord")):
        print(path, validate_tfrecord(path))   # data/train-00000-of-00002.tfrecord 3, then ... 2
    ```
    """
    path = os.fspath(path)
    if compression == "auto":
        compression = _detect_compression([path])
    dataset = tf.data.TFRecordDataset(path, compression_type=compression or "")
    try:
        num_records = int(dataset.reduce(np.int64(0), lambda count, _: count + 1))
    except tf.errors.OpError as error:
        # Drop tf.data's internal function name and op suffix from the message; keep the cause.
        cause = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", error.message).split(" [Op:")[0].strip()
        message = f"Corrupt or truncated TFRecord file {path!r}: {cause}"
        raise type(error)(error.node_def, error.op, message) from error
    _check_record_count(path, num_records)
    return num_records


def _to_tensor_proto(value, key):
    array = np.asarray(value)
    if array.dtype.kind in "UO":
        # Python/NumPy strings become UTF-8 bytes (tf.string).
        flat = [item.encode("utf-8") if isinstance(item, str) else item for item in array.ravel().tolist()]
        array = np.array(flat, dtype=object).reshape(array.shape)
    try:
        return tf.make_tensor_proto(array)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Cannot store feature {key!r} as a tensor: {error}. Received: dtype={array.dtype}, shape={array.shape}"
        ) from error


def _merge_specs(specs, new_specs, index):
    merged = {}
    for key, (dtype, shape) in specs.items():
        new_dtype, new_shape = new_specs[key]
        if new_dtype != dtype:
            raise ValueError(
                f"Feature {key!r} must have the same dtype in every example. "
                f"Received: {dtype} earlier, {new_dtype} in example {index}"
            )
        if shape is None or len(shape) != len(new_shape):
            merged[key] = (dtype, None)  # the rank varies: unknown shape
        else:
            merged[key] = (dtype, [a if a == b else None for a, b in zip(shape, new_shape)])
    return merged


def _resolve_paths(pattern_or_paths):
    if isinstance(pattern_or_paths, (str, os.PathLike)):
        pattern = os.fspath(pattern_or_paths)
        paths = sorted(tf.io.gfile.glob(pattern))
        if not paths:
            raise ValueError(f"No TFRecord file matches the pattern. Received: pattern_or_paths={pattern!r}")
        return paths
    paths = [os.fspath(path) for path in pattern_or_paths]
    if not paths:
        raise ValueError(f"No TFRecord file given. Received: pattern_or_paths={pattern_or_paths!r}")
    for path in paths:
        if not tf.io.gfile.exists(path):
            raise FileNotFoundError(f"TFRecord file not found: {path!r}")
    return paths


def _detect_compression(paths):
    kinds = set()
    for path in paths:
        with tf.io.gfile.GFile(path, "rb") as file:
            kinds.add("GZIP" if file.read(2) == _GZIP_MAGIC else None)
    if len(kinds) > 1:
        raise ValueError(
            "The shards mix GZIP-compressed and uncompressed files; pass files of one kind. "
            f"Received: {len(paths)} paths starting with {paths[0]!r}"
        )
    return kinds.pop()


def _read_sidecar(path):
    """The `{prefix}.spec.json` written next to the shard `path`, or `None`."""
    match = _SHARD_NAME.match(path)
    if match is None:
        return None
    spec_path = match.group("prefix") + SPEC_SUFFIX
    if not tf.io.gfile.exists(spec_path):
        return None
    with tf.io.gfile.GFile(spec_path, "r") as file:
        spec_json = json.load(file)
    if spec_json.get("format") != SPEC_FORMAT:
        raise ValueError(f"{spec_path!r} is not a {SPEC_FORMAT} spec. Received: format={spec_json.get('format')!r}")
    return spec_json


def _check_record_count(path, num_records):
    """A file cut exactly between two records is still valid TFRecord: compare with the sidecar."""
    spec_json = _read_sidecar(path)
    if spec_json is None:
        return
    expected = spec_json.get("shards", {}).get(os.path.basename(path))
    if expected is not None and expected != num_records:
        raise tf.errors.DataLossError(
            None,
            None,
            f"Truncated TFRecord file {path!r}: it holds {num_records} records, but {expected} were written "
            "(according to its .spec.json).",
        )


def _load_spec_sidecar(path):
    spec_json = _read_sidecar(path)
    if spec_json is None:
        return None
    return {
        key: tf.TensorSpec(shape=feature["shape"], dtype=tf.dtypes.as_dtype(feature["dtype"]), name=key)
        for key, feature in spec_json["features"].items()
    }


def _infer_spec(paths, compression):
    """Dtypes and ranks from the first record; every dimension `None`."""
    for path in paths:
        for record in tf.data.TFRecordDataset(path, compression_type=compression or "").take(1):
            example = tf.train.Example.FromString(record.numpy())
            spec = {}
            for key, feature in example.features.feature.items():
                proto = tensor_pb2.TensorProto.FromString(feature.bytes_list.value[0])
                spec[key] = tf.TensorSpec(
                    shape=[None] * len(proto.tensor_shape.dim), dtype=tf.dtypes.as_dtype(proto.dtype), name=key
                )
            return spec
    raise ValueError(f"The TFRecord files hold no record to infer a spec from. Received: paths={paths}")


def _check_spec(spec):
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f"`spec` must be a non-empty dict of tf.TensorSpec. Received: spec={spec!r}")
    for key, value in spec.items():
        if not isinstance(value, tf.TensorSpec):
            raise ValueError(f"`spec[{key!r}]` must be a tf.TensorSpec. Received: {value!r}")
