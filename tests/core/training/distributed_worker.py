"""Training jobs run in fresh processes by test_distribute.py (logical devices and
multi-worker clusters can only be set up before TensorFlow initialises).

usage: python distributed_worker.py MODE OUT [--index I --ports P0,P1] [--no-shim]
       python distributed_worker.py cli MARKER [--index I --ports P0,P1] [--pause-after-epoch E] -- RESUITE_ARGS
MODE: single | mirrored | multi_worker | gan_single | gan_mirrored | resume | cli
multi_worker (and cli with --ports) writes TF_CONFIG from --index and --ports; without --ports
the cluster comes from the SLURM variables the caller set, as `srun` would.
cli runs `resuite RESUITE_ARGS` (core.cli.main); with --pause-after-epoch E, once epoch E
(0-based) has ended and its backup is written, it creates MARKER and sleeps, to be killed.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

parser = argparse.ArgumentParser()
parser.add_argument("mode")
parser.add_argument("out")
parser.add_argument("--index", type=int, default=0)
parser.add_argument("--ports", default="")
parser.add_argument("--no-shim", action="store_true")
parser.add_argument("--kill-marker", default="")
parser.add_argument("--pause-after-epoch", type=int, default=None)
argv = sys.argv[1:]
cli_args = argv[argv.index("--") + 1:] if "--" in argv else []
args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)

if args.mode in ("multi_worker", "cli") and args.ports:
    workers = [f"127.0.0.1:{p}" for p in args.ports.split(",")]
    os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": args.index}})

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from core.backbones import ResNetBackbone  # noqa: E402
from core.tasks import Classifier  # noqa: E402
from core.training import GANModel, fit, get_strategy, is_chief, split_cpu  # noqa: E402

if args.mode in ("mirrored", "gan_mirrored"):
    split_cpu(2)

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 32, 3)).astype("float32")
y = (x[:, :, 0].mean(axis=1) > 0).astype("int32")


def classifier():
    # No batch norm: per-replica batch statistics would differ from one device's by design.
    backbone = ResNetBackbone(rank=1, depth=10, input_channels=3, stem="simple", widths=(8, 8, 8, 8),
                              normalization=None)
    model = Classifier(backbone, num_classes=2)
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    return model


def save_weights(model):
    np.savez(args.out, *[w.numpy() for w in model.weights])


if args.mode in ("single", "mirrored", "multi_worker"):
    if args.mode == "multi_worker" and args.no_shim:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = get_strategy({"single": "default", "mirrored": "mirrored", "multi_worker": "multi_worker"}[args.mode])
    with strategy.scope():
        model = classifier()
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    if args.mode == "multi_worker":
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        data = data.with_options(options)
    history = model.fit(data, epochs=2, verbose=0)
    model.evaluate(data, verbose=0)
    model.predict(x[:8], verbose=0)
    log = {"replicas": strategy.num_replicas_in_sync, "loss": history.history["loss"], "chief": is_chief()}
    if args.mode == "multi_worker":
        log["cluster"] = strategy.cluster_resolver.cluster_spec().as_dict()
    print(json.dumps(log))
    save_weights(model)

elif args.mode in ("gan_single", "gan_mirrored"):
    strategy = get_strategy("mirrored" if args.mode == "gan_mirrored" else "default")
    with strategy.scope():
        generator = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(4)])
        discriminator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
        gan = GANModel(generator, discriminator)
        gan.compile(generator_optimizer=keras.optimizers.SGD(0.1), discriminator_optimizer=keras.optimizers.SGD(0.1))
    noise = rng.normal(size=(64, 8)).astype("float32")
    real = (rng.normal(size=(64, 4)) + 2.0).astype("float32")
    history = gan.fit(tf.data.Dataset.from_tensor_slices((noise, real)).batch(16), epochs=3, verbose=0)
    print(json.dumps({"replicas": strategy.num_replicas_in_sync, **{k: v for k, v in history.history.items()}}))
    save_weights(gan)

elif args.mode == "resume":
    class KillMidEpoch(keras.callbacks.Callback):
        """Signals the test at epoch 2, batch 2, then waits to be killed."""

        def on_train_batch_end(self, batch, logs=None):
            if args.kill_marker and self.epoch == 2 and batch == 2:
                open(args.kill_marker, "w").close()
                time.sleep(120)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    model = classifier()
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)  # 4 steps per epoch
    fit(model, data, epochs=4, output_dir=args.out, callbacks=[KillMidEpoch()], verbose=0, seed=0)
    print(json.dumps({"iterations": int(model.optimizer.iterations.numpy())}))
elif args.mode == "cli":
    from core import cli

    fit_module = sys.modules["core.training.fit"]  # the module (core.training.fit is the function)

    class PauseAfterEpoch(keras.callbacks.Callback):
        """After the backup of epoch `--pause-after-epoch` (BackupAndRestore comes first), wait to be killed."""

        def on_epoch_end(self, epoch, logs=None):
            if epoch == args.pause_after_epoch:
                open(args.out, "w").close()
                time.sleep(300)

    standard_callbacks = fit_module.standard_callbacks
    fit_module.standard_callbacks = lambda *a, **k: standard_callbacks(*a, **k) + [PauseAfterEpoch()]
    sys.exit(cli.main(cli_args))
else:
    sys.exit(f"unknown mode {args.mode}")
