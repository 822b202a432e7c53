"""Ours against the official PyTorch code in the same run: fresh processes, alternated over rounds.

For each model, the official implementation runs in a child process of the Python given with
`--torch-python` (torch is never a project dependency: e.g. `/work/torchenv/bin/python`), imported
from the clone given with `--official` (nothing of it is copied here), in the same configuration
and with the same parameter count as ours, with random weights; ours runs in a child process of
this Python. Every round starts one fresh process per side, in turn (the order reversed every
other round, ABBA, so that neither side always runs first); each process times its calls after a
warm-up (median of `--repeats`) and the figure is the median over the rounds. A ratio
(official seconds / ours, > 1: ours faster) is printed only when both sides were timed in this
run with equal parameter counts; without `--official` the stored figure of
docs/official_implementations.md is printed as stored, without a ratio.

Like with like: APNet's weight normalisation is folded on both sides (`--weight-norm folded`,
torch's `remove_weight_norm`, our `fold_generator`) or kept on both (`kept`).

Models and the clone each needs (found by its files; pass several `--official` paths at once):

| model | official clone | configuration |
|---|---|---|
| rrnet, starnet | Chan-0312/RRNet | batch 256 × 7,200 (post-RNN [4, 8, 16], 40 steps; 3 labels) |
| apnet | YangAi520/APNet | 16 kHz, 80 × 1,000 mel = 5 s (its config.json) |
| disgan | wqlevi/DISGAN | generator, 64 filters, 3 RRDBs, one 32³ patch → 64³ |
| fusionactnet, fusionactnet_expert | utsabbuet17/FusionActNet | batch 256 × 9 × 128 |

    python -m bench official --official /tmp/official/RRNet --torch-python /work/torchenv/bin/python \\
        --models rrnet,starnet --official-rounds 3
    python -m bench.official --models rrnet --batch 8 --official-rounds 1 --repeats 1 ...   # a quick look

Other benchmarks call `same_run(...)` (or `rows(args, names)` after `add_arguments(parser)`).
This module imports only the standard library at the top: the torch child runs it too.
"""

