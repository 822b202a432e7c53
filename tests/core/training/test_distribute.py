"""Distribution and resumption, each in fresh processes (see distributed_worker.py)."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from core.training.multi_worker import shim_applies

WORKER = pathlib.Path(__file__).with_name("distributed_worker.py")
ROOT = pathlib.Path(__file__).resolve().parents[3]



def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}


def _run(mode, out, *extra, timeout=300):
    result = subprocess.run(
        [sys.executable, str(WORKER), mode, str(out), *extra],
        capture_output=True, text=True, timeout=timeout, env=_env(),
    )
    assert result.returncode == 0, f"{mode} failed:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def _weights(path):
    with np.load(path) as data:
        return [data[k] for k in data.files]


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _free_port_pair():
    """A port P with P and P + 1 free: SlurmClusterResolver gives a node's tasks consecutive ports."""
    for _ in range(20):
        base = _free_ports(1)[0]
        sockets = [socket.socket() for _ in range(2)]
        try:
            for offset, s in enumerate(sockets):
                s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


def _srun_env(rank, port):
    """What `srun --nodes=1 --ntasks=2` sets for task `rank` (the node is 127.0.0.1; no TF_CONFIG)."""
    env = {name: value for name, value in _env().items() if name != "TF_CONFIG" and not name.startswith("SLURM")}
    return {
        **env,
        "SLURM_JOB_ID": "4242", "SLURM_STEP_ID": "0", "SLURM_NNODES": "1", "SLURM_NTASKS": "2",
        "SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank), "SLURM_NODEID": "0",
        "SLURM_STEP_NUM_NODES": "1", "SLURM_STEP_NUM_TASKS": "2",
        "SLURM_STEP_NODELIST": "127.0.0.1", "SLURM_STEP_TASKS_PER_NODE": "2", "SLURMD_NODENAME": "127.0.0.1",
        "CUDA_VISIBLE_DEVICES": "",
        "RESUITE_SLURM_PORT": str(port),
    }


def _run_two_workers(tmp_path, *extra, slurm_port=None):
    if slurm_port:
        launches = [([], _srun_env(i, slurm_port)) for i in range(2)]
    else:
        ports = ",".join(map(str, _free_ports(2)))
        launches = [(["--index", str(i), "--ports", ports], _env()) for i in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "multi_worker", str(tmp_path / f"worker{i}.npz"), *args, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for i, (args, env) in enumerate(launches)
    ]
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=180))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return [proc.returncode for proc in procs], outputs


def test_mirrored_on_two_logical_cpus_matches_one_device(tmp_path):
    single = _run("single", tmp_path / "single.npz")
    mirrored = _run("mirrored", tmp_path / "mirrored.npz")
    assert (single["replicas"], mirrored["replicas"]) == (1, 2)
    np.testing.assert_allclose(single["loss"], mirrored["loss"], rtol=1e-5)
    for a, b in zip(_weights(tmp_path / "single.npz"), _weights(tmp_path / "mirrored.npz")):
        np.testing.assert_allclose(a, b, atol=1e-5)


def _assert_two_workers_match_one_device(tmp_path, codes, outputs):
    assert codes == [0, 0], "\n".join(err[-3000:] for _, err in outputs)
    logs = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert [log["replicas"] for log in logs] == [2, 2]
    assert logs[0]["loss"] == logs[1]["loss"]
    for a, b in zip(_weights(tmp_path / "worker0.npz"), _weights(tmp_path / "worker1.npz")):
        np.testing.assert_array_equal(a, b)
    # The same global batches as one device: the same trajectory.
    single = _run("single", tmp_path / "single.npz")
    np.testing.assert_allclose(logs[0]["loss"], single["loss"], rtol=1e-5)
    return logs


def test_two_workers_on_localhost_end_with_identical_weights(tmp_path):
    codes, outputs = _run_two_workers(tmp_path)
    _assert_two_workers_match_one_device(tmp_path, codes, outputs)


def test_two_slurm_tasks_on_localhost_end_with_identical_weights(tmp_path):
    """Two processes with the variables of one `srun` step, no TF_CONFIG: SlurmClusterResolver."""
    port = _free_port_pair()
    codes, outputs = _run_two_workers(tmp_path, slurm_port=port)
    logs = _assert_two_workers_match_one_device(tmp_path, codes, outputs)
    # The node's two tasks listen on RESUITE_SLURM_PORT and the next port.
    cluster = {"worker": [f"127.0.0.1:{port}", f"127.0.0.1:{port + 1}"]}
    assert [log["cluster"] for log in logs] == [cluster, cluster]
    assert [log["chief"] for log in logs] == [True, False]  # SLURM_PROCID 0 writes the checkpoints


@pytest.mark.skipif(not shim_applies(), reason=f"the shim is not applied to keras {keras.__version__}")
def test_multi_worker_shim_is_still_needed(tmp_path):
    """Fails when upstream fixes keras-team/keras#20585: then drop core/training/multi_worker.py."""
    codes, outputs = _run_two_workers(tmp_path, "--no-shim")
    stderr = "\n".join(err for _, err in outputs)
    assert codes != [0, 0], (
        f"Multi-worker fit now works without the shim on keras {keras.__version__}: "
        "remove core/training/multi_worker.py and its call in core/training/strategy.py."
    )
    assert "PerReplica" in stderr or "Invalid reduction dimension" in stderr, stderr[-3000:]


def test_gan_base_under_mirrored_strategy_matches_one_device(tmp_path):
    single = _run("gan_single", tmp_path / "gan_single.npz")
    mirrored = _run("gan_mirrored", tmp_path / "gan_mirrored.npz")
    assert mirrored["replicas"] == 2
    # Losses are logged as true means (not 1/N of them) and the updates are the same.
    for key in ("generator_loss", "discriminator_loss"):
        np.testing.assert_allclose(single[key], mirrored[key], rtol=1e-5)
    assert mirrored["discriminator_loss"][-1] < mirrored["discriminator_loss"][0]
    for a, b in zip(_weights(tmp_path / "gan_single.npz"), _weights(tmp_path / "gan_mirrored.npz")):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_sigkilled_run_resumes_from_backup(tmp_path):
    out, marker = tmp_path / "run", tmp_path / "killed-here"
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), "resume", str(out), "--kill-marker", str(marker)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
    )
    deadline = time.time() + 180
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
        assert time.time() < deadline, "the training run never reached epoch 2"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)  # mid-epoch 2 (0-based), after epochs 0 and 1 were backed up
    proc.wait()
    assert (out / "backup").is_dir()
    assert not (out / "final.keras").exists()

    resumed = _run("resume", out)
    epochs = [line.split(",")[0] for line in (out / "log.csv").read_text().splitlines()[1:]]
    assert epochs == ["0", "1", "2", "3"]
    assert resumed["iterations"] == 4 * 4  # 4 epochs × 4 steps, none repeated or skipped
    assert (out / "final.keras").exists() and (out / "best.keras").exists()
    assert not (out / "backup").exists()  # deleted once the run completed
