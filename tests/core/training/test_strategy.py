import json
import os

import pytest
import tensorflow as tf

from core.training import get_strategy, is_chief, split_cpu
from core.training.strategy import slurm_cluster_resolver, worker_name


def test_default_strategy_is_one_replica():
    assert get_strategy("default").num_replicas_in_sync == 1


def test_unknown_strategy():
    with pytest.raises(ValueError, match=r"strategy must be one of .*Received: strategy='horovod'"):
        get_strategy("horovod")


def test_multi_worker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        get_strategy("multi_worker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        get_strategy("multi_worker")


def test_split_cpu_after_initialisation_says_why():
    tf.constant(1.0)  # TensorFlow is initialised by now
    with pytest.raises(RuntimeError, match="already initialised"):
        split_cpu(2)


@pytest.mark.parametrize(
    "config, chief, name",
    [
        (None, True, None),
        ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}, True, None),
        ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}, False, "worker-1"),
        ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}, False,
         "worker-0"),
        ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}, True, None),
    ],
)
def test_is_chief(monkeypatch, config, chief, name):
    monkeypatch.delenv("SLURM_PROCID", raising=False)
    if config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert is_chief() is chief
    # A non-chief's name (the folder of its files in a run's output) is the same on every launch.
    assert worker_name() == name


def test_malformed_tf_config_is_named(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match=r"TF_CONFIG is not valid JSON. Received: TF_CONFIG='\{not json'"):
        worker_name()


@pytest.fixture
def no_cluster(monkeypatch):
    """No TF_CONFIG, no SLURM variables, no GPUs: the environment each case then sets."""
    for name in [n for n in os.environ if n.startswith("SLURM")] + ["TF_CONFIG", "RESUITE_SLURM_PORT"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    return monkeypatch


def _srun_task(monkeypatch, rank, nodes, tasks_per_node, num_tasks, node=None):
    """The variables `srun` sets for task `rank` (those SlurmClusterResolver reads)."""
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setenv("SLURM_PROCID", str(rank))
    monkeypatch.setenv("SLURM_STEP_NUM_TASKS", str(num_tasks))
    monkeypatch.setenv("SLURM_STEP_NODELIST", nodes)
    monkeypatch.setenv("SLURM_STEP_TASKS_PER_NODE", tasks_per_node)
    if node:
        monkeypatch.setenv("SLURMD_NODENAME", node)


def test_multi_worker_without_any_cluster_names_both_ways(no_cluster):
    expected = r"TF_CONFIG.*SLURM allocation.*srun.*Received: TF_CONFIG unset and no SLURM_JOB_ID"
    with pytest.raises(ValueError, match=expected):
        get_strategy("multi_worker")


def test_slurm_job_without_srun_step_says_to_use_srun(no_cluster):
    no_cluster.setenv("SLURM_JOB_ID", "4242")  # a batch script or salloc shell: no step variables
    with pytest.raises(ValueError, match=r"srun resuite train.*Received: SLURM_PROCID, SLURM_STEP_NUM_TASKS, "
                                         r"SLURM_STEP_NODELIST, SLURM_STEP_TASKS_PER_NODE unset \(SLURM_JOB_ID='4242'\)"):
        get_strategy("multi_worker")


@pytest.mark.parametrize("rank", [0, 3])
def test_slurm_cluster_from_srun_variables(no_cluster, rank):
    # 2 nodes × 2 tasks, as `srun --nodes=2 --ntasks-per-node=2` describes them.
    node = "node01" if rank < 2 else "node02"
    _srun_task(no_cluster, rank, "node[01-02]", "2(x2)", 4, node=node)
    no_cluster.setenv("RESUITE_SLURM_PORT", "9000")
    resolver = slurm_cluster_resolver()
    assert resolver.cluster_spec().as_dict() == {
        "worker": ["node01:9000", "node01:9001", "node02:9000", "node02:9001"]
    }
    assert resolver.get_task_info() == ("worker", rank)
    assert resolver.num_accelerators() == {}  # CPU-only nodes: each worker on its CPU
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""  # the placeholder GPU ids are not exported
    assert slurm_cluster_resolver(port=7000).cluster_spec().as_dict()["worker"][0] == "node01:7000"


def test_slurm_port_must_be_an_integer(no_cluster):
    _srun_task(no_cluster, 0, "node01", "1", 1)
    no_cluster.setenv("RESUITE_SLURM_PORT", "eighty")
    with pytest.raises(ValueError, match=r"Received: port='eighty'"):
        slurm_cluster_resolver()


def test_slurm_node_order_the_resolver_cannot_follow(no_cluster):
    # SLURM lists n9 before n10 and starts task 0 on n9; the resolver sorts "n10" first.
    _srun_task(no_cluster, 0, "n[9-10]", "1(x2)", 2, node="n9")
    with pytest.raises(ValueError, match=r"places SLURM task 0 at n10:8888, but the task runs on node n9"):
        slurm_cluster_resolver()


@pytest.mark.parametrize(
    "procid, tf_config, chief, name",
    [
        ("0", None, True, None),
        ("1", None, False, "worker-1"),
        # TF_CONFIG wins over the SLURM task index, as in get_strategy.
        ("1", {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}, True, None),
        ("0", {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}, False, "worker-1"),
    ],
)
def test_is_chief_under_slurm(no_cluster, procid, tf_config, chief, name):
    no_cluster.setenv("SLURM_PROCID", procid)
    if tf_config:
        no_cluster.setenv("TF_CONFIG", json.dumps(tf_config))
    assert is_chief() is chief
    assert worker_name() == name
