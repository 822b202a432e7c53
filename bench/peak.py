"""Know the limit: the machine's measured float32 peak, and each model's achieved FLOP/s as a fraction of it.

1. **Peak**: a large float32 matmul (N × N by N × N, 2N³ FLOPs) and a 3-D convolution like
   DISGAN's (a 32³ × 64-channel volume, 3³ kernel, 64 filters: 2 · 32³ · 64 · 27 · 64 FLOPs), each
   in a fresh process: TensorFlow with its default kernels, with oneDNN on and off, and torch when
   `--torch-python` is given (its threads `--threads`). The machine's peak is the fastest of them
   all (GFLOP/s).
2. **Models** (`bench.official.MODELS`): FLOPs of one call counted from our model's layers
   (`bench.common.count_flops`: 2 per multiply-add of the dense, convolution and recurrent layers;
   element-wise work and FFTs not counted), and the seconds of ours and (with `--official` and
   `--torch-python`) of the official code from `bench.official.same_run` (fresh processes,
   alternated). The official model has the same layers (equal parameter counts), so the same count
   is its work: achieved GFLOP/s = FLOPs / seconds, and its fraction of the machine's peak.

    python -m bench peak                                   # TF only, our models
    python -m bench peak --official /tmp/official/RRNet /tmp/official/DISGAN /tmp/official/APNet \\
        --torch-python /work/torchenv/bin/python          # with torch's peak and the official code
    python -m bench.peak --models disgan --patch 8 --matmul 256 --conv 8 --repeats 1 --official-rounds 1  # quick

Measure on an idle machine: on a loaded one every figure is low, torch's most (its OpenMP threads
wait spinning for cores other jobs hold).
"""

import argparse
import json
import sys

from bench import official


def matmul_flops(n):
    """FLOPs of one N × N by N × N matmul: N² outputs, N multiply-adds each."""
    return 2 * n**3


def conv3d_flops(side, channels, kernel=3):
    """FLOPs of one 'same' 3-D convolution of a side³ × channels volume into `channels` filters."""
    return 2 * side**3 * channels * kernel**3 * channels


def peak_child(request):
    """In a fresh process (TensorFlow or torch): seconds of the matmul and the 3-D convolution; print JSON."""
    n, side, channels, repeats = request["matmul"], request["conv"], request["channels"], request["repeats"]
    if request["engine"] == "torch":
        import torch

        torch.set_num_threads(request["threads"])
        a, b = torch.randn(n, n), torch.randn(n, n)
        volume, kernel = torch.randn(1, channels, side, side, side), torch.randn(channels, channels, 3, 3, 3)

        def matmul():
            with torch.inference_mode():
                torch.mm(a, b)

        def conv():
            with torch.inference_mode():
                torch.nn.functional.conv3d(volume, kernel, padding=1)
    else:
        import numpy as np
        import tensorflow as tf

        rng = np.random.default_rng(0)
        a, b = (tf.constant(rng.standard_normal((n, n)).astype("float32")) for _ in range(2))
        volume = tf.constant(rng.standard_normal((1, side, side, side, channels)).astype("float32"))
        kernel = tf.constant(rng.standard_normal((3, 3, 3, channels, channels)).astype("float32"))
        mm = tf.function(lambda: tf.linalg.matmul(a, b))
        cv = tf.function(lambda: tf.nn.conv3d(volume, kernel, strides=[1] * 5, padding="SAME"))

        def matmul():
            mm().numpy()

        def conv():
            cv().numpy()
    result = {}
    for name, fn in (("matmul", matmul), ("conv3d", conv)):
        result[name] = official.median_seconds(fn, repeats, warmup=2)[0]
    print(json.dumps(result))


def measure_peaks(matmul, conv, channels, repeats, torch_python=None, threads=2, launcher=None):
    """Rows of the peak table: engine, kernel, GFLOP, seconds, GFLOP/s, each engine in a fresh process."""
    launcher = launcher or _launch_peak
    engines = [("TF default", sys.executable, None), ("TF oneDNN on", sys.executable, "1"),
               ("TF oneDNN off", sys.executable, "0")]
    if torch_python:
        engines.append((f"torch ({threads} threads)", torch_python, None))
    flops = {"matmul": matmul_flops(matmul), "conv3d": conv3d_flops(conv, channels)}
    shapes = {"matmul": f"{matmul}² × {matmul}²", "conv3d": f"{conv}³ × {channels} → {channels}, 3³"}
    rows = []
    for engine, python, flag in engines:
        request = {"engine": "torch" if engine.startswith("torch") else "tf", "matmul": matmul, "conv": conv,
                   "channels": channels, "repeats": repeats, "threads": threads}
        result = launcher(python, request, {"TF_ENABLE_ONEDNN_OPTS": flag} if flag else None)
        for kernel in ("matmul", "conv3d"):
            row = {"engine": engine, "kernel": kernel, "shape": shapes[kernel], "GFLOP": flops[kernel] / 1e9}
            if "error" in result:
                row["note"] = f"failed: {result['error']}"
            else:
                row.update({"seconds": result[kernel], "GFLOP/s": flops[kernel] / result[kernel] / 1e9})
            rows.append(row)
    return rows


