"""The first training step (tracing included) and the steady step with Keras's Adam and with `core.optimizers`.

Keras 3 writes Adam's update of each weight as about 40 graph operations; `core.optimizers.Adam`
and `AdamW` run TensorFlow's fused `ResourceApplyAdam` kernel instead (the same weights to
rounding: `tests/core/test_optimizers.py`). What that changes is the size of the traced train
step, so the time to a model's first step, and the per-step overhead of small models.

Per model of `bench.training.MODELS` (each preset's architecture, compiled as its task's training
compiles it, one fixed in-memory batch), in a FRESH child process per (model, optimizer): the
baseline "keras" has `core.optimizers.Adam` / `AdamW` replaced by Keras's own classes before any
model module is imported; "core" runs as shipped. Each child reports the seconds of its first
`train_on_batch` (the trace and one step) and the median of the following steps
(`bench.common.time_call`). Rounds alternate the two (ABAB); figures are medians over rounds.

    python -m bench optimizer                                  # ~10 minutes on 2 idle cores
    python -m bench.optimizer --models fusionactnet --rounds 1
    python -m bench.optimizer --quick --models rrnet           # tiny batches, one round
"""

import argparse
import json
import os
import statistics
import sys
import time

OPTIMIZERS = ("keras", "core")
DEFAULT_MODELS = ("fusionactnet", "rrnet", "disgan_l1", "fundus_resnet18", "ssim_regressor")


def child(request):
    """In a fresh process: the first step's seconds and the steady step's median (one JSON line)."""
    import keras

    import core.optimizers
    from bench.common import time_call
    from bench.training import build_step

    if request["optimizer"] == "keras":  # the baseline: Keras's classes wherever resuite uses its own
        core.optimizers.Adam, core.optimizers.AdamW = keras.optimizers.Adam, keras.optimizers.AdamW
    step = build_step(request)
    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    timing = time_call(step, repeats=request["repeats"], warmup=1, min_seconds=request["min_seconds"])
    print(json.dumps({"first": first, "seconds": timing.median, "pid": os.getpid()}))


def run(names, rounds=2, repeats=5, quick=False, models=None, launcher=None):
    """Each model with each optimizer in fresh children, `rounds` rounds (ABAB).

    Args:
        names: models of `bench.training.MODELS`.
        rounds: int. Rounds; in each, per model, Keras's Adam then core's, each a fresh child.
        repeats: int. Timed steady steps per child.
        quick: bool. The models' quick batches.
        models: dict or None. Instead of `bench.training.MODELS` (tests use stand-ins).
        launcher: function(python, request, env) -> dict, or None (`bench.official.launch`).

    Returns:
        list of dict: per model, the median first-step and steady-step seconds of each optimizer
        and the ratios keras / core.
    """
    from bench import official
    from bench.training import MODELS, builder_config, input_text

    models = MODELS if models is None else models
    if rounds < 1 or repeats < 1:
        raise ValueError(f"rounds and repeats must be >= 1. Received: rounds={rounds}, repeats={repeats}")
    if launcher is None:
        def launcher(python, request, env):
            return official.launch(python, request, env, module="bench.optimizer")
    found = {(name, optimizer): [] for name in names for optimizer in OPTIMIZERS}
    for _ in range(rounds):
        for name in names:
            spec = models[name]
            config = builder_config(spec, quick)
            for optimizer in OPTIMIZERS:
                request = {"builder": spec["builder"], "config": config, "optimizer": optimizer, "repeats": repeats,
                           "min_seconds": 0.0 if quick else 0.2}
                result = launcher(sys.executable, request, {"TF_ENABLE_ONEDNN_OPTS": "1"})
                if "error" in result:
                    raise RuntimeError(f"bench.optimizer: {name} with {optimizer}'s Adam failed: {result['error']}")
                found[(name, optimizer)].append(result)
    rows = []
    for name in names:
        row = {"model": name, "input": input_text(models[name], quick)}
        for key, label in (("first", "first step s"), ("seconds", "step s")):
            for optimizer in OPTIMIZERS:
                row[f"{label} {optimizer}"] = statistics.median(r[key] for r in found[(name, optimizer)])
            row[f"{label} keras/core"] = row[f"{label} keras"] / row[f"{label} core"]
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help="comma-separated names of bench.training.MODELS (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny batches, one round")
    parser.add_argument("--output", default=None, help="also write the rows to this JSON file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    from bench.common import environment_line, print_table
    from bench.training import MODELS

    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(MODELS)}")
    print(environment_line())
    rows = run(names, rounds=1 if args.quick else args.rounds, repeats=1 if args.quick else args.repeats,
               quick=args.quick)
    print_table("Keras's Adam against core.optimizers (first step: tracing + 1 step; step: the steady median)",
                [{k: (f"{v:.2f}×" if k.endswith("keras/core") else round(v, 3) if isinstance(v, float) else v)
                 for k, v in row.items()} for row in rows])
    if args.output:
        with open(args.output, "w") as handle:
            json.dump({"environment": environment_line(), "rounds": args.rounds, "rows": rows}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
