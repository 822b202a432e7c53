import os
import re

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from core.data.tfrecord import read_tfrecord_shards
from core.data.tfrecord import validate_tfrecord
from core.data.tfrecord import write_tfrecord_shards
from core.testing import TestCase


def _examples(count=7):
    rng = np.random.default_rng(0)
    return [
        {
            "image": rng.random((2, 3, 1)).astype("float32"),
            "label": np.int64(index),
            "mask": rng.integers(0, 255, (4,), dtype="uint8"),
            "name": f"subject-{index:02d}",
            "tokens": np.array(["a", "bcd"][: 1 + index % 2]),
            "signal": rng.standard_normal(index + 1).astype("float32"),  # length varies
            "flags": np.array([True, index % 2 == 0]),
        }
        for index in range(count)
    ]


class TFRecordTest(TestCase):
    def _write(self, compression=None, num_shards=3, examples=None):
        prefix = os.path.join(self.get_temp_dir(), "nested", "train")
        paths = write_tfrecord_shards(examples or _examples(), prefix, num_shards, compression=compression)
        return prefix, paths

    def _assert_round_trip(self, dataset, examples):
        read = list(dataset)
        self.assertEqual(len(read), len(examples))
        for got, expected in zip(read, examples):
            self.assertEqual(set(got), set(expected))
            for key, value in expected.items():
                value = np.asarray(value)
                if value.dtype.kind == "U":
                    value = np.char.encode(value, "utf-8")
                    self.assertEqual(got[key].dtype, tf.string)
                else:
                    self.assertEqual(got[key].dtype.as_numpy_dtype, value.dtype)
                np.testing.assert_array_equal(got[key].numpy(), value)

    @parameterized.named_parameters(("plain", None), ("gzip", "GZIP"))
    def test_round_trip_mixed_dtypes_and_shapes(self, compression):
        examples = _examples()
        prefix, paths = self._write(compression)
        self.assertEqual(
            [os.path.basename(p) for p in paths],
            [f"train-0000{i}-of-00003.tfrecord" for i in range(3)],
        )
        is_gzip = open(paths[0], "rb").read(2) == b"\x1f\x8b"
        self.assertEqual(is_gzip, compression == "GZIP")
        dataset = read_tfrecord_shards(prefix + "-*.tfrecord")
        spec = dataset.element_spec
        self.assertEqual(spec["image"].shape.as_list(), [2, 3, 1])
        self.assertEqual(spec["label"].shape.as_list(), [])
        self.assertEqual(spec["tokens"].shape.as_list(), [None])
        self.assertEqual(spec["signal"].shape.as_list(), [None])
        self.assertEqual(spec["mask"].dtype, tf.uint8)
        self._assert_round_trip(dataset, examples)  # round-robin shards read back in order
        self._assert_round_trip(read_tfrecord_shards(paths, validate=False), examples)

    def test_without_sidecar_spec_infers_dtypes_and_ranks(self):
        prefix, paths = self._write()
        os.remove(prefix + ".spec.json")
        dataset = read_tfrecord_shards(paths)
        self.assertEqual(dataset.element_spec["image"].shape.as_list(), [None, None, None])
        self.assertEqual(dataset.element_spec["name"].dtype, tf.string)
        self._assert_round_trip(dataset, _examples())

    def test_explicit_spec_selects_features(self):
        _, paths = self._write()
        spec = {"label": tf.TensorSpec([], tf.int64), "image": tf.TensorSpec([2, 3, 1], tf.float32)}
        labels = [int(example["label"]) for example in read_tfrecord_shards(paths, spec=spec)]
        self.assertEqual(labels, list(range(7)))
        self.assertEqual(set(read_tfrecord_shards(paths, spec=spec).element_spec), {"label", "image"})

    def test_validate_counts_records(self):
        _, paths = self._write(num_shards=3)
        self.assertEqual([validate_tfrecord(p) for p in paths], [3, 2, 2])

    @parameterized.named_parameters(
        ("plain_mid_record", None, 5), ("plain_record_boundary", None, 0), ("gzip", "GZIP", None)
    )
    def test_truncated_shard_error_names_the_file(self, compression, offset):
        prefix, paths = self._write(compression)
        with open(paths[1], "rb") as file:
            data = file.read()
        if offset is None:
            cut = len(data) // 2  # inside the compressed stream
        else:
            # A TFRecord record is: uint64 length, uint32 CRC, data, uint32 CRC.
            first_record = 8 + 4 + int(np.frombuffer(data[:8], "<u8")[0]) + 4
            cut = first_record + offset  # shard 1 holds two records: cut at or after the first
        with open(paths[1], "wb") as file:
            file.write(data[:cut])
        pattern = re.escape(os.path.basename(paths[1]))
        with self.assertRaisesRegex(tf.errors.DataLossError, pattern):
            read_tfrecord_shards(prefix + "-*.tfrecord")
        with self.assertRaisesRegex(tf.errors.DataLossError, pattern):
            validate_tfrecord(paths[1])

    def test_writer_errors(self):
        prefix = os.path.join(self.get_temp_dir(), "bad")
        with self.assertRaisesRegex(ValueError, "num_shards"):
            write_tfrecord_shards(_examples(), prefix, 0)
        with self.assertRaisesRegex(ValueError, "compression"):
            write_tfrecord_shards(_examples(), prefix, 1, compression="ZLIB")
        with self.assertRaisesRegex(ValueError, "same keys"):
            write_tfrecord_shards([{"a": np.zeros(2)}, {"b": np.zeros(2)}], prefix)
        with self.assertRaisesRegex(ValueError, "same dtype"):
            write_tfrecord_shards([{"a": np.zeros(2, "float32")}, {"a": np.zeros(2, "int64")}], prefix)
        with self.assertRaisesRegex(ValueError, "no example"):
            write_tfrecord_shards([], prefix)

    def test_reader_errors(self):
        folder = self.get_temp_dir()
        with self.assertRaisesRegex(ValueError, "No TFRecord file matches"):
            read_tfrecord_shards(os.path.join(folder, "missing-*.tfrecord"))
        with self.assertRaises(FileNotFoundError):
            read_tfrecord_shards([os.path.join(folder, "missing.tfrecord")])
