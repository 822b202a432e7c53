"""Data helpers: tf.data pipelines, seeded generated streams, TFRecord shards, z-scoring, and the
registry of real sample files.

Attributes are imported lazily so that `core.data.samples` (used by `resuite data`) does not
pull in TensorFlow.
"""

import importlib

_EXPORTS = {
    "example_rng": "core.data.generated",
    "expand_paths": "core.data.files",
    "find_files": "core.data.files",
    "from_arrays": "core.data.pipeline",
    "generated_batch_dataset": "core.data.generated",
    "generated_dataset": "core.data.generated",
    "make_pipeline": "core.data.pipeline",
    "read_tfrecord_shards": "core.data.tfrecord",
    "validate_tfrecord": "core.data.tfrecord",
    "write_tfrecord_shards": "core.data.tfrecord",
    "zscore": "core.data.normalization",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'core.data' has no attribute {name!r}")
