"""Pick a `tf.distribute` strategy by name: one function, one CLI flag."""

import json
import os
import shutil

import tensorflow as tf

from core.training.multi_worker import apply_multi_worker_shim

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")
SLURM_PORT = 8888  # first port of a node's workers; RESUITE_SLURM_PORT or `port=` override it
# What `srun` sets for each task and `SlurmClusterResolver` reads.
SLURM_STEP_VARIABLES = ("SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_STEP_NODELIST", "SLURM_STEP_TASKS_PER_NODE")


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


def get_strategy(name="default", devices=None, tpu=None, port=None):
    """Return a `tf.distribute.Strategy` by name.

    Args:
        name: str. "default" (no distribution: one device), "mirrored" (all local GPUs, or
            the logical CPUs made by `split_cpu`; synchronous data parallelism),
            "multi_worker" (several machines, from the `TF_CONFIG` environment variable
            or, when it is unset, from the SLURM `srun` step, see `slurm_cluster_resolver`;
            applies the Keras 3 shim of `core.training.multi_worker`) or "tpu" (a
            `TPUStrategy`; never run on a TPU by this project: see `core.training.multi_worker`).
        devices: list of str or None. Devices for "mirrored". Defaults to None (automatic).
        tpu: str or None. TPU address or name for "tpu", passed to `TPUClusterResolver`.
            Defaults to None (auto-detect: `TPU_NAME`, or the TPU of a Cloud TPU VM).
        port: int or None. First port of the workers of a node under SLURM. Defaults to
            None: `RESUITE_SLURM_PORT`, else 8888.

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
        if config:
            try:
                json.loads(config)
            except json.JSONDecodeError as error:
                raise ValueError(f"TF_CONFIG is not valid JSON. Received: TF_CONFIG={config!r}") from error
            resolver = None  # MultiWorkerMirroredStrategy reads TF_CONFIG itself
        elif _in_slurm_allocation():
            resolver = slurm_cluster_resolver(port)
        else:
            raise ValueError(
                'strategy "multi_worker" needs a cluster, either from the TF_CONFIG environment variable, e.g. '
                '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}, '
                "or from a SLURM allocation, one worker per task: `srun resuite train TASK --strategy multi_worker`. "
                "Received: TF_CONFIG unset and no SLURM_JOB_ID, SLURM_PROCID or SLURM_STEP_NODELIST"
            )
        apply_multi_worker_shim()
        return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"strategy must be one of {STRATEGIES}. Received: strategy={name!r}")


def _in_slurm_allocation():
    """True inside a SLURM job (a batch script, `salloc` shell or `srun` task)."""
    return any(os.environ.get(name) for name in ("SLURM_JOB_ID", "SLURM_PROCID", "SLURM_STEP_NODELIST"))


def slurm_cluster_resolver(port=None):
    """The cluster of the current `srun` step: one worker per SLURM task.

    Wraps `tf.distribute.cluster_resolver.SlurmClusterResolver`, which reads
    `SLURM_PROCID` (the worker index: task 0 is the chief), `SLURM_STEP_NUM_TASKS`,
    `SLURM_STEP_NODELIST` (expanded in Python, e.g. "node[01-02]"; no `scontrol` call) and
    `SLURM_STEP_TASKS_PER_NODE` (e.g. "2(x2)"). The k-th task of a node listens on
    `port + k`. Nodes with GPUs keep the resolver's own GPU split (it reads
    `CUDA_VISIBLE_DEVICES` or runs `nvidia-smi`, then gives each task of a node its share
    of the node's GPUs); on nodes without GPUs each worker runs on its CPU.

    Args:
        port: int or None. First port of the workers of a node. Defaults to None:
            the `RESUITE_SLURM_PORT` environment variable, else 8888.

    Returns:
        tf.distribute.cluster_resolver.SlurmClusterResolver: pass it as `cluster_resolver=`
        to `tf.distribute.MultiWorkerMirroredStrategy` (`get_strategy("multi_worker")` does).

    Example:
    ```python
    # example: not run (needs a SLURM allocation)
    # In each task of `srun --nodes=2 --ntasks-per-node=1 python train.py`:
    resolver = slurm_cluster_resolver(port=8888)
    resolver.cluster_spec().as_dict()   # {"worker": ["node01:8888", "node02:8888"]}
    strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    ```
    """
    missing = [name for name in SLURM_STEP_VARIABLES if not os.environ.get(name)]
    if missing:
        raise ValueError(
            "A SLURM allocation was found, but not the variables of an `srun` step: start one worker per "
            "task with `srun resuite train TASK --strategy multi_worker ...` (not from the batch script itself). "
            f"Received: {', '.join(missing)} unset (SLURM_JOB_ID={os.environ.get('SLURM_JOB_ID')!r})"
        )
    if port is None:
        port = os.environ.get("RESUITE_SLURM_PORT", SLURM_PORT)
    try:
        port = int(port)
    except ValueError as error:
        raise ValueError(f"The SLURM port must be an integer (RESUITE_SLURM_PORT). Received: port={port!r}") from error
    if _node_has_gpus():
        resolver = tf.distribute.cluster_resolver.SlurmClusterResolver(port_base=port)
    else:
        resolver = _CpuSlurmClusterResolver(port_base=port)

    # The resolver gives ranks to nodes block by block, in the nodes' name order; SLURM's order
    # differs for names such as n9,n10 or with `srun --distribution=cyclic`.
    rank = int(os.environ["SLURM_PROCID"])
    address = resolver.cluster_spec().task_address("worker", rank)
    node = os.environ.get("SLURMD_NODENAME")
    if node and address.rsplit(":", 1)[0] != node:
        raise ValueError(
            f"SlurmClusterResolver places SLURM task {rank} at {address}, but the task runs on node {node}: "
            "the workers would not reach each other. It expects srun's default block distribution over nodes "
            "whose names sort as SLURM lists them; otherwise write TF_CONFIG for each task. "
            f"Received: SLURM_STEP_NODELIST={os.environ['SLURM_STEP_NODELIST']!r}, "
            f"SLURM_STEP_TASKS_PER_NODE={os.environ['SLURM_STEP_TASKS_PER_NODE']!r}, SLURMD_NODENAME={node!r}"
        )
    return resolver


def _node_has_gpus():
    # As SlurmClusterResolver counts GPUs, without asking TensorFlow: listing devices would
    # initialise CUDA before the resolver sets CUDA_VISIBLE_DEVICES for its task.
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return any(device.strip() for device in visible.split(","))
    return shutil.which("nvidia-smi") is not None


class _CpuSlurmClusterResolver(tf.distribute.cluster_resolver.SlurmClusterResolver):
    """`SlurmClusterResolver` for nodes without GPUs (tensorflow/tensorflow#56894).

    Upstream assigns a node's ports while stepping through its GPU ids, so zero GPUs per task
    yield no workers at all. Here each task gets one placeholder GPU id, never exported
    (`auto_set_gpu=False`) nor reported (`num_accelerators`): each worker uses its CPU.
    """

    def __init__(self, port_base):
        # The step's task count bounds the tasks of any node: enough placeholder ids.
        num_tasks = int(os.environ["SLURM_STEP_NUM_TASKS"])
        super().__init__(port_base=port_base, gpus_per_node=num_tasks, gpus_per_task=1, auto_set_gpu=False)

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {}


def _cluster_task():
    """(task type, index, chief type) of this process, or None outside a cluster."""
    config = os.environ.get("TF_CONFIG")
    if not config and os.environ.get("SLURM_PROCID"):
        return "worker", int(os.environ["SLURM_PROCID"]), "worker"
    try:
        config = json.loads(config or "{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON. Received: TF_CONFIG={config!r}") from error
    task = config.get("task")
    if not task:
        return None
    chief_type = "chief" if "chief" in config.get("cluster", {}) else "worker"
    return task.get("type"), int(task.get("index", 0)), chief_type


def is_chief():
    """True on the worker that writes checkpoints and reports.

    That is worker 0 of `TF_CONFIG` when it is set, else SLURM task 0 (`SLURM_PROCID`),
    else the only process.
    """
    task = _cluster_task()
    return task is None or (task[0] == task[2] and task[1] == 0)


def worker_name():
    """This process's name in a multi-worker cluster, e.g. "worker-1"; None on the chief.

    The name comes from `TF_CONFIG` (`"<type>-<index>"`) or, without it, from the SLURM task
    (`"worker-<SLURM_PROCID>"`); the chief and a single process have none. The name is the
    same every time the same worker is launched again, so a worker's files can be found again
    after a kill (`core.training.fit.worker_output_dir`).

    Returns:
        str or None.

    Example:
    ```python
    worker_name()   # None: a single process is its own chief
    # On the second worker of TF_CONFIG={"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}
    # (or of SLURM_PROCID=1 under srun): "worker-1"
    ```
    """
    if is_chief():
        return None
    task_type, index, _ = _cluster_task()
    return f"{task_type}-{index}"
