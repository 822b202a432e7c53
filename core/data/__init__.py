"""Data helpers: tf.data pipelines, TFRecord shards, and the registry of real sample files.

`core.data.samples` is not imported here: it needs no TensorFlow and the CLI uses it alone.
"""

from core.data.pipeline import from_arrays, make_pipeline
from core.data.tfrecord import read_tfrecord_shards, validate_tfrecord, write_tfrecord_shards

__all__ = ["from_arrays", "make_pipeline", "read_tfrecord_shards", "validate_tfrecord", "write_tfrecord_shards"]
