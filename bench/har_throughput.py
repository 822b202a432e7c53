"""HAR throughput: FusionActNet and the ResNet-1D baseline, beside the official PyTorch figures (stored).

Three measurements, all on the official configuration (9 channels × 128 steps, 6 classes of
which 3 static and 3 dynamic) and on random values (speed does not depend on them):

1. Inference windows/s at batch 256 of the FusionActNet expert, gate and full model and of the
   ResNet-1D baseline (`ResNetBackbone(rank=1, depth=18, stem="simple")` + `Classifier`, as
   `domains.har.task`), each beside the official PyTorch number stored from another day (docs/official_implementations.md; no ratio) and its
   parameter count beside the official count.
2. Training windows/s (`train_on_batch` steps) at batch 10 (the paper's) and 64.
3. The `core.data.from_arrays` training pipeline alone over a UCI-HAR-sized synthetic array,
   compared with the fastest training consumption of item 2: is the pipeline the bottleneck?

Run: `python -m bench har_throughput` (add `--quick` for a smoke run).
"""

import argparse
import time

import numpy as np

from bench.common import STORED, environment_line, print_table, ratio, time_call

# model: (parameters, windows/s at batch 256 × 9 × 128), from docs/official_implementations.md.
OFFICIAL = {
    "FusionActNet expert": (3_581_763, 837),
    "FusionActNet gate": (432_193, 398),
    "FusionActNet full": (7_595_719, 202),
}
CLASS_NAMES = ["walking", "upstairs", "downstairs", "sitting", "standing", "laying"]  # UCI HAR's six
STATIC_CLASSES = ["sitting", "standing", "laying"]
UCI_HAR_TRAIN_WINDOWS = 7352
BN_STATISTICS = ("moving_mean", "moving_variance")


def build_models(channels, length):
    """The four benchmarked models, by display name, for `(length, channels)` windows."""
    from core.backbones import ResNetBackbone
    from core.tasks import Classifier
    from domains.har.model import FusionActNet, build_expert, build_gate

    fusion = FusionActNet(channels, CLASS_NAMES, STATIC_CLASSES, window_length=length)
    backbone = ResNetBackbone(rank=1, depth=18, input_channels=channels, input_spatial_shape=(length,), stem="simple")
    return {
        "FusionActNet expert": build_expert(channels, len(STATIC_CLASSES), length),
        "FusionActNet gate": build_gate(channels, length),
        "FusionActNet full": fusion,
        "ResNet-1D baseline": Classifier(backbone, num_classes=len(CLASS_NAMES), class_names=CLASS_NAMES),
    }


def torch_comparable_parameters(model):
    """Parameter count as PyTorch's `parameters()` counts it: without BatchNorm running statistics.

    Keras counts a BatchNormalization layer's moving mean and variance as (non-trainable)
    weights; PyTorch keeps them as buffers, outside its parameter count.
    """
    return int(sum(np.prod(w.shape) for w in model.weights if w.name not in BN_STATISTICS))


def inference_fn(model, x):
    """A compiled inference call (training=False, no XLA) that blocks until the result is ready."""
    import tensorflow as tf

    call = tf.function(lambda inputs: model(inputs, training=False), jit_compile=False)
    return lambda: call(x).numpy()


def bench_inference(models, batch_size, channels, length, timing):
    """Item 1: inference windows/s and parameter counts, beside the official model."""
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).standard_normal((batch_size, length, channels), dtype="float32"))
    rows = []
    for name, model in models.items():
        speed, best = time_call(inference_fn(model, x), **timing).rate(batch_size)
        official_params, official_speed = OFFICIAL.get(name, (None, None))
        params = torch_comparable_parameters(model)
        rows.append({
            "model": name,
            "windows/s": round(speed),
            "best": round(best),
            "official windows/s (stored)": official_speed or "",
            "params (no BN stats)": f"{params:,}",
            "official params": f"{official_params:,}" if official_params else "",
            "params match": ("yes" if params == official_params else "NO") if official_params else "",
            "Keras count_params": f"{model.count_params():,}",
        })
    return rows


