import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from core.data.pipeline import from_arrays
from core.data.pipeline import make_pipeline
from core.testing import TestCase


def _flat(dataset):
    return np.concatenate([batch.numpy() for batch in dataset]).tolist()


class CallCounter:
    """Counts, from inside a tf.data map, how many elements a function has seen."""

    def __init__(self):
        self.calls = 0

    def _count(self, x):
        self.calls += 1
        return x

    def __call__(self, x):
        y = tf.py_function(self._count, [x], x.dtype)
        y.set_shape(x.shape)
        return y


class MakePipelineTest(TestCase):
    def test_batches_and_remainder(self):
        data = np.arange(10)
        sizes = [len(b) for b in make_pipeline(data, 4, training=False)]
        self.assertEqual(sizes, [4, 4, 2])
        sizes = [len(b) for b in make_pipeline(data, 4, training=False, drop_remainder=True)]
        self.assertEqual(sizes, [4, 4])

    def test_evaluation_keeps_order_and_skips_augmentation(self):
        data = np.arange(10)
        dataset = make_pipeline(data, 3, training=False, augment_fn=lambda x: x + 1000)
        self.assertEqual(_flat(dataset), list(range(10)))

    def test_training_shuffles_augments_and_reshuffles_each_epoch_from_cache(self):
        data = np.arange(32)
        preprocess, augment = CallCounter(), CallCounter()
        dataset = make_pipeline(
            tf.data.Dataset.from_tensor_slices(data), 32, map_fn=preprocess, augment_fn=augment, cache=True, seed=3
        )
        first, second = _flat(dataset), _flat(dataset)
        self.assertEqual(sorted(first), list(range(32)))
        self.assertEqual(sorted(second), list(range(32)))
        self.assertNotEqual(first, second)  # cache before shuffle: a new order every epoch
        self.assertNotEqual(first, list(range(32)))
        self.assertEqual(preprocess.calls, 32)  # map_fn ran once, before the cache
        self.assertEqual(augment.calls, 64)  # augment_fn ran every epoch, after the cache

    def test_seed_makes_pipelines_reproducible(self):
        data = np.arange(50)

        def build():
            return make_pipeline(data, 8, seed=7, map_fn=lambda x: x * 2, augment_fn=lambda x: x + 1)

        self.assertEqual(_flat(build()), _flat(build()))
        self.assertEqual(sorted(_flat(build())), [2 * i + 1 for i in range(50)])

    def test_repeat_gives_full_batches_across_epochs(self):
        batches = list(make_pipeline(np.arange(10), 4, repeat=True, seed=0).take(5))
        self.assertEqual([len(b) for b in batches], [4] * 5)
        first_pass = np.concatenate([b.numpy() for b in batches])[:10]
        self.assertEqual(sorted(first_pass.tolist()), list(range(10)))

    def test_shuffle_buffer_and_cache_file(self):
        path = os.path.join(self.get_temp_dir(), "cache")
        dataset = make_pipeline(np.arange(20), 5, shuffle_buffer=4, cache=path, seed=1)
        self.assertEqual(sorted(_flat(dataset)), list(range(20)))
        self.assertEqual(sorted(_flat(dataset)), list(range(20)))  # second epoch reads the cache file
        self.assertTrue(any(name.startswith("cache") for name in os.listdir(os.path.dirname(path))))

    def test_prefetched_output(self):
        dataset = make_pipeline(np.zeros((6, 3), "float32"), 2)
        self.assertEqual(dataset.element_spec.shape.as_list(), [None, 3])

    @parameterized.parameters(0, -1, 2.5, True, None)
    def test_invalid_batch_size_raises(self, batch_size):
        with self.assertRaisesRegex(ValueError, "batch_size"):
            make_pipeline(np.arange(4), batch_size)


class FromArraysTest(TestCase):
    def test_x_and_y(self):
        x = np.arange(12, dtype="float32").reshape(6, 2)
        y = np.arange(6)
        batches = list(from_arrays(x, y, batch_size=4, training=False))
        self.assertEqual(len(batches), 2)
        xb, yb = batches[0]
        self.assertAllClose(xb, x[:4])
        self.assertAllClose(yb, y[:4])

    def test_x_only_dict_and_sample_weight(self):
        x = {"flux": np.zeros((5, 7), "float32"), "snr": np.ones((5,), "float32")}
        (batch,) = list(from_arrays(x, batch_size=8, training=False))
        self.assertEqual(batch["flux"].shape, (5, 7))
        xb, yb, wb = next(iter(from_arrays(x, np.arange(5), np.ones(5), batch_size=5)))
        self.assertEqual((xb["snr"].shape, yb.shape, wb.shape), ((5,), (5,), (5,)))

    def test_list_of_inputs_stays_separate(self):
        x = [np.zeros((4, 3), "float32"), np.zeros((4, 5), "float32")]
        xb, _ = next(iter(from_arrays(x, np.arange(4), batch_size=4)))
        self.assertEqual([tuple(t.shape) for t in xb], [(4, 3), (4, 5)])

    def test_training_shuffles(self):
        x = np.arange(40)
        xb = np.concatenate([b.numpy() for b in from_arrays(x, batch_size=8, seed=0)])
        self.assertEqual(sorted(xb.tolist()), list(range(40)))
        self.assertNotEqual(xb.tolist(), list(range(40)))

    def test_length_mismatch_names_both_lengths(self):
        with self.assertRaisesRegex(ValueError, r"len\(x\)=10, len\(y\)=9"):
            from_arrays(np.zeros((10, 2)), np.zeros(9), batch_size=2)
        with self.assertRaisesRegex(ValueError, r"len\(sample_weight\)=3"):
            from_arrays(np.zeros((10, 2)), np.zeros(10), np.ones(3), batch_size=2)
        with self.assertRaisesRegex(ValueError, "same number of examples"):
            from_arrays({"a": np.zeros(3), "b": np.zeros(4)}, batch_size=2)

    def test_invalid_batch_size_raises(self):
        with self.assertRaisesRegex(ValueError, "batch_size=0"):
            from_arrays(np.zeros(3), batch_size=0)
