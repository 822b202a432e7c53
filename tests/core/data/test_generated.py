"""`core.data.generated`: seeded per-example streams, deterministic whatever the parallelism."""

import threading

import numpy as np
import pytest
import tensorflow as tf

from core.data.generated import example_rng, generated_batch_dataset, generated_dataset

SIGNATURE = (tf.TensorSpec((5,), tf.float32), tf.TensorSpec((), tf.int64))


def noisy(rng, index):
    return rng.standard_normal(5).astype("float32"), np.int64(index)


def collect(dataset):
    xs, ys = zip(*dataset.as_numpy_iterator())
    return np.stack(xs), np.array(ys)


def test_same_seed_same_examples_in_order_whatever_the_parallelism():
    serial = collect(generated_dataset(noisy, SIGNATURE, seed=3, num_examples=40, num_parallel_calls=1))
    parallel = collect(generated_dataset(noisy, SIGNATURE, seed=3, num_examples=40, num_parallel_calls=8))
    np.testing.assert_array_equal(serial[1], np.arange(40))
    np.testing.assert_array_equal(serial[0], parallel[0])
    np.testing.assert_array_equal(serial[1], parallel[1])


def test_parallel_calls_really_overlap_and_keep_the_order():
    # Each call waits until two calls are inside at once: with one thread it would hang; the
    # order of the outputs must still be the index order.
    barrier = threading.Barrier(2, timeout=20)

    def slow(rng, index):
        barrier.wait()
        return np.full(5, index, "float32"), np.int64(index)

    x, y = collect(generated_dataset(slow, SIGNATURE, num_examples=8, num_parallel_calls=2))
    np.testing.assert_array_equal(y, np.arange(8))
    np.testing.assert_array_equal(x[:, 0], np.arange(8))


def test_example_depends_only_on_seed_and_index():
    full = collect(generated_dataset(noisy, SIGNATURE, seed=1, num_examples=20))
    tail = collect(generated_dataset(noisy, SIGNATURE, seed=1, num_examples=5, start=15))
    np.testing.assert_array_equal(full[0][15:], tail[0])
    np.testing.assert_array_equal(full[0][7], example_rng(1, 7).standard_normal(5).astype("float32"))
    other = collect(generated_dataset(noisy, SIGNATURE, seed=2, num_examples=20))
    assert not np.allclose(full[0], other[0])
    assert not np.allclose(full[0][0], full[0][1])  # examples of one stream are not copies


def test_endless_stream_and_tuple_seed():
    stream = generated_dataset(noisy, SIGNATURE, seed=(4, 1))
    x, y = next(iter(stream.batch(3)))
    assert x.shape == (3, 5) and list(y.numpy()) == [0, 1, 2]
    np.testing.assert_array_equal(x[2], example_rng((4, 1), 2).standard_normal(5).astype("float32"))


def test_single_spec_and_bad_shapes():
    single = generated_dataset(lambda rng, i: np.zeros((2, 2), "float32"), tf.TensorSpec((2, 2), tf.float32),
                               num_examples=2)
    assert next(iter(single)).shape == (2, 2)
    wrong = generated_dataset(lambda rng, i: (np.zeros(4, "float32"), np.int64(0)), SIGNATURE, num_examples=1)
    with pytest.raises(Exception, match=r"shape \(4,\), expected \(5,\).*index=0"):
        list(wrong)
    with pytest.raises(ValueError, match="start"):
        generated_dataset(noisy, SIGNATURE, start=-1)


def noisy_chunk(rngs, indices):
    return np.stack([rng.standard_normal(5).astype("float32") for rng in rngs]), indices.astype("int64")


def test_chunked_stream_equals_the_example_by_example_one_whatever_the_chunk_size():
    one_by_one = collect(generated_dataset(noisy, SIGNATURE, seed=3, num_examples=23, start=4))
    for chunk_size in (1, 5, 32):
        chunked = collect(generated_batch_dataset(noisy_chunk, SIGNATURE, seed=3, num_examples=23, start=4,
                                                  chunk_size=chunk_size, num_parallel_calls=3))
        np.testing.assert_array_equal(chunked[0], one_by_one[0])
        np.testing.assert_array_equal(chunked[1], np.arange(4, 27))  # the last chunk is cut at the end
    endless = generated_batch_dataset(noisy_chunk, SIGNATURE, seed=3, chunk_size=4)
    np.testing.assert_array_equal(next(iter(endless.skip(6)))[0], example_rng(3, 6).standard_normal(5).astype("float32"))
    wrong = generated_batch_dataset(lambda rngs, i: (np.zeros((len(i), 4), "float32"), i), SIGNATURE, num_examples=3)
    with pytest.raises(Exception, match=r"make_batch's array 0 has shape \(3, 4\), expected \(3, 5\)"):
        list(wrong)
    with pytest.raises(ValueError, match="chunk_size"):
        generated_batch_dataset(noisy_chunk, SIGNATURE, chunk_size=0)


EXIT_SCRIPT = """
import numpy as np, tensorflow as tf
from core.data.generated import generated_batch_dataset

def make(rngs, indices):
    field = np.ones((len(indices), 64, 64), "float32")
    for _ in range(20):  # NumPy lets go of the GIL and takes it back many times per call
        field = np.fft.irfft2(np.fft.rfft2(field), s=(64, 64)).astype("float32")
    return field[:, 0, :4], indices.astype("int64")

signature = (tf.TensorSpec((4,), tf.float32), tf.TensorSpec((), tf.int64))
stream = iter(generated_batch_dataset(make, signature, chunk_size=4).batch(4))
for _ in range(3):
    batch = next(stream)
print("last", int(batch[1][-1]), flush=True)
"""


def test_a_process_holding_an_endless_stream_exits():
    # The iterator is still alive, its calls under way, when Python exits: this used to hang.
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "last 11" in done.stdout
