"""Training steps per second under each CPU-kernel setting (Eigen and oneDNN), beside what each task declares.

Issue #29: training bounds every preset here, and TensorFlow's CPU kernels are chosen per task
(`TaskRunner.cpu_kernels`, set by `resuite` before TensorFlow starts: `core.cli.use_cpu_kernels`).
This benchmark times each headline model's real training step with `TF_ENABLE_ONEDNN_OPTS=0`
(Eigen) and `=1` (oneDNN) and says which is faster, beside the kernels the task declares for
this CPU's kind (`core.cli.cpu_kind`), flagging a task whose declared kernels are the slower ones
by more than `--tolerance`.

Per model, the architecture of its shipped preset (`Model.from_preset`), compiled as the task's
training compiles it, one fixed in-memory batch of random data of the recipe's shape (speed does
not depend on the values):

| model | task, preset | step | batch |
|---|---|---|---|
| rrnet | lamost.rrnet, rrnet_synthetic | `RRNet`, Adam | 64 spectra × 7,200 |
| disgan_l1 | mri.disgan, disgan_mni_psnr_mix4 | the generator's L1 warm-up | 4 patches 16³ → 32³ |
| apnet_spectral | speech.apnet, apnet_asterisk_8k_spectral | the generator alone (spectral) | 16 × 0.5 s at 8 kHz |
| apnet_gan | speech.apnet, apnet_asterisk_8k_small | the GAN step, discriminators first | 16 × 0.5 s at 8 kHz |
| fusionactnet | har.fusionactnet, fusionactnet_basicmotions | the fused stage, Adam | 10 windows 100 × 6 |
| fundus_resnet18 | fundus.dr, dr_synthetic_small | `DRClassifier` (ResNet-18, width 16), AdamW | 16 images 128² |
| aramaic_resnet18 | aramaic.letters, aramaic_letters_small | `AramaicClassifier` (ResNet-18) | 64 letters 64² |
| ssim_regressor | mri.ssim_regression, ssim_mni_small | `SSIMRegressor` (ResNet-18, width 16) | 16 slices 128² |

The step is Keras's own train function (`model.train_on_batch` on tensors made once: what
`model.fit` runs per batch, without the input pipeline), timed after two warm-up steps (the first
traces it; `bench.common.time_call`, median of `--repeats`). Every (model, kernels) pair runs in a
FRESH child process (`bench.official.launch`: TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` once, at
start), Eigen then oneDNN for each model in every round (ABAB), `--rounds` rounds; the figure is
the median over the rounds. Results: a table and `bench/results/training.json`. `--quick` is a
smoke run: batches of 1-4 (DISGAN 8³ → 16³), one round, one timed step, saved to the temporary
folder's `resuite-training-quick.json` (never over the stored figures).

    python -m bench training                              # ~40 minutes on 2 idle cores
    python -m bench.training --models rrnet,fusionactnet --rounds 1
    python -m bench.training --quick --models ssim_regressor   # about a minute
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "training.json"
# kernel setting: TF_ENABLE_ONEDNN_OPTS, in the order each round runs them (ABAB).
KERNELS = {"eigen": "0", "onednn": "1"}

# name: the task, its preset, the builder (module:function, run in the child), the batch, the quick batch, the input
# (optional "config": more settings for the builder).
MODELS = {
    "rrnet": {"task": "lamost.rrnet", "preset": "rrnet_synthetic", "builder": "bench.training:build_rrnet",
              "batch": 64, "quick_batch": 4, "input": "{batch} spectra × 7,200"},
    "disgan_l1": {"task": "mri.disgan", "preset": "disgan_mni_psnr_mix4", "builder": "bench.training:build_disgan_l1",
                  "batch": 4, "quick_batch": 1, "input": "{batch} patches {lr}³ → {hr}³ (L1 warm-up)"},
    "apnet_spectral": {"task": "speech.apnet", "preset": "apnet_asterisk_8k_spectral",
                       "builder": "bench.training:build_apnet_spectral", "batch": 16, "quick_batch": 2,
                       "input": "{batch} × 0.5 s at 8 kHz (generator alone)"},
    "apnet_gan": {"task": "speech.apnet", "preset": "apnet_asterisk_8k_small",
                  "builder": "bench.training:build_apnet_gan",
                  "batch": 16, "quick_batch": 2, "input": "{batch} × 0.5 s at 8 kHz (GAN step)"},
    "fusionactnet": {"task": "har.fusionactnet", "preset": "fusionactnet_basicmotions",
                     "builder": "bench.training:build_fusionactnet", "batch": 10, "quick_batch": 2,
                     "input": "{batch} windows 100 × 6"},
    "fundus_resnet18": {"task": "fundus.dr", "preset": "dr_synthetic_small", "builder": "bench.training:build_fundus",
                        "batch": 16, "quick_batch": 2, "input": "{batch} images 128² RGB"},
    "aramaic_resnet18": {"task": "aramaic.letters", "preset": "aramaic_letters_small",
                         "builder": "bench.training:build_aramaic", "batch": 64, "quick_batch": 2,
                         "input": "{batch} letters 64² RGB"},
    "ssim_regressor": {"task": "mri.ssim_regression", "preset": "ssim_mni_small",
                       "builder": "bench.training:build_ssim",
                       "batch": 16, "quick_batch": 2, "input": "{batch} slices 128²"},
}


# ---------------------------------------------------------------------------------------------------
# Builders (run in the child): each returns a step function (one training step on a fixed batch,
# blocking until it is done) from a config {"batch": int, "quick": bool}.

def _keras_step(model, x, y=None):
    """One `train_on_batch` of `model` on `x` (and `y`) turned into tensors once."""
    import tensorflow as tf

    x = tf.constant(x)
    y = None if y is None else tf.constant(y)
    return lambda: model.train_on_batch(x, y)  # returns NumPy logs: the step has finished


def _rng():
    import numpy as np

    return np.random.default_rng(0)


def build_rrnet(config):
    from core.optimizers import Adam
    from domains.lamost import RRNet
    from domains.lamost.training import DEFAULT_LEARNING_RATE

    model = RRNet.from_preset(MODELS["rrnet"]["preset"])
    model.compile(optimizer=Adam(DEFAULT_LEARNING_RATE))  # as training.train_rrnet
    batch, (pixels, channels) = config["batch"], model.input_shape[1:]
    rng = _rng()
    x = rng.standard_normal((batch, pixels, channels)).astype("float32")
    x[..., 0] = 1.0 + 0.05 * x[..., 0]  # a normalised spectrum: flux near 1, a small positive error
    x[..., 1:] = 0.02 * abs(x[..., 1:])
    y = rng.standard_normal((batch, len(model.label_names))).astype("float32")
    return _keras_step(model, x, y)


def build_disgan_l1(config):
    from core.optimizers import Adam
    from domains.mri.disgan import DISGAN

    generator = DISGAN.from_preset(MODELS["disgan_l1"]["preset"]).generator
    # As training.train_disgan's warm-up (the recipe's pretrain_learning_rate 1e-4; the rate does not change speed).
    generator.compile(optimizer=Adam(1e-4), loss="mae", jit_compile=False)
    hr_side = 16 if config["quick"] else 32
    hr = _rng().standard_normal((config["batch"], hr_side, hr_side, hr_side, 1)).astype("float32")
    return _keras_step(generator, hr[:, ::2, ::2, ::2], hr)


def _apnet(name, config, recipe):
    from core.optimizers import Adam
    from domains.speech import APNet
    from domains.speech.model import default_optimizer

    model = APNet.from_preset(MODELS[name]["preset"])
    if recipe == "spectral":  # as training.train_apnet(recipe="spectral"): Adam 2e-3, betas 0.8/0.99, no discriminator
        model.compile(Adam(2e-3, beta_1=0.8, beta_2=0.99), default_optimizer(), adversarial=False)
    else:  # the paper's GAN recipe: AdamW 2e-4 for both networks
        model.compile(default_optimizer(), default_optimizer())
    length = model.feature_config.segment_length
    return _keras_step(model, (0.1 * _rng().standard_normal((config["batch"], length))).astype("float32"))


def build_apnet_spectral(config):
    return _apnet("apnet_spectral", config, "spectral")


def build_apnet_gan(config):
    return _apnet("apnet_gan", config, "paper")


def build_fusionactnet(config):
    from core.optimizers import Adam
    from domains.har import FusionActNet

    model = FusionActNet.from_preset(MODELS["fusionactnet"]["preset"])
    model.compile(optimizer=Adam(1e-4), loss="auto")  # the fused stage of train_fusionactnet
    return _classifier_batch(model, config)


def _classifier_batch(model, config):
    batch = config["batch"]
    rng = _rng()
    x = rng.standard_normal((batch, *model.input_shape[1:])).astype("float32")
    return _keras_step(model, x, rng.integers(0, len(model.class_names), batch).astype("int32"))


def build_fundus(config):
    from domains.fundus import DRClassifier
    from domains.fundus.training import compile_dr_classifier

    return _classifier_batch(compile_dr_classifier(DRClassifier.from_preset(MODELS["fundus_resnet18"]["preset"]), 1000),
                             config)


def build_aramaic(config):
    from domains.aramaic import AramaicClassifier
    from domains.aramaic.training import compile_aramaic_classifier

    model = AramaicClassifier.from_preset(MODELS["aramaic_resnet18"]["preset"])
    return _classifier_batch(compile_aramaic_classifier(model, 1000), config)


def build_ssim(config):
    from domains.mri import SSIMRegressor
    from domains.mri.quality.training import compile_ssim_regressor

    model = compile_ssim_regressor(SSIMRegressor.from_preset(MODELS["ssim_regressor"]["preset"]), 1000)
    rng = _rng()
    x = rng.standard_normal((config["batch"], *model.input_shape[1:])).astype("float32")
    return _keras_step(model, x, rng.uniform(0.5, 1.0, (config["batch"], 1)).astype("float32"))


# ---------------------------------------------------------------------------------------------------
# The run: children, rounds, rows.

def builder_config(spec, quick):
    """The config a `MODELS` entry's builder gets: the entry's own settings, its (quick) batch, `quick`."""
    return {**spec.get("config", {}), "batch": spec["quick_batch" if quick else "batch"], "quick": quick}


def input_text(spec, quick):
    """A `MODELS` entry's `input`, filled in with the batch and patch sides it runs at."""
    return spec["input"].format(batch=spec["quick_batch" if quick else "batch"], lr=8 if quick else 16,
                                hr=16 if quick else 32)


