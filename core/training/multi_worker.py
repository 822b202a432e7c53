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

Resuming a killed multi-worker run: every worker keeps its own backup, the chief in
`OUTPUT/backup`, worker i in `OUTPUT/worker-<i>/backup` (`core.training.fit.worker_output_dir`;
the same folder on every launch). Start all workers again with the same command: each
restores its own backup and all resume from the same epoch; `core.training.callbacks.
BackupAgreement` stops the run, naming the epochs, if their backups disagree (a kill between
two workers' saves). Batch-norm moving statistics stay per worker (Keras 3 does not
synchronise them): the chief's `best.keras` holds those of its own data shard.
Tested here: two local processes (TF_CONFIG on 127.0.0.1) running `resuite train
har.resnet1d --strategy multi_worker`, killed after epoch 0's backup and resumed
(`tests/core/training/test_multi_worker_resume.py`, large). Not tested: separate machines,
a shared network file system, GPUs.

`--strategy tpu` (`--tpu NAME`): `get_strategy("tpu", tpu=NAME)` makes a
`TPUClusterResolver(tpu=NAME)` (None: the TPU of this Cloud TPU VM or of the
`TPU_NAME` environment variable), calls `tf.config.experimental_connect_to_cluster` and
`tf.tpu.experimental.initialize_tpu_system`, and returns a `tf.distribute.TPUStrategy`;
the shim above is not applied to it. Nothing of it was tested here: this project has no
TPU, no test runs `get_strategy("tpu")`, and neither Keras 3's `fit` under `TPUStrategy`
nor the tasks' data pipelines (TPUs need fixed batch shapes: `drop_remainder`) nor the
backup and resume above were ever run on one.
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
