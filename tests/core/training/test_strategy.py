import json

import pytest
import tensorflow as tf

from core.training import get_strategy, is_chief, split_cpu


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
    "config, chief",
    [
        (None, True),
        ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}, True),
        ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}, False),
        ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}, False),
        ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}, True),
    ],
)
def test_is_chief(monkeypatch, config, chief):
    if config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert is_chief() is chief