def build_step(request):
    """The step function of `request["builder"]` ("module:function") called on `request["config"]`."""
    import importlib

    module, function = request["builder"].split(":")
    return getattr(importlib.import_module(module), function)(request["config"])


def child(request):
    """In a fresh process: build one model's step, time it; print one JSON line (seconds per step)."""
    from bench.common import time_call

    step = build_step(request)
    timing = time_call(step, repeats=request["repeats"], warmup=request["warmup"],
                       min_seconds=request["min_seconds"])
    print(json.dumps({"seconds": timing.median, "best": timing.best, "pid": os.getpid(),
                      "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS")}))


def declared_kernels(task, kind=None):
    """(kernels, declaration): what `resuite` starts `task` with on a CPU of `kind` (default: this one's).

    `core.cli.declared_cpu_kernels`, the reading `resuite` itself makes, with the declaration as text.

    Returns:
        (str, str): the kernels ("eigen" or "onednn") and the declaration as written (a per-kind
        dict shows the kinds), or "TaskRunner default" when the task was not found.

    Example:
    ```python
    declared_kernels("speech.apnet", "avx2")   # ('onednn', 'onednn')
    declared_kernels("fundus.dr", "avx2")      # ('onednn', 'onednn')
    ```
    """
    from core.cli import cpu_kind, declared_cpu_kernels

    kernels, declaration = declared_cpu_kernels(task, kind or cpu_kind())
    return kernels, "TaskRunner default" if declaration is None else str(declaration)


