"""Pick a `tf.distribute` strategy by name: one function, one CLI flag."""

import json
import os

import tensorflow as tf

from core.training.multi_worker import apply_multi_worker_shim

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def split_cpu(num_devices):
    """Split the CPU into `num_devices` logical devices (to test mirrored training on CPU).

    Must run before TensorFlow initialises its devices (before any op); raises otherwise.

    Args:
        num_devices: int. Number of logical CPU devices.

    Example:
    ```python
    # example: not run (must be the first TensorFlow call of the program)
    split_cpu(2)
    strategy = get_strategy("mirrored")   # replicas on /cpu:0 and /cpu:1
    ```
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices)
    except RuntimeError as error:
        raise RuntimeError(
            f"Cannot split the CPU into {num_devices} logical devices: TensorFlow is already "
            "initialised. Call split_cpu() at program start, before building any model."
        ) from error


def get_strategy(name="default", devices=None, tpu=None):
    """Return a `tf.distribute.Strategy` by name.

    Args:
        name: str. "default" (no distribution: one device), "mirrored" (all local GPUs, or
            the logical CPUs made by `split_cpu`; synchronous data parallelism),
            "multi_worker" (several machines, from the `TF_CONFIG` environment variable;
            applies the Keras 3 shim of `core.training.multi_worker`) or "tpu".
        devices: list of str or None. Devices for "mirrored". Defaults to None (automatic).
        tpu: str or None. TPU address or name for "tpu". Defaults to None (auto-detect).

    Returns:
        tf.distribute.Strategy: build, compile and fit the model inside `strategy.scope()`.

    Example:
    ```python
    strategy = get_strategy("mirrored")   # every local GPU, else the (logical) CPUs
    with strategy.scope():   # build and compile inside the scope, e.g. a core.tasks.Classifier
        model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(10)])
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    features, labels = np.random.rand(32, 16).astype("float32"), np.random.randint(0, 10, size=32)
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(8)
    model.fit(dataset, epochs=1, verbose=0)   # the dataset's batch size is the global batch size
    ```
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if devices is None:
            gpus = tf.config.list_logical_devices("GPU")
            devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        config = os.environ.get("TF_CONFIG")
        if not config:
            raise ValueError(
                'strategy "multi_worker" needs the TF_CONFIG environment variable, e.g. '
                '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}. '
                "Received: TF_CONFIG unset"
            )
        try:
            json.loads(config)
        except json.JSONDecodeError as error:
            raise ValueError(f"TF_CONFIG is not valid JSON. Received: TF_CONFIG={config!r}") from error
        apply_multi_worker_shim()
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"strategy must be one of {STRATEGIES}. Received: strategy={name!r}")


def is_chief():
    """True on the worker that writes checkpoints and reports (worker 0, or single-process)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task")
    if not task:
        return True
    chief_type = "chief" if "chief" in config.get("cluster", {}) else "worker"
    return task.get("type") == chief_type and task.get("index", 0) == 0