def _launch_peak(python, request, env):
    return official.launch(python, request, env, module="bench.peak")


def model_flops(name, config):
    """FLOPs of one call of our model `name` in `config` (`bench.common.count_flops`), and what it left uncounted."""
    from bench.common import count_flops

    model, x, _ = official.ours_network(name, config)
    counted = count_flops(model, x.shape)
    return counted["flops"], counted["uncounted"]


def fractions(flops, timed, peak):
    """Each timed row (of `bench.official.same_run`) with its achieved GFLOP/s and fraction of `peak` (GFLOP/s).

    Args:
        flops: int. FLOPs of one call (the same work on both sides: equal layers).
        timed: list of rows with `seconds` (None when not timed: no rate).
        peak: float. The machine's measured peak, GFLOP/s.

    Example:
    ```python
    fractions(2e9, [{"side": "ours", "seconds": 0.5}], peak=8.0)[0]["of peak"]   # 0.5 (4 of 8 GFLOP/s)
    ```
    """
    rows = []
    for row in timed:
        rate = flops / row["seconds"] / 1e9 if row.get("seconds") else None
        rows.append({**row, "GFLOP": flops / 1e9, "GFLOP/s": rate,
                     "of peak": None if rate is None or not peak else rate / peak})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.peak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="rrnet,starnet,apnet,disgan,fusionactnet",
                        help=f"comma-separated, of {', '.join(official.MODELS)} ('' for none)")
    official.add_arguments(parser)
    parser.add_argument("--matmul", type=int, default=2048, help="matmul side N (default 2048: 17 GFLOP)")
    parser.add_argument("--conv", type=int, default=32, help="3-D convolution volume side (default 32)")
    parser.add_argument("--channels", type=int, default=64, help="3-D convolution channels (default 64)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per process (default 5)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--kernels", default="default,oneDNN on", help="our kernel settings for the models")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--frames", type=int, default=None)
    parser.add_argument("--patch", type=int, default=None)
    parser.add_argument("--output", default=None, metavar="JSON",
                        help="also save the rows, e.g. bench/results/peak.json (the README quotes that file)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        peak_child(json.loads(args.child))
        return 0
    names, kernels = official.models_and_kernels(parser, args)
    from bench.common import environment_line, print_table, save_results

    environment = environment_line()
    print(environment)
    peaks = measure_peaks(args.matmul, args.conv, args.channels, args.repeats, args.torch_python, args.threads)
    peak = max((row["GFLOP/s"] for row in peaks if row.get("GFLOP/s")), default=None)
    print_table(f"1. float32 peak, median of {args.repeats} calls in a fresh process per engine; the machine's "
                f"peak = the fastest: {peak:.1f} GFLOP/s" if peak else "1. float32 peak: none measured",
                [{**row, "GFLOP": round(row["GFLOP"], 2), "seconds": _round(row.get("seconds")),
                  "GFLOP/s": _round(row.get("GFLOP/s"), 1)} for row in peaks],
                ["engine", "kernel", "shape", "GFLOP", "seconds", "GFLOP/s", "note"])
    table, models, failed = [], [], False
    for name in names:
        config = official.config_of(name, batch=args.batch, frames=args.frames, patch=args.patch)
        flops, uncounted = model_flops(name, config)
        clone = official.find_clone(name, args.official)
        timed = official.same_run(name, clone, args.torch_python if clone else None, rounds=args.official_rounds,
                                  repeats=args.repeats, kernels=kernels, threads=args.threads, config=config)
        failed |= any("failed" in str(row["note"] or "") for row in timed)
        rows = fractions(flops, timed, peak)
        models += [{"model": name, **row, "uncounted": uncounted} for row in rows]
        for row in rows:
            table.append({"model": name, "input": row["input"], "side": row["side"], "GFLOP": round(row["GFLOP"], 2),
                          "seconds": _round(row["seconds"]), "GFLOP/s": _round(row["GFLOP/s"], 1),
                          "of peak": None if row["of peak"] is None else f"{100 * row['of peak']:.0f} %",
                          "note": row["note"] or _note(row, uncounted)})
    if names:
        print_table("2. per model: FLOPs counted from our layers (the official model's are the same: equal "
                    "parameter counts), achieved GFLOP/s and its fraction of the machine's peak", table)
    if args.output:
        save_results(args.output, {"environment": environment, "repeats": args.repeats, "peak GFLOP/s": peak,
                                   "peaks": peaks, "models": models})
    return 1 if failed or any("failed" in str(row.get("note", "")) for row in peaks) else 0


def _note(row, uncounted):
    if row["of peak"] is not None and row["of peak"] > 1:
        return "above the measured peak: the peak kernels ran slower than this model (too small, or the load)"
    return f"uncounted layers: {', '.join(uncounted)}" if uncounted else None


def _round(value, digits=4):
    return None if value is None else round(value, digits)


if __name__ == "__main__":
    sys.exit(main())