def verdict(eigen, onednn, declared, tolerance=0.05):
    """The faster kernels and whether the declared ones are slower by more than `tolerance`.

    Args:
        eigen, onednn: float or None. Steps per second with each.
        declared: "eigen" or "onednn".
        tolerance: float. A relative difference up to this is a tie (no mismatch).

    Returns:
        dict: "oneDNN/Eigen" (onednn / eigen steps per second, None without both), "faster"
        ("eigen", "onednn" or None) and "check" ("ok", "tie (within N %)", "MISMATCH: ..." or
        "not measured").

    Example:
    ```python
    verdict(2.0, 3.0, "eigen")["check"]   # 'MISMATCH: declared eigen is 33 % slower than onednn'
    ```
    """
    if not eigen or not onednn:
        return {"oneDNN/Eigen": None, "faster": None, "check": "not measured"}
    ratio = onednn / eigen
    faster = "onednn" if ratio > 1 else "eigen"
    rates = {"eigen": eigen, "onednn": onednn}
    slower_by = 1 - rates[declared] / rates[faster]
    if declared == faster:
        check = "ok"
    elif slower_by <= tolerance:
        check = f"tie (within {tolerance:.0%})".replace("%", " %")
    else:
        check = f"MISMATCH: declared {declared} is {slower_by:.0%} slower than {faster}".replace("%", " %")
    return {"oneDNN/Eigen": ratio, "faster": faster, "check": check}


