"""Two local workers run `resuite train har.resnet1d --strategy multi_worker`, are killed, and resume.

Large: each launch of the two processes imports TensorFlow and traces the model under the
collective strategy; the whole test takes about 2 to 3 minutes on the 2-core machine.
"""

import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import core.backbones  # noqa: F401  (registers ResNetBackbone for load_model)
import core.tasks  # noqa: F401  (registers Classifier)
from core.testing import TestCase
from tests.core.training.test_distribute import _free_ports

WORKER = pathlib.Path(__file__).with_name("distributed_worker.py")
ROOT = pathlib.Path(__file__).resolve().parents[3]
EPOCHS = 3
# BasicMotions: 32 training windows after the validation split; global batch 8 = 4 steps per epoch.
TRAIN = ["train", "har.resnet1d", "--strategy", "multi_worker", "--epochs", str(EPOCHS), "--batch-size", "8",
         "--option", "depth=10", "--verbose", "2", "--seed", "0"]


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.large
class MultiWorkerResumeTest(TestCase):
    def _launch(self, tmp, out, name, pause_after_epoch=None):
        """Start both workers of `resuite train` (TF_CONFIG on fresh localhost ports); stdout+stderr to files."""
        ports = ",".join(map(str, _free_ports(2)))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
        pause = [] if pause_after_epoch is None else ["--pause-after-epoch", str(pause_after_epoch)]
        procs, logs = [], []
        for index in range(2):
            log = tmp / f"{name}-{index}.log"
            logs.append(log)
            procs.append(subprocess.Popen(
                [sys.executable, str(WORKER), "cli", str(tmp / f"{name}-paused-{index}"), "--index", str(index),
                 "--ports", ports, *pause, "--", *TRAIN, "--output", str(out)],
                stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env,
            ))
        self.addCleanup(lambda: [p.kill() for p in procs if p.poll() is None])
        return procs, logs

    def _wait(self, procs, logs, timeout=400):
        deadline = time.time() + timeout
        for proc in procs:
            proc.wait(timeout=max(1, deadline - time.time()))
        return [proc.returncode for proc in procs], [log.read_text() for log in logs]

    def test_both_killed_workers_resume_from_the_same_epoch_and_end_equal(self):
        tmp = pathlib.Path(self.get_temp_dir())
        out = tmp / "run"
        worker_dirs = [out, out / "worker-1"]  # the chief writes into --output, worker 1 into its own folder

        # 1. Both workers pause once epoch 0 has ended and its backup is written; then both are killed.
        procs, logs = self._launch(tmp, out, "first", pause_after_epoch=0)
        deadline = time.time() + 300
        while not all((tmp / f"first-paused-{i}").exists() for i in range(2)):
            for proc, log in zip(procs, logs):
                self.assertIsNone(proc.poll(), log.read_text()[-3000:])
            self.assertLess(time.time(), deadline, "the workers never finished epoch 0")
            time.sleep(0.2)
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        for folder in worker_dirs:
            metadata = json.loads((folder / "backup/training_metadata.json").read_text())
            self.assertEqual(metadata["epoch"], 1, folder)  # one epoch done, backed up by each worker
            self.assertFalse((folder / "final.keras").exists())

        # 2. Backups that disagree (as a kill between two workers' saves leaves them) stop both workers.
        metadata_1 = worker_dirs[1] / "backup/training_metadata.json"
        saved = metadata_1.read_text()
        metadata_1.write_text(json.dumps({"epoch": 2, "batch": 0}))
        codes, outputs = self._wait(*self._launch(tmp, out, "disagree"))
        self.assertEqual(codes, [1, 1], "\n".join(o[-3000:] for o in outputs))
        for output in outputs:
            self.assertIn("restored their backups at different points", output)
            self.assertIn("Received: restored (epoch, batch) per replica=[(1, 0), (2, 0)]", output)
            self.assertNotIn("Epoch 2/3", output)  # stopped before any training
        metadata_1.write_text(saved)

        # 3. The same command again: both resume at epoch 2 (1-based) and finish.
        codes, outputs = self._wait(*self._launch(tmp, out, "resume"))
        self.assertEqual(codes, [0, 0], "\n".join(o[-3000:] for o in outputs))
        for output in outputs:
            self.assertNotIn("Epoch 1/3", output)
            self.assertIn("Epoch 2/3", output)
            self.assertIn("Epoch 3/3", output)
        chief_log, worker_log = (_rows(folder / "log.csv") for folder in worker_dirs)
        self.assertEqual([row["epoch"] for row in chief_log], ["0", "1", "2"])  # none repeated or skipped
        self.assertEqual(chief_log, worker_log)  # the same all-reduced losses and metrics on both
        for folder in worker_dirs:
            self.assertFalse((folder / "backup").exists())  # deleted once the run completed
        self.assertTrue((out / "train_results.json").exists())

        # Both end with the same trained weights and optimizer state, restored and continued in step.
        chief, worker = (keras.saving.load_model(folder / "final.keras") for folder in worker_dirs)
        self.assertEqual(int(chief.optimizer.iterations.numpy()), EPOCHS * 4)
        self.assertEqual(int(worker.optimizer.iterations.numpy()), EPOCHS * 4)
        for a, b in zip(chief.trainable_weights, worker.trainable_weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
        for a, b in zip(chief.optimizer.variables, worker.optimizer.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
        # Batch-norm moving statistics are not synchronised across workers by Keras 3 (each worker
        # averages its own shard; `BatchNormalization(synchronized=False)`): they differ by design.
        moving = [(a.numpy(), b.numpy()) for a, b in zip(chief.non_trainable_weights, worker.non_trainable_weights)]
        self.assertTrue(moving and any(not np.array_equal(a, b) for a, b in moving))
