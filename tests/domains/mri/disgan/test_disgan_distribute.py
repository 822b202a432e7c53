"""DISGAN under MirroredStrategy on 2 logical CPUs, in a fresh process (disgan_distributed_worker.py)."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

WORKER = pathlib.Path(__file__).with_name("disgan_distributed_worker.py")
ROOT = pathlib.Path(__file__).resolve().parents[4]
pytestmark = pytest.mark.large  # a fresh TensorFlow process: about a minute on 2 cores


def test_disgan_trains_under_mirrored_strategy(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, str(WORKER), str(tmp_path)], capture_output=True, text=True,
                            timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = json.loads(result.stdout.strip().splitlines()[-1])
    single, mirrored = runs["default"], runs["mirrored"]
    assert (single["replicas"], mirrored["replicas"]) == (1, 2)
    for run in (single, mirrored):
        for key in ("generator_loss", "generator_l1", "generator_adversarial", "generator_perceptual",
                    "discriminator_loss"):
            assert np.all(np.isfinite(run["history"][key])), key
        assert run["history"]["instance_noise"] == [1.0, 0.5] and run["noise"] == 0.5
        assert run["reload_max_diff"] < 1e-5
    # Epoch 1 is one step whose L1 is computed before any update, from the same weights and
    # batch: the logged mean over the global batch must be the same on one device and on two
    # replicas (a wrong loss scaling or metric reduction would show here). Batch norm and the
    # relativistic batch mean act per replica, as in DDP, so later steps differ by design.
    np.testing.assert_allclose(single["history"]["generator_l1"][0], mirrored["history"]["generator_l1"][0],
                               rtol=1e-5)
    np.testing.assert_allclose(single["history"]["generator_l1"][1], mirrored["history"]["generator_l1"][1],
                               rtol=0.05)