def run(names, rounds=3, repeats=5, warmup=2, quick=False, tolerance=0.05, kind=None, models=None, launcher=None):
    """Every model's training step with Eigen and with oneDNN, each in a fresh process, `rounds` rounds (ABAB).

    Args:
        names: models of `models`.
        rounds: int. Rounds; in each, per model, Eigen then oneDNN, each a fresh child.
        repeats: int. Timed steps per child (after `warmup`).
        warmup: int. Untimed steps per child (the first traces the train function).
        quick: bool. The quick batch (`quick_batch`), tiny shapes; one step is enough.
        tolerance: float. See `verdict`.
        kind: str or None. The CPU kind the declarations are read for (default: this CPU's).
        models: dict or None. Instead of `MODELS` (tests use stand-ins).
        launcher: function(python, request, env) -> dict, or None: `bench.official.launch` running
            this module's `--child`.

    Returns:
        dict: "rows" (one per model: steps/s with each kernel setting, the per-round seconds,
        the ratio, the faster, the declared kernels and the check), "cpu_kind", "rounds", "repeats".
    """
    from bench import official
    from core.cli import cpu_kind

    models = MODELS if models is None else models
    kind = kind or cpu_kind()
    if launcher is None:
        def launcher(python, request, env):
            return official.launch(python, request, env, module="bench.training")
    if rounds < 1 or repeats < 1:
        raise ValueError(f"rounds and repeats must be >= 1. Received: rounds={rounds}, repeats={repeats}")
    seconds = {(name, kernels): [] for name in names for kernels in KERNELS}
    errors = {}
    for _ in range(rounds):
        for name in names:
            spec = models[name]
            config = builder_config(spec, quick)
            for kernels, flag in KERNELS.items():
                request = {"builder": spec["builder"], "config": config, "repeats": repeats, "warmup": warmup,
                           "min_seconds": 0.0 if quick else 0.2}
                result = launcher(sys.executable, request, {"TF_ENABLE_ONEDNN_OPTS": flag})
                if "error" in result:
                    errors.setdefault((name, kernels), []).append(result["error"])
                else:
                    seconds[(name, kernels)].append(result["seconds"])
    rows = []
    for name in names:
        spec = models[name]
        batch = spec["quick_batch" if quick else "batch"]
        declared, source = declared_kernels(spec["task"], kind)
        row = {"model": name, "task": spec["task"], "preset": spec.get("preset"),
               "input": input_text(spec, quick), "batch": batch}
        rates = {}
        for kernels in KERNELS:
            times = seconds[(name, kernels)]
            rates[kernels] = 1 / statistics.median(times) if times else None
            row[f"steps/s {kernels}"] = rates[kernels]
            row[f"seconds {kernels}"] = [round(t, 4) for t in times]
        row.update({"declared": declared, "declaration": source,
                    **verdict(rates["eigen"], rates["onednn"], declared, tolerance)})
        failed = [f"{kernels}: {len(found)} of {rounds} failed: {found[-1]}"
                  for (model, kernels), found in errors.items() if model == name]
        row["note"] = "; ".join(failed) or None
        rows.append(row)
    return {"cpu_kind": kind, "rounds": rounds, "repeats": repeats, "warmup": warmup, "quick": quick,
            "tolerance": tolerance, "rows": rows}


def table(rows):
    """Rows for `bench.common.print_table`: steps/s rounded, the ratio as '1.23×'."""
    def rate(value):
        return None if value is None else round(value, 3)

    return [{"model": r["model"], "input": r["input"], "steps/s eigen": rate(r["steps/s eigen"]),
             "steps/s onednn": rate(r["steps/s onednn"]),
             "oneDNN/Eigen": None if r["oneDNN/Eigen"] is None else f"{r['oneDNN/Eigen']:.2f}×",
             "faster": r["faster"], "declared": r["declared"], "check": r["check"],
             "note": (r["note"] or "")[:110] or None} for r in rows]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.training", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of fresh processes, ABAB (default 3; --quick 1)")
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per process (default 5; --quick 1)")
    parser.add_argument("--tolerance", type=float, default=0.05,
                        help="a declared setting slower by at most this fraction is a tie, not a mismatch "
                             "(default 0.05)")
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny batches, one round, one timed step")
    parser.add_argument("--output", default=None,
                        help=f"JSON results (default {RESULTS.relative_to(ROOT)}; with --quick a file in the temporary "
                             "folder, so that a smoke run never replaces the stored figures)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; known: {', '.join(MODELS)}")
    rounds = args.rounds or (1 if args.quick else 3)
    repeats = args.repeats or (1 if args.quick else 5)
    from bench.common import environment_line, print_table, save_results

    environment = environment_line()
    print(environment)
    result = run(names, rounds=rounds, repeats=repeats, warmup=1 if args.quick else 2, quick=args.quick,
                 tolerance=args.tolerance)
    print_table(f"training steps per second, median over {rounds} round(s) of fresh processes (Eigen then oneDNN "
                f"per model), {repeats} timed step(s) each; oneDNN/Eigen > 1: oneDNN faster; declared: what resuite "
                f"starts the task with on this CPU ({result['cpu_kind']})", table(result["rows"]))
    quick_output = pathlib.Path(tempfile.gettempdir()) / "resuite-training-quick.json"
    output = args.output or (quick_output if args.quick else RESULTS)
    save_results(output, {"environment": environment, **result})
    return 1 if any(row["note"] for row in result["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main())
