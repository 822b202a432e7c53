"""A narrow compatibility shim: `MultiWorkerMirroredStrategy` with Keras 3.15.1 `fit`.

Upstream bug keras-team/keras#20585 (tensorflow/tensorflow#72388), open for the pinned
Keras release: under a multi-worker collective strategy, `model.fit` fails twice.

1. `TensorFlowTrainer._maybe_symbolic_build` reduces the first distributed *data batch*
   with `strategy.reduce("MEAN", batch)` to build the model symbolically; across workers
   this raises "Attempt to convert a value (PerReplica:...) to a Tensor". Building only
   needs shapes, so the shim builds from the first local replica's batch instead.
2. `reduce_per_replica` reduces scalar logs with `strategy.reduce("MEAN", v, axis=0)`:
   "Invalid reduction dimension 0 for input with 0 dimensions". The shim reduces with
   `axis=None` (a mean over replicas), which is what the single-worker path computes.

Both patches act only when the strategy is a multi-worker collective one and defer to
Keras otherwise; they are applied only for exactly the Keras versions listed in
`SHIMMED_KERAS_VERSIONS`. `tests/core/training/test_distribute.py` runs two workers
without the shim and fails once upstream no longer needs it.
"""

import keras
import tensorflow as tf

SHIMMED_KERAS_VERSIONS = ("3.15.1",)
_applied = False


def shim_applies():
    """True when this Keras release is one the shim was written and tested for."""
    return keras.__version__ in SHIMMED_KERAS_VERSIONS


def apply_multi_worker_shim():
    """Patch the two Keras functions above (idempotent; no-op on other Keras versions).

    Returns:
        bool: whether the shim is active.
    """
    global _applied
    if _applied:
        return True
    if not shim_applies():
        return False
    from keras.src.backend.tensorflow import trainer as tf_trainer  # the private module at fault

    is_multi_worker = tf_trainer._collective_all_reduce_multi_worker
    original_build = tf_trainer.TensorFlowTrainer._maybe_symbolic_build
    original_reduce = tf_trainer.reduce_per_replica

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is None or not is_multi_worker(self.distribute_strategy):
            return original_build(self, iterator=iterator, data_batch=data_batch)
        for _, _, it in iterator:
            batch = next(it)
            data_batch = tf.nest.map_structure(
                lambda x: self.distribute_strategy.experimental_local_results(x)[0]
                if isinstance(x, tf.distribute.DistributedValues)
                else x,
                batch,
            )
            break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and is_multi_worker(strategy):
            return tf.nest.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None) if tf_trainer._is_per_replica_instance(v) else v,
                values,
            )
        return original_reduce(values, strategy, reduction)

    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    tf_trainer.reduce_per_replica = reduce_per_replica
    _applied = True
    return True
