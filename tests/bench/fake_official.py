"""Stand-ins for both sides of `bench.official` (no torch, no TensorFlow): each logs who ran, in which process."""

import json
import os
import time


def _log(config, side):
    with open(config["log"], "a") as file:
        file.write(json.dumps({"side": side, "pid": os.getpid(),
                               "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS")}) + "\n")


def ours(config):
    _log(config, "ours")
    return (lambda: time.sleep(config["ours_seconds"])), config.get("ours_parameters", 100)


def official(config, clone):
    _log(config, f"official {os.path.basename(clone)} threads={config['threads']}")
    if config.get("official_fails"):
        raise RuntimeError("the official code failed here")
    return (lambda: time.sleep(config["official_seconds"])), 100
