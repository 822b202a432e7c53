"""LAMOST RRNet: preprocessing and inference spectra/s, RRNet vs StarNet, beside the official PyTorch figures (stored).

Two measurements on the official configuration (7,200 pixels, 3 labels):

1. Inference spectra/s at batch 256 × 7,200 of RRNet (post-RNN [4, 8, 16], 40 steps) and StarNet
   (post-RNN), a compiled call (`training=False`, no XLA), beside the official PyTorch numbers
   stored from another day (docs/official_implementations.md: 567 and 636 spectra/s; no ratio) and the parameter counts beside the
   official ones (torch counts two RNN bias vectors, Keras one: `torch_parameter_count`). Random
   inputs with 1 % of the pixels masked: speed does not depend on the values.
   Each model runs twice, in two fresh processes: with TensorFlow's default kernels and with
   its oneDNN kernels (`TF_ENABLE_ONEDNN_OPTS=1`: TensorFlow turns them on by itself only on
   CPUs with AVX-512, so not on this one; the variable is read when TensorFlow starts). The
   convolutions on 7,200 × 1-4 channels are where the default kernels lose most (profile: the
   first residual stage takes ~40 % of the time). The same weights give the same outputs in
   both (the largest difference is printed: float32 rounding of another summation order).
   With `--xla`, a third row compiles the model with XLA (`jit_compile=True`), which is slower
   on this CPU: its convolutions do not use oneDNN.
2. Preprocessing spectra/s (`domains.lamost.preprocessing`: rest frame, resampling to the grid,
   per-arm continuum by iterative clipped polynomial fits, clipping, mask), on batches of 256
   real-layout spectra: the five real DR7 files shipped in the package (`domains.lamost.data.SPECTRA_DIR`)
   read with `read_mrs` and repeated, and 256 SYNTHETIC spectra on LAMOST's native pixels. Compared with inference: is
   normalising the bottleneck?

Rates read "median (best)": on a shared machine the best repeat is nearer the uncontended speed.

Run: `python -m bench lamost_rrnet` (add `--quick` for a smoke run).
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

from bench.common import STORED, environment_line, print_table, ratio, time_call

# model: (torch parameters, spectra/s at batch 256 × 7200), from docs/official_implementations.md.
OFFICIAL = {"RRNet post-RNN [4,8,16]": (3_981_994, 567), "StarNet post-RNN": (7_666_870, 636)}
KERNELS = {"TF default kernels": "0", "oneDNN (TF_ENABLE_ONEDNN_OPTS=1)": "1"}


def _rates(median, best):
    return f"{median:.0f} ({best:.0f})"


def measure_inference(batch_size, timing, outputs_path, xla=False):
    """In this process: spectra/s of RRNet and StarNet (seeded weights), their outputs saved to `outputs_path`."""
    import keras
    import tensorflow as tf

    from domains.lamost.model import RRNet, StarNet

    rng = np.random.default_rng(0)
    x = np.stack([1 + 0.1 * rng.standard_normal((batch_size, 7200)), rng.random((batch_size, 7200)) > 0.01], -1)
    x = tf.constant(x.astype("float32"))
    speeds, outputs = {}, {}
    for name, cls in zip(OFFICIAL, (RRNet, StarNet)):
        keras.utils.set_random_seed(0)
        model = cls()
        # The heads start at a constant prediction: random weights make the outputs depend on the input.
        for weight in model.get_layer("gaussian").weights:
            weight.assign(rng.normal(0, 0.05, weight.shape).astype("float32"))
        for jit in (False, True) if xla else (False,):
            call = tf.function(lambda inputs, model=model: model(inputs, training=False), jit_compile=jit)
            key = f"{name} (XLA)" if jit else name
            speeds[key] = time_call(lambda: call(x).numpy(), **timing).rate(batch_size)
            outputs[key] = call(x).numpy()
        speeds[name] += (model.torch_parameter_count(),)
    np.savez(outputs_path, **outputs)
    return speeds


def bench_inference(batch_size, timing, xla=False):
    """Rows of `measure_inference` run in a fresh process per kernel setting, and the outputs' largest difference."""
    rows, speeds, outputs = [], {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for kernels, flag in KERNELS.items():
            path = pathlib.Path(folder) / f"{flag}.npz"
            env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=flag, TF_CPP_MIN_LOG_LEVEL="2")
            request = json.dumps({"batch_size": batch_size, "timing": timing, "outputs": str(path),
                                  "xla": xla and flag == "0"})
            done = subprocess.run([sys.executable, "-m", "bench.lamost_rrnet", "--child", request], env=env,
                                  capture_output=True, text=True, cwd=pathlib.Path(__file__).resolve().parents[1])
            if done.returncode:
                raise RuntimeError(f"inference with {kernels} failed:\n{done.stderr[-3000:]}")
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            with np.load(path) as saved:
                outputs[kernels] = dict(saved)
            for key, values in measured.items():
                name = key.replace(" (XLA)", "")
                official_params, official_speed = OFFICIAL[name]
                speeds[(key, kernels)] = values[0]
                row = {"model": key, "kernels": kernels, "spectra/s": _rates(values[0], values[1]),
                       "official spectra/s (stored)": official_speed}
                if len(values) > 2:
                    row["params (torch count)"] = f"{values[2]:,}"
                    row["params match"] = "yes" if values[2] == official_params else "NO"
                rows.append(row)
    default, onednn = (outputs[k] for k in KERNELS)
    differences = {key: float(np.abs(onednn[key] - default[key]).max()) for key in OFFICIAL}
    differences.update({key: float(np.abs(default[key] - default[key.replace(" (XLA)", "")]).max())
                        for key in default if "XLA" in key})
    return sorted(rows, key=lambda row: row["model"]), speeds, differences