def bench_training(models, batch_sizes, channels, length, timing):
    """Item 2: steady-state `train_on_batch` windows/s of the full FusionActNet and the baseline.

    Returns:
        (rows, speeds) where speeds maps batch size to {model name: windows/s}.
    """
    import tensorflow as tf

    rng = np.random.default_rng(1)
    trained = {name: models[name] for name in ("FusionActNet full", "ResNet-1D baseline")}
    for model in trained.values():
        model.compile(jit_compile=False)  # each task's default optimizer and loss; no XLA on CPU
    rows, speeds = [], {}
    for batch_size in batch_sizes:
        x = tf.constant(rng.standard_normal((batch_size, length, channels), dtype="float32"))
        y = tf.constant(rng.integers(0, len(CLASS_NAMES), batch_size), dtype="int32")
        speeds[batch_size] = {}
        for name, model in trained.items():
            timed = time_call(lambda model=model: model.train_on_batch(x, y), **timing)
            speed, best = timed.rate(batch_size)
            speeds[batch_size][name] = speed
            rows.append({"model": name, "batch": batch_size, "windows/s": round(speed), "best": round(best),
                         "ms/step": round(1000 * timed.median, 1)})
    return rows, speeds


def bench_pipeline(num_windows, batch_sizes, channels, length, epochs, training_speeds):
    """Item 3: `from_arrays(..., training=True)` windows/s without a model, vs training consumption.

    Each epoch is a full pass (shuffle buffer refilled, new order); the first is a warm-up.
    The batches are pulled in a Python loop, a slower consumer than Keras' own iterator,
    so the rate is a lower bound.

    Returns:
        (rows, smallest pipeline/training ratio).
    """
    from core.data import from_arrays

    rng = np.random.default_rng(2)
    x = rng.standard_normal((num_windows, length, channels), dtype="float32")
    y = rng.integers(0, len(CLASS_NAMES), num_windows).astype("int32")
    rows, worst = [], float("inf")
    for batch_size in batch_sizes:
        dataset = from_arrays(x, y, batch_size=batch_size, training=True, seed=0)
        times = []
        for _ in range(1 + epochs):
            start = time.perf_counter()
            for _ in dataset:
                pass
            times.append(time.perf_counter() - start)
        speed = num_windows / float(np.median(times[1:]))
        fastest_name, fastest = max(training_speeds[batch_size].items(), key=lambda item: item[1])
        worst = min(worst, speed / fastest)
        rows.append({"batch": batch_size, "pipeline windows/s": round(speed),
                     "fastest training windows/s": f"{fastest:.0f} ({fastest_name})",
                     "pipeline / training": ratio(speed, fastest)})
    return rows, worst


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench har_throughput", description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=256, help="inference batch (default: 256, official)")
    parser.add_argument("--channels", type=int, default=9, help="sensor channels (default: 9, UCI HAR)")
    parser.add_argument("--length", type=int, default=128, help="time steps per window (default: 128)")
    parser.add_argument("--train-batch-sizes", type=int, nargs="+", default=[10, 64],
                        help="training batches (default: 10 as the paper, and 64)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats, median reported (default: 5)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 repeat, small pipeline array")
    args = parser.parse_args(argv)

    timing = {"repeats": args.repeats, "warmup": 2, "min_seconds": 0.2}
    num_windows, epochs = UCI_HAR_TRAIN_WINDOWS, 3
    if args.quick:
        timing = {"repeats": 1, "warmup": 1, "min_seconds": 0.0}
        num_windows, epochs = 512, 1

    print(environment_line())
    print(f"input: batch {args.batch_size} × {args.length} steps × {args.channels} channels, random values; "
          f"{len(CLASS_NAMES)} classes ({len(STATIC_CLASSES)} static); jit_compile=False; "
          f"windows/s = median of {timing['repeats']} repeats after {timing['warmup']} warm-up, "
          "best = fastest repeat")
    models = build_models(args.channels, args.length)

    rows = bench_inference(models, args.batch_size, args.channels, args.length, timing)
    print_table(f"1. Inference (compiled call, training=False); official PyTorch figures {STORED}", rows)

    rows, training_speeds = bench_training(models, args.train_batch_sizes, args.channels, args.length, timing)
    print_table("2. Training (train_on_batch steady state, task default optimizers)", rows)

    rows, worst = bench_pipeline(num_windows, args.train_batch_sizes, args.channels, args.length, epochs,
                                 training_speeds)
    print_table(f"3. tf.data pipeline alone: core.data.from_arrays(training=True, seed=0), synthetic "
                f"{num_windows} × {args.length} × {args.channels} float32, median of {epochs} epochs after 1", rows)
    verdict = "pipeline is not the bottleneck" if worst >= 1 else "pipeline IS the bottleneck"
    print(f"\npipeline / training = {worst:.1f}× at worst: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
