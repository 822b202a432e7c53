"""LAMOST RRNet: preprocessing and inference spectra/s, RRNet vs StarNet, against the official PyTorch models.

Two measurements on the official configuration (7,200 pixels, 3 labels):

1. Inference spectra/s at batch 256 × 7,200 of RRNet (post-RNN [4, 8, 16], 40 steps) and StarNet
   (post-RNN), a compiled call (`training=False`, no XLA), beside the official PyTorch numbers
   measured on this CPU (PLATFORM.md: 567 and 636 spectra/s) and the parameter counts beside the
   official ones (torch counts two RNN bias vectors, Keras one: `torch_parameter_count`). Random
   inputs with 1 % of the pixels masked: speed does not depend on the values.
2. Preprocessing spectra/s (`domains.lamost.preprocessing`: rest frame, resampling to the grid,
   per-arm continuum by iterative clipped polynomial fits, clipping, mask), on batches of 256
   real-layout spectra: the five real DR7 files of the source tree read with `read_mrs` and
   repeated, and 256 SYNTHETIC spectra on LAMOST's native pixels. Compared with inference: is
   normalising the bottleneck?

Rates read "median (best)": on a shared machine the best repeat is nearer the uncontended speed.

Run: `python -m bench lamost_rrnet` (add `--quick` for a smoke run).
"""

import argparse
import pathlib

import numpy as np

from bench.common import environment_line, print_table, ratio, time_call

BASELINE = "official PyTorch, 2 threads, PLATFORM.md"
# model: (torch parameters, spectra/s at batch 256 × 7200), from PLATFORM.md.
OFFICIAL = {"RRNet post-RNN [4,8,16]": (3_981_994, 567), "StarNet post-RNN": (7_666_870, 636)}
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "tests" / "domains" / "lamost" / "fixtures"


def _rates(median, best):
    return f"{median:.0f} ({best:.0f})"


def bench_inference(batch_size, timing):
    import tensorflow as tf

    from domains.lamost.model import RRNet, StarNet

    rng = np.random.default_rng(0)
    x = np.stack([1 + 0.1 * rng.standard_normal((batch_size, 7200)), rng.random((batch_size, 7200)) > 0.01], -1)
    x = tf.constant(x.astype("float32"))
    rows, speeds = [], {}
    for name, model in (("RRNet post-RNN [4,8,16]", RRNet()), ("StarNet post-RNN", StarNet())):
        call = tf.function(lambda inputs, model=model: model(inputs, training=False), jit_compile=False)
        speed, best = time_call(lambda: call(x).numpy(), **timing).rate(batch_size)
        official_params, official_speed = OFFICIAL[name]
        params = model.torch_parameter_count()
        speeds[name] = speed
        rows.append({"model": name, "spectra/s": _rates(speed, best), "official spectra/s": official_speed,
                     "ours/official": ratio(speed, official_speed), "params (torch count)": f"{params:,}",
                     "official params": f"{official_params:,}",
                     "params match": "yes" if params == official_params else "NO"})
    return rows, speeds


def bench_preprocessing(batch_size, timing):
    from domains.lamost.io import read_mrs
    from domains.lamost.preprocessing import preprocess
    from domains.lamost.synthetic import make_spectra

    rows, speeds = [], {}
    files = sorted(FIXTURES.glob("med-*.fits.gz"))
    if files:
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
    args = parser.parse_args(argv)
    timing = {"repeats": args.repeats, "warmup": 2, "min_seconds": 0.2}
    batch_size = args.batch_size
    if args.quick:
        timing, batch_size = {"repeats": 1, "warmup": 1, "min_seconds": 0.0}, 16

    print(environment_line())
    print(f"input: batch {batch_size} × 7200 pixels × (flux, mask); 3 labels; jit_compile=False; "
          f"median (best) of {timing['repeats']} repeats after {timing['warmup']} warm-up")
    rows, inference = bench_inference(batch_size, timing)
    print_table(f"1. Inference (compiled call, training=False), baseline: {BASELINE}", rows)
    rrnet, starnet = inference["RRNet post-RNN [4,8,16]"], inference["StarNet post-RNN"]
    print(f"RRNet / StarNet in this run: {ratio(rrnet, starnet)} (official: {ratio(567, 636)})")

    rows, preprocessing = bench_preprocessing(batch_size, timing)
    print_table("2. Preprocessing (rest frame, grid, continuum, clip, mask; NumPy/SciPy, batched)", rows)
    slowest = min(preprocessing.values())
    verdict = "preprocessing is not the bottleneck" if slowest >= rrnet else "preprocessing IS the bottleneck"
    print(f"\npreprocessing / RRNet inference = {slowest / rrnet:.2f}× at worst: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