def bench_preprocessing(batch_size, timing):
    from domains.lamost.data import mrs_files, read_mrs
    from domains.lamost.preprocessing import preprocess
    from domains.lamost.synthetic import make_spectra

    rows, speeds = [], {}
    files = mrs_files()  # the real DR7 files shipped in the package
    spectra = [read_mrs(path) for path in files]
    batch = [spectra[i % len(spectra)] for i in range(batch_size)]
    speed, best = time_call(lambda: preprocess(batch), **timing).rate(batch_size)
    speeds["real"] = speed
    rows.append({"input": f"real DR7 co-adds ({len(files)} files, repeated), native grids differ",
                 "spectra/s": _rates(speed, best)})
    synthetic = make_spectra(batch_size, seed=0)
    speed, best = time_call(lambda: synthetic.preprocess(), **timing).rate(batch_size)
    speeds["synthetic"] = speed
    rows.append({"input": "SYNTHETIC spectra on LAMOST-like native pixels", "spectra/s": _rates(speed, best)})
    return rows, speeds


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench lamost_rrnet", description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=256, help="batch (default: 256, the official)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats, median reported (default: 5)")
    parser.add_argument("--quick", action="store_true", help="smoke run: batch 16, 1 repeat")
    parser.add_argument("--xla", action="store_true", help="also time XLA (jit_compile=True), default kernels")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one inference measurement, in a fresh process
    args = parser.parse_args(argv)
    if args.child:
        request = json.loads(args.child)
        speeds = measure_inference(request["batch_size"], request["timing"], request["outputs"], request["xla"])
        print(json.dumps(speeds))
        return 0
    timing = {"repeats": args.repeats, "warmup": 2, "min_seconds": 0.2}
    batch_size = args.batch_size
    if args.quick:
        timing, batch_size = {"repeats": 1, "warmup": 1, "min_seconds": 0.0}, 16

    print(environment_line())
    print(f"input: batch {batch_size} × 7200 pixels × (flux, mask); 3 labels; "
          f"median (best) of {timing['repeats']} repeats after {timing['warmup']} warm-up")
    rows, inference, differences = bench_inference(batch_size, timing, args.xla)
    print_table(f"1. Inference (compiled call, training=False); official PyTorch figures {STORED}", rows)
    print("largest output difference from the default kernels (same weights and input): "
          + ", ".join(f"{key} {value:.1e}" for key, value in differences.items()))
    fastest = {name: max(inference[(name, kernels)] for kernels in KERNELS) for name in OFFICIAL}
    rrnet, starnet = fastest.values()
    print(f"RRNet / StarNet in this run (faster kernels): {ratio(rrnet, starnet)}")

    rows, preprocessing = bench_preprocessing(batch_size, timing)
    print_table("2. Preprocessing (rest frame, grid, continuum, clip, mask; NumPy/SciPy, batched)", rows)
    slowest = min(preprocessing.values())
    verdict = "preprocessing is not the bottleneck" if slowest >= rrnet else "preprocessing IS the bottleneck"
    print(f"\npreprocessing / RRNet inference = {slowest / rrnet:.2f}× at worst: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
