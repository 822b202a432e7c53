"""A stand-in training step for `bench.training` (no TensorFlow): its speed depends on the kernels it started with."""

import json
import os
import time


def step(config):
    with open(config["log"], "a") as file:
        file.write(json.dumps({"pid": os.getpid(), "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS")}) + "\n")
    seconds = config["seconds"][os.environ["TF_ENABLE_ONEDNN_OPTS"]]
    return lambda: time.sleep(seconds)


def optimizer_step(config):
    """Logs which Adam class `core.optimizers` hands out in this process (bench.optimizer swaps it for its baseline)."""
    import core.optimizers

    with open(config["log"], "a") as file:
        file.write(json.dumps({"pid": os.getpid(), "adam": core.optimizers.Adam.__module__,
                               "adamw": core.optimizers.AdamW.__module__}) + "\n")
    return lambda: time.sleep(config["seconds"])