import argparse
import importlib
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Official figures measured on another day and machine (docs/official_implementations.md: an AVX2
# machine, 2026-12-02): printed under this label only, never divided into a ratio.
STORED = "stored (docs/official_implementations.md, AVX2, 2026-12-02; not this run, no ratio)"
KERNELS = {"default": None, "oneDNN on": "1", "oneDNN off": "0"}

# name: what one call processes, the clone's marker file, the builders (module:function) of each side,
# the official parameter count in the default configuration, the stored official seconds per call.
MODELS = {
    "rrnet": {"input": "batch of {batch} spectra × 7,200", "marker": "models/RRNet.py",
              "ours": "bench.official:ours_rrnet", "official": "bench.official:official_rrnet",
              "parameters": 3_981_994, "stored_seconds": 0.45},
    "starnet": {"input": "batch of {batch} spectra × 7,200", "marker": "models/StarNet.py",
                "ours": "bench.official:ours_starnet", "official": "bench.official:official_starnet",
                "parameters": 7_666_870, "stored_seconds": 0.40},
    "apnet": {"input": "{frames} mel frames at 16 kHz, hop 80, weight norm {weight_norm}", "marker": "models.py",
              "ours": "bench.official:ours_apnet", "official": "bench.official:official_apnet",
              "parameters": {"folded": 72_170_499, "kept": 72_191_494}, "stored_seconds": {"kept": 1.15}},
    "disgan": {"input": "one {patch}³ patch → {patch2}³", "marker": "mains/model/model_DISGAN.py",
               "ours": "bench.official:ours_disgan", "official": "bench.official:official_disgan",
               "parameters": 16_042_881, "stored_seconds": 9.2},
    "fusionactnet": {"input": "batch of {batch} × 9 × 128", "marker": "notebooks/Final Training FusionActNet.ipynb",
                     "ours": "bench.official:ours_fusionactnet", "official": "bench.official:official_fusionactnet",
                     "parameters": 7_595_719, "stored_seconds": 1.27},
    "fusionactnet_expert": {"input": "batch of {batch} × 9 × 128",
                            "marker": "notebooks/Final Training FusionActNet.ipynb",
                            "ours": "bench.official:ours_fusionactnet_expert",
                            "official": "bench.official:official_fusionactnet_expert",
                            "parameters": 3_581_763, "stored_seconds": 0.31},
}
DEFAULTS = {"rrnet": {"batch": 256}, "starnet": {"batch": 256}, "apnet": {"frames": 1000, "weight_norm": "folded"},
            "disgan": {"patch": 32}, "fusionactnet": {"batch": 256}, "fusionactnet_expert": {"batch": 256}}


def median_seconds(fn, repeats, warmup=1):
    """(median, best) seconds of `repeats` calls of `fn` after `warmup` calls (standard library only)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


# ---------------------------------------------------------------------------------------------------
# Our side (this project's Python): each builder returns (call, parameter count as torch counts it).

def _tf_call(model, x):
    import tensorflow as tf

    call = tf.function(lambda inputs: model(inputs, training=False), jit_compile=False)
    x = tf.constant(x)
    return lambda: [y.numpy() for y in tf.nest.flatten(call(x))]


def _spectra(batch):
    """A batch of plausible normalised spectra (flux near 1, 1 % of the pixels masked)."""
    import numpy as np

    rng = np.random.default_rng(0)
    flux = 1 + 0.1 * rng.standard_normal((batch, 7200))
    return np.stack([flux, rng.random((batch, 7200)) > 0.01], -1).astype("float32")


def ours_network(name, config):
    """Our Keras network of a model of `MODELS`, its input (numpy) and its parameter count as torch counts it.

    Args:
        name: str. One of `MODELS`.
        config: dict. As `config_of(name)` gives.

    Example:
    ```python
    model, x, parameters = ours_network("disgan", {"patch": 8})
    x.shape, parameters   # ((1, 8, 8, 8, 1), 16042881)
    ```
    """
    import numpy as np

    rng = np.random.default_rng(0)
    if name in ("rrnet", "starnet"):
        from domains.lamost.model import RRNet, StarNet

        model = (RRNet if name == "rrnet" else StarNet)()
        # Keras's RNN cell has one bias vector, torch's two: the count torch gives.
        return model, _spectra(config["batch"]), model.torch_parameter_count()
    if name == "apnet":
        from domains.speech.features import FEATURE_CONFIGS
        from domains.speech.generator import build_generator, fold_generator

        model = build_generator(FEATURE_CONFIGS["16k"])
        if config["weight_norm"] == "folded":
            model = fold_generator(model)
        mel = rng.normal(-4, 2, (1, config["frames"], 80)).astype("float32")
        # Torch counts a weight-normalised layer's g and v, as Keras does.
        return model, mel, model.count_params()
    if name == "disgan":
        from domains.mri.disgan import build_generator

        model, patch = build_generator(), config["patch"]
        return model, rng.normal(size=(1, patch, patch, patch, 1)).astype("float32"), model.count_params()
    if name in ("fusionactnet", "fusionactnet_expert"):
        from domains.har.model import FusionActNet, build_expert

        if name == "fusionactnet_expert":
            model = build_expert(9, 3, 128)
        else:
            model = FusionActNet(9, ["walking", "upstairs", "downstairs", "sitting", "standing", "laying"],
                                 ["sitting", "standing", "laying"], window_length=128)
        x = rng.standard_normal((config["batch"], 128, 9)).astype("float32")
        # BatchNorm's running statistics are buffers in torch, not parameters.
        parameters = int(sum(np.prod(w.shape) for w in model.weights
                             if w.name not in ("moving_mean", "moving_variance")))
        return model, x, parameters
    raise ValueError(f"bench/official.py knows no model {name!r}. Expected one of {', '.join(MODELS)}. "
                     f"Received: name={name!r}")


def _ours(name):
    def build(config):
        model, x, parameters = ours_network(name, config)
        return _tf_call(model, x), parameters

    build.__name__ = f"ours_{name}"
    return build


ours_rrnet, ours_starnet, ours_apnet, ours_disgan, ours_fusionactnet, ours_fusionactnet_expert = (
    _ours(name) for name in ("rrnet", "starnet", "apnet", "disgan", "fusionactnet", "fusionactnet_expert"))


# ---------------------------------------------------------------------------------------------------
# The official side (the torch Python; the model code imported from the clone).

def _torch(threads):
    import torch

    torch.set_num_threads(threads)
    return torch


def _official_call(torch, net, x):
    net.eval()

    def call():
        with torch.inference_mode():
            return net(x)

    return call, sum(p.numel() for p in net.parameters())


def official_rrnet(config, clone):
    torch = _torch(config["threads"])
    sys.path.insert(0, str(clone))
    from models.RRNet import RRNet

    net = RRNet(mode="post-RNN", num_lable=3, list_ResBlock_inplanes=[4, 8, 16], num_rnn_sequence=40,
                len_spectrum=7200)
    return _official_call(torch, net, torch.randn(config["batch"], 7200) * 0.1 + 1)


def official_starnet(config, clone):
    torch = _torch(config["threads"])
    sys.path.insert(0, str(clone))
    from models.StarNet import StarNet

    net = StarNet(mode="post-RNN", num_lable=3)
    return _official_call(torch, net, torch.randn(config["batch"], 7200) * 0.1 + 1)


def official_apnet(config, clone):
    import types

    torch = _torch(config["threads"])
    if importlib.util.find_spec("matplotlib") is None:  # the official utils.py imports it for plots only
        stub = types.ModuleType("matplotlib")
        stub.use = lambda *args, **kwargs: None
        stub.pylab = types.ModuleType("matplotlib.pylab")
        sys.modules.update({"matplotlib": stub, "matplotlib.pylab": stub.pylab})
    istft = torch.istft

    def istft_of_real_pairs(spec, *args, **kwargs):  # torch 1.8 took a real (..., 2) tensor; torch >= 2 complex
        if not spec.is_complex() and spec.shape[-1] == 2:
            spec = torch.view_as_complex(spec.contiguous())
        return istft(spec, *args, **kwargs)

    torch.istft = istft_of_real_pairs
    sys.path.insert(0, str(clone))
    from models import Generator
    from utils import AttrDict

    net = Generator(AttrDict(json.loads((pathlib.Path(clone) / "config.json").read_text())))
    if config["weight_norm"] == "folded":
        for module in net.modules():
            if hasattr(module, "weight_g"):
                torch.nn.utils.remove_weight_norm(module)
    return _official_call(torch, net, torch.randn(1, 80, config["frames"]) * 2 - 4)


def official_disgan(config, clone):
    import types

    torch = _torch(config["threads"])
    mains = pathlib.Path(clone) / "mains"
    sys.path.insert(0, str(mains))
    # The generator's module imports the DWT submodule, timm and the package's other models (the
    # discriminators, SwinIR, lightning): none used by `Generator`. Stand-ins let it import; the
    # packages `model` and `utils` are entered without running their __init__.
    stand_ins = {"torch_dwt.functional": ("dwt3",), "timm.models.layers": ("DropPath", "to_3tuple", "trunc_normal_")}
    for name, names in stand_ins.items():
        try:
            importlib.import_module(name)
        except ImportError:
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                sys.modules.setdefault(".".join(parts[:depth]), types.ModuleType(".".join(parts[:depth])))
            for attribute in names:
                setattr(sys.modules[name], attribute, lambda *args, **kwargs: None)
    for name in ("model", "utils"):  # their __init__ imports nibabel, lightning, the other models
        package = types.ModuleType(name)
        package.__path__ = [str(mains / name)]
        sys.modules[name] = package
    generator_module = importlib.import_module("model.model_DISGAN")
    net = generator_module.Generator(channels=1, filters=64, num_res_blocks=3, num_upsample=1)
    patch = config["patch"]
    return _official_call(torch, net, torch.randn(1, 1, patch, patch, patch))


def _fusionactnet_namespace(clone, torch):
    """The official notebook's model classes (its cells that define them), executed from the clone."""
    notebook = pathlib.Path(clone) / "notebooks" / "Final Training FusionActNet.ipynb"
    cells = ["".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"]
             if cell["cell_type"] == "code"]
    namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
    for source in cells:
        if "class ResNet(" in source or "class MyDeeperFusionActNet(" in source:
            exec(compile(source, str(notebook), "exec"), namespace)  # noqa: S102 - the official code, from the clone
    return namespace


def official_fusionactnet(config, clone):
    torch = _torch(config["threads"])
    namespace = _fusionactnet_namespace(clone, torch)
    load = torch.load
    # The official constructor loads the two experts' trained weights from Kaggle paths: random
    # weights of the same shapes instead (speed does not depend on the values).
    torch.load = lambda *args, **kwargs: namespace["ResNet"]().state_dict()
    try:
        net = namespace["MyDeeperFusionActNet"]()
    finally:
        torch.load = load
    return _official_call(torch, net, torch.randn(config["batch"], 9, 128))


def official_fusionactnet_expert(config, clone):
    torch = _torch(config["threads"])
    net = _fusionactnet_namespace(clone, torch)["ResNet"]()
    return _official_call(torch, net, torch.randn(config["batch"], 9, 128))


# ---------------------------------------------------------------------------------------------------
# The run: children, rounds, rows.

def child(request):
    """In a fresh process: build one side's model, time it; print one JSON line."""
    module, function = request["builder"].split(":")
    builder = getattr(importlib.import_module(module), function)
    args = (request["config"],) if request.get("clone") is None else (request["config"], request["clone"])
    call, parameters = builder(*args)
    median, best = median_seconds(call, request["repeats"], request.get("warmup", 1))
    print(json.dumps({"seconds": median, "best": best, "parameters": int(parameters), "pid": os.getpid()}))


def launch(python, request, env=None, module="bench.official"):
    """Run `module`'s `--child request` in a fresh process of `python`; its JSON result, or {"error": the last line}."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    environment.pop("TF_ENABLE_ONEDNN_OPTS", None)
    environment.update(env or {})
    done = subprocess.run([str(python), "-m", module, "--child", json.dumps(request)], env=environment,
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        lines = done.stderr.strip().splitlines() or ["failed"]
        return {"error": lines[-1][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def find_clone(name, paths):
    """The path among `paths` holding the model's official code (its marker file), or None."""
    marker = MODELS[name]["marker"]
    for path in paths or ():
        if (pathlib.Path(path) / marker).is_file():
            if name == "apnet" and not (pathlib.Path(path) / "config.json").is_file():
                continue
            return str(path)
    return None


def config_of(name, **overrides):
    """The model's configuration: `DEFAULTS` with the given keys replaced (unknown keys ignored)."""
    config = dict(DEFAULTS[name])
    config.update({key: value for key, value in overrides.items() if key in config and value is not None})
    return config


def same_run(name, clone, torch_python, rounds=3, repeats=3, kernels=("default",), threads=2, config=None,
             builders=None, launcher=launch):
    """Time the official model and ours alternately in fresh processes; one row per kernel setting of ours.

    Args:
        name: str. One of `MODELS`.
        clone: str or None. The official clone; None (or no `torch_python`): stored figure, no ratio.
        torch_python: str or None. A Python with torch.
        rounds: int. Rounds of fresh processes; in each, every side once (ABBA order).
        repeats: int. Timed calls per process, after one warm-up call.
        kernels: sequence of `KERNELS` keys: our TensorFlow kernel settings to time.
        threads: int. torch's threads (TensorFlow keeps its default).
        config: dict or None. The model's configuration (`config_of(name)` by default).
        builders: dict or None. {"ours": "module:function", "official": "module:function"} instead of
            the model's own (tests use stand-ins).
        launcher: function(python, request, env) -> dict. Runs one child (default: `launch`).

    Returns:
        list of dict rows: model, input, side, seconds (median over rounds), best, parameters,
        rounds (each round's figure), ratio ("official/ours": a float, only when both were timed
        in this run with equal parameter counts) and note.

    Example:
    ```python
    rows = same_run("rrnet", None, None)   # no clone: the stored official figure, no ratio
    rows[-1]["ratio"] is None               # True
    ```
    """
    spec, config = MODELS[name], dict(config or config_of(name))
    builders = {"ours": spec["ours"], "official": spec["official"], **(builders or {})}
    sides = [("official", None)] + [(f"ours, TF {kernel}", KERNELS[kernel]) for kernel in kernels]
    measured = {side: [] for side, _ in sides}
    results = {}
    compare = clone is not None and torch_python is not None
    for round_index in range(rounds):
        for side, flag in (sides if round_index % 2 == 0 else sides[::-1]):
            if side == "official" and not compare:
                continue
            if side == "official":
                request = {"builder": builders["official"], "clone": str(clone),
                           "config": {**config, "threads": threads}, "repeats": repeats}
                result = launcher(torch_python, request, None)
            else:
                request = {"builder": builders["ours"], "config": config, "repeats": repeats}
                result = launcher(sys.executable, request, {"TF_ENABLE_ONEDNN_OPTS": flag} if flag else None)
            results.setdefault(side, []).append(result)
            if "error" not in result:
                measured[side].append(result)
    text = spec["input"].format(**config, patch2=2 * config.get("patch", 0))
    expected = spec["parameters"]
    if isinstance(expected, dict):
        expected = expected[config["weight_norm"]]
    official = measured["official"]
    rows = []
    for side, _ in sides:
        row = {"model": name, "input": text, "side": side, "seconds": None, "best": None, "parameters": None,
               "rounds": [], "ratio": None, "note": None}
        runs = measured[side]
        errors = [r["error"] for r in results.get(side, []) if "error" in r]
        if side == "official" and not compare:
            stored = spec["stored_seconds"]
            stored = stored.get(config.get("weight_norm")) if isinstance(stored, dict) else stored
            row.update({"parameters": expected, "note": f"{stored} s {STORED}" if stored and config == config_of(name)
                        else "not timed (no --official clone and --torch-python)"})
        elif runs:
            row.update({"seconds": statistics.median(r["seconds"] for r in runs),
                        "best": min(r["best"] for r in runs), "parameters": runs[0]["parameters"],
                        "rounds": [round(r["seconds"], 4) for r in runs]})
        if errors:
            row["note"] = f"{len(errors)} of {len(results[side])} failed: {errors[-1]}"
        if side != "official" and row["seconds"] and official:
            theirs = statistics.median(r["seconds"] for r in official)
            if official[0]["parameters"] != row["parameters"]:
                row["note"] = f"no ratio: parameters differ (official {official[0]['parameters']:,})"
            else:
                row["ratio"] = theirs / row["seconds"]
        rows.append(row)
    return rows


def models_and_kernels(parser, args):
    """The comma-separated `args.models` and `args.kernels` as lists; an unknown name is a parser error."""
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
    unknown = [n for n in names if n not in MODELS] + [k for k in kernels if k not in KERNELS]
    if unknown:
        parser.error(f"unknown model(s) or kernel setting(s) {unknown}")
    return names, kernels


def add_arguments(parser):
    """Add `--official PATH [PATH ...]`, `--torch-python PY` and `--official-rounds N` to a benchmark's parser.

    Example:
    ```python
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    parser.parse_args(["--official", "/tmp/RRNet", "--torch-python", "/work/torchenv/bin/python"]).official
    ```
    """
    parser.add_argument("--official", nargs="+", default=None, metavar="PATH",
                        help="clone(s) of the official repositories: time the official code in this run")
    parser.add_argument("--torch-python", default=None, metavar="PY",
                        help="a Python with torch for the official code (e.g. /work/torchenv/bin/python)")
    parser.add_argument("--official-rounds", type=int, default=3, help="alternated rounds (default 3)")


def rows(args, names, repeats=3, kernels=("default",), **config):
    """`same_run` for each model after `add_arguments`: what a domain benchmark prints beside its own rows.

    With a clone among `args.official`, the official code and ours are timed alternately in fresh
    processes (ratio included); without, only the stored official figure, labelled, is returned.

    Args:
        args: argparse.Namespace with `official`, `torch_python`, `official_rounds`.
        names: models of `MODELS`.
        repeats: timed calls per process.
        kernels: our kernel settings (`KERNELS` keys).
        **config: configuration overrides (e.g. batch=256, weight_norm="folded").
    """
    found = []
    for name in names:
        clone = find_clone(name, args.official)
        # No clone: the stored figure only; the calling benchmark times ours its own way.
        found += same_run(name, clone, args.torch_python if clone else None, rounds=args.official_rounds,
                          repeats=repeats, kernels=kernels if clone else (), config=config_of(name, **config))
    return found


def table(found):
    """Rows for `bench.common.print_table`: the ratio printed as '1.23×' only where it was measured."""
    return [{"model": r["model"], "input": r["input"], "side": r["side"],
             "s/call": None if r["seconds"] is None else round(r["seconds"], 4),
             "best": None if r["best"] is None else round(r["best"], 4),
             "parameters": None if r["parameters"] is None else f"{r['parameters']:,}",
             "official/ours": None if r["ratio"] is None else f"{r['ratio']:.2f}×", "note": r["note"]}
            for r in found]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.official", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="rrnet,starnet,apnet,disgan,fusionactnet",
                        help=f"comma-separated, of {', '.join(MODELS)}")
    add_arguments(parser)
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per process (default 3)")
    parser.add_argument("--kernels", default="default,oneDNN on",
                        help=f"our TensorFlow kernel settings, of {', '.join(KERNELS)} (default: default,oneDNN on)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--batch", type=int, default=None, help="batch of RRNet/StarNet/FusionActNet (default 256)")
    parser.add_argument("--frames", type=int, default=None, help="APNet mel frames (default 1000 = 5 s)")
    parser.add_argument("--weight-norm", choices=("folded", "kept"), default=None,
                        help="APNet, on both sides (default folded)")
    parser.add_argument("--patch", type=int, default=None, help="DISGAN patch side (default 32)")
    parser.add_argument("--output", default=None, metavar="JSON",
                        help="also save the rows, e.g. bench/results/official.json (the README quotes that file)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    names, kernels = models_and_kernels(parser, args)
    from bench.common import environment_line, print_table, save_results

    environment = environment_line()
    print(environment)
    if args.official and not args.torch_python:
        parser.error("--official needs --torch-python (a Python with torch)")
    found = []
    for name in names:
        clone = find_clone(name, args.official)
        if args.official and clone is None:
            print(f"{name}: no clone among --official holds {MODELS[name]['marker']}: stored figure only")
        config = config_of(name, batch=args.batch, frames=args.frames, weight_norm=args.weight_norm, patch=args.patch)
        # Without the official code nothing is compared: the stored figure only (ours is timed by the
        # domain benchmarks), so that `python -m bench` does not spend minutes here.
        found += same_run(name, clone, args.torch_python if clone else None, rounds=args.official_rounds,
                          repeats=args.repeats, kernels=kernels if clone else (), threads=args.threads, config=config)
    print_table(f"seconds per call, median over {args.official_rounds} rounds of fresh processes (ABBA), "
                f"{args.repeats} timed calls each; official/ours > 1: ours faster (same run only)", table(found))
    if args.output:
        save_results(args.output, {"environment": environment, "rounds": args.official_rounds,
                                   "repeats": args.repeats, "threads": args.threads, "rows": found})
    return 1 if any(str(r["note"] or "").count("failed") for r in found) else 0


if __name__ == "__main__":
    sys.exit(main())
