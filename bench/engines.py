"""Inference engines in the same run: TF default, TF with oneDNN off and on, and every export runtime.

Per headline model (its shipped preset, what `resuite predict --preset` runs):
- RRNet (`lamost.rrnet`, preset rrnet_synthetic) on a batch of spectra (default 256 × 7,200);
- the DISGAN generator (`mri.disgan`, preset disgan_mni_small) on one 32³ patch;
- the APNet generator (`speech.apnet`, preset apnet_asterisk_8k_small) on a 1 s utterance (200 frames at
  8 kHz, hop 40), as shipped (FFT iSTFT) and folded with the matmul iSTFT
  (`domains.speech.generator.fold_generator(inverse="matmul")`, which the export formats can hold).

Engines: the Keras model in a `tf.function` (TensorFlow as it starts by itself, then with
`TF_ENABLE_ONEDNN_OPTS=0` and `=1`), and the artifacts of `core.export.export_model` run in their own
runtimes (`savedmodel` through TensorFlow, `tflite` through LiteRT, `onnx` through ONNX Runtime,
`openvino`), and the lower precisions `resuite export --quantize` offers, each a row of its own (ONNX
Runtime int8, LiteRT int8 and float16 weights, OpenVINO float16 weights: never the default path).
Every engine runs in a fresh process, all engines one after another in each round, 3
rounds (alternated: the machine's load drifts alike for all); each process times its calls after
a warm-up (median of `--repeats`), and the figure is the median over the rounds. Each engine's
outputs on the same input are checked against Keras's float32 outputs (largest absolute difference,
and divided by the largest |output|: for a quantised engine, its output change); an engine
whose export is refused shows the reason. Results: a table, and `bench/results/engines.json`.

    python -m bench engines                      # ~4 minutes on 2 cores
    python -m bench.engines --models disgan --rounds 1 --repeats 2   # a quick look
    python -m bench.engines --engines "onnx,onnx int8,tflite,tflite int8,tflite float16,openvino float16"
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from core import export

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "engines.json"
KERNELS = {"TF default": None, "TF oneDNN off": "0", "TF oneDNN on": "1"}
# engine: (`resuite export` format, quantize), every export engine of `core.export.ENGINES` in its order (the
# float32 formats, then each format's precisions); the lower precisions are rows of their own, never the default.
EXPORTS = {engine: export.parse_engine(engine) for engine in export.ENGINES if engine != export.TENSORFLOW}
# model -> (task, preset, what one call processes)
MODELS = {
    "rrnet": ("lamost.rrnet", "rrnet_synthetic", "batch of {batch} spectra × 7,200"),
    "disgan": ("mri.disgan", "disgan_mni_small", "one 32³ patch → 64³"),
    "apnet": ("speech.apnet", "apnet_asterisk_8k_small", "1 s at 8 kHz (200 frames)"),
    "apnet_matmul": ("speech.apnet", "apnet_asterisk_8k_small", "1 s at 8 kHz, matmul iSTFT (folded)"),
}


def _network(name):
    """The inference network of a model (a GAN's generator), loaded from its preset."""
    from core.registry import RunConfig, get_task

    task, preset, _ = MODELS[name]
    model = get_task(task).load_model(RunConfig(output_dir=pathlib.Path("runs"), preset=preset))
    network = export.inference_network(model)
    if name == "apnet_matmul":
        from domains.speech.generator import fold_generator

        network = fold_generator(network, inverse="matmul")
    return network


def _shape(name, batch):
    return {"rrnet": (batch, 7200, 2), "disgan": (1, 32, 32, 32, 1)}.get(name, (1, 200, 80))


def _folder(engine):
    return engine.replace(" ", "-")


def prepare(names, batch, folder, exports=tuple(EXPORTS)):
    """In this process: each network saved as .keras, its input, Keras's outputs, each engine's export written."""
    plan = {}
    for name in names:
        network = _network(name)
        x = np.random.default_rng(0).standard_normal(_shape(name, batch)).astype("float32")
        if name == "rrnet":  # a plausible normalised spectrum: continuum near 1, its error small and positive
            x[..., 0] = 1.0 + 0.05 * x[..., 0]
            x[..., 1] = 0.02 * np.abs(x[..., 1])
        base = pathlib.Path(folder) / name
        base.mkdir()
        network.save(base / "model.keras")
        np.save(base / "input.npy", x)
        reference = [np.asarray(y) for y in __import__("keras").tree.flatten(network(x, training=False))]
        engines = {}
        for engine in exports:
            format, quantize = EXPORTS[engine]
            try:
                export.export_model(network, base / _folder(engine), format, input_shape=x.shape, quantize=quantize)
                engines[_folder(engine)] = "ok"
            except ValueError as error:
                engines[_folder(engine)] = f"refused: {error}"
        plan[name] = {"folder": str(base), "reference": reference, "engines": engines}
    return plan


def child(request):
    """In a fresh process: time `request["engine"]` on each model; print {model: seconds}, save the outputs."""
    from bench.common import time_call

    results = {}
    for name, folder in request["models"].items():
        folder = pathlib.Path(folder)
        x = np.load(folder / "input.npy")
        if request["engine"] == "keras":
            import tensorflow as tf

            from core.saving import load_model

            network = load_model(folder / "model.keras")
            call = tf.function(lambda inputs, network=network: network(inputs, training=False))
            xt = tf.constant(x)

            def run(call=call, xt=xt):
                return [np.asarray(y) for y in tf.nest.flatten(call(xt))]
        else:
            run_exported = export.load_exported(folder / request["engine"])

            def run(run_exported=run_exported, x=x):
                return run_exported(x)
        timing = time_call(run, repeats=request["repeats"], warmup=1, min_seconds=0.0)
        np.savez(pathlib.Path(request["outputs"]) / f"{name}.npz", *run())
        results[name] = timing.median
    print(json.dumps(results))


def _fresh(engine, models, repeats, outputs, onednn=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    if onednn is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = onednn
    request = json.dumps({"engine": engine, "models": models, "repeats": repeats, "outputs": str(outputs)})
    done = subprocess.run([sys.executable, "-m", "bench.engines", "--child", request], env=env,
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1][:300] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(names, batch, rounds, repeats, exports=tuple(EXPORTS)):
    """Export once, then `rounds` rounds of every engine in a fresh process; rows of the table."""
    from bench.common import environment_line

    environment = environment_line()
    with tempfile.TemporaryDirectory(prefix="resuite-engines-") as folder:
        plan = prepare(names, batch, folder, exports)
        engines = {**{kernels: ("keras", flag) for kernels, flag in KERNELS.items()},
                   **{engine: (_folder(engine), None) for engine in exports}}
        times = {(name, engine): [] for name in names for engine in engines}
        errors, differences, scales = {}, {}, {}
        for _ in range(rounds):
            for engine, (kind, flag) in engines.items():
                models = {n: plan[n]["folder"] for n in names if kind == "keras" or plan[n]["engines"][kind] == "ok"}
                if not models:
                    continue
                outputs = pathlib.Path(folder) / "outputs" / engine
                outputs.mkdir(parents=True, exist_ok=True)
                measured = _fresh(kind, models, repeats, outputs, flag)
                if "error" in measured:
                    errors.update({(n, engine): measured["error"] for n in models})
                    continue
                for n, seconds in measured.items():
                    times[(n, engine)].append(seconds)
                    with np.load(outputs / f"{n}.npz") as saved:
                        got = [saved[f"arr_{i}"] for i in range(len(saved.files))]
                    reference = plan[n]["reference"]
                    differences[(n, engine)] = max(float(np.max(np.abs(r.astype("float64") - g)))
                                                   for r, g in zip(reference, got))
                    scales[n] = max(float(np.max(np.abs(r))) for r in reference)
    rows = []
    for name in names:
        default = statistics.median(times[(name, "TF default")]) if times[(name, "TF default")] else None
        for engine, (kind, _) in engines.items():
            row = {"model": name, "input": MODELS[name][2].format(batch=batch), "engine": engine}
            status = plan[name]["engines"].get(kind, "ok")
            if (name, engine) in errors:
                row["note"] = f"failed: {errors[(name, engine)]}"
            elif status != "ok":
                row["note"] = status  # the whole reason in the JSON; the table shows its start
            elif times[(name, engine)]:
                median = statistics.median(times[(name, engine)])
                row.update({"seconds": median, "rounds": [round(t, 4) for t in times[(name, engine)]],
                            "default/this": default / median if default else None,
                            "max |Δ| vs Keras": differences.get((name, engine)),
                            "|Δ| / max |y|": (differences[(name, engine)] / scales[name]
                                              if (name, engine) in differences and scales.get(name) else None)})
            rows.append(row)
    return {"environment": environment, "rounds": rounds, "repeats": repeats,
            "batch": batch, "rows": rows}


def quality(task, preset, engine, output, options=(), threads=None):
    """The task's evaluation on its held-out data, as shipped and through `engine`'s export; rows of both."""
    import pathlib as paths

    from core.quantize import evaluate_exported
    from core.registry import RunConfig, get_task

    format, quantize = EXPORTS[engine]
    config = RunConfig(output_dir=paths.Path(output), preset=preset,
                       options=dict(option.split("=", 1) for option in options))
    model = get_task(task).load_model(config)
    folder = paths.Path(output) / _folder(engine)
    export.export_model(model, folder, format, task=task, source={"preset": preset}, quantize=quantize)
    results = evaluate_exported(task, config, folder, threads)
    keras_flat, exported_flat = _flat(results["keras"]), _flat(results["exported"])
    # The report's headline metrics (every report has them); all numbers when a task reports none.
    headline = [key for key in keras_flat if key.startswith("metrics.")]
    keys = headline or [key for key, value in keras_flat.items() if isinstance(value, float)]
    rows = [{"result": key, "Keras float32": keras_flat[key], engine: exported_flat.get(key),
             "change": (exported_flat[key] - keras_flat[key])
             if isinstance(keras_flat[key], float) and isinstance(exported_flat.get(key), float) else None}
            for key in keys]
    return rows, {**results["export"], "runtime_calls": results["runtime_calls"]}


def _flat(results, prefix=""):
    """Nested results as {"a.b": value}: numbers as floats, the rest as short text."""
    flat = {}
    for key, value in (results or {}).items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            flat[f"{prefix}{key}"] = float(value)
        else:
            flat[f"{prefix}{key}"] = str(value)[:80]
    return flat


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="rrnet,disgan,apnet,apnet_matmul",
                        help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--batch", type=int, default=256, help="RRNet batch (default 256)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of fresh processes (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per process (default 3)")
    parser.add_argument("--engines", default=",".join(EXPORTS),
                        help=f"the export engines (TF's own always run), comma-separated, of {', '.join(EXPORTS)}")
    parser.add_argument("--output", default=str(RESULTS), help=f"JSON results (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("--quality", default=None, metavar="TASK",
                        help="instead of timing: TASK's evaluation on its held-out data, as shipped and through "
                             "--engine's export (e.g. --quality lamost.rrnet --preset rrnet_synthetic "
                             "--engine 'onnx int8')")
    parser.add_argument("--preset", default=None, help="with --quality: the preset evaluated")
    parser.add_argument("--engine", default="onnx int8", help=f"with --quality: one of {', '.join(EXPORTS)}")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="with --quality: a task option of the evaluation (repeatable)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    if args.quality:
        if args.engine not in EXPORTS or not args.preset:
            parser.error(f"--quality needs --preset and an --engine of {', '.join(EXPORTS)}. "
                         f"Received: --preset {args.preset} --engine {args.engine!r}")
        from bench.common import print_table

        output = tempfile.mkdtemp(prefix="resuite-quality-")
        rows, record = quality(args.quality, args.preset, args.engine, output, args.option)
        print(f"{args.quality} {args.preset}: {record['quantization'] or args.engine} "
              f"(export check: |Δ| / max |y| = {record['relative_difference']:.2g} on a random input; the evaluation "
              f"ran the export {record['runtime_calls']} times)")
        print_table(f"evaluation on the task's held-out data: Keras float32 against {args.engine} "
                    f"(outputs in {output})", rows)
        return 0
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    exports = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [n for n in names if n not in MODELS] + [e for e in exports if e not in EXPORTS]
    if unknown:
        parser.error(f"unknown model(s) or engine(s) {unknown}; known: {', '.join(MODELS)}; {', '.join(EXPORTS)}")
    from bench.common import print_table, save_results

    result = run(names, args.batch, args.rounds, args.repeats, exports)
    print(result["environment"])
    table = [{**{key: value for key, value in row.items() if key != "rounds"},
              "note": str(row.get("note", ""))[:110] or None} for row in result["rows"]]
    print_table(f"median seconds per call over {args.rounds} rounds of fresh processes ({args.repeats} timed "
                "calls each); default/this > 1: faster than TF default", table,
                ["model", "input", "engine", "seconds", "default/this", "max |Δ| vs Keras", "|Δ| / max |y|", "note"])
    save_results(args.output, result)
    failed = [row for row in result["rows"] if str(row.get("note", "")).startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
