"""Aramaic throughput: synthetic letters generated per second against letters consumed by training.

Training streams `AramaicSynth` letters rendered inside `tf.data` while the previous step trains,
so generation must keep up with the training step on this CPU. Measured in one run, at 64 × 64 RGB
and batch 64 unless told, for two models: the preset's ResNet-18 at a quarter width and the
standard-width ResNet-18:

1. Rendering alone, in this thread: one example at a time and a chunk of 64 at once
   (`AramaicSynth.render_batch`, what the stream does), in ms per example; then the stream itself
   (`AramaicSynth.dataset`: chunks of 32 rendered in parallel by tf.data, batched) in images/s.
2. Training alone, the baseline: `train_on_batch` on one in-memory batch (what the model can
   consume when data costs nothing).
3. `model.fit` on the stream: the images/s actually trained, beside (2). If (3) is well below (2),
   generation is the bottleneck.

Run: `python -m bench aramaic_throughput` (add `--quick` for a smoke run).
"""

import argparse
import os
import time

import numpy as np

from bench.common import environment_line, print_table, ratio, time_call


def stream_rate(dataset, batches):
    """Images/s of pulling `batches` batches from `dataset` (after one warm-up batch)."""
    iterator = iter(dataset)
    next(iterator)
    start = time.perf_counter()
    count = sum(int(next(iterator)[1].shape[0]) for _ in range(batches))
    return count / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 64], help="ResNet first-stage widths")
    parser.add_argument("--depth", type=int, default=18)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=20, help="batches timed in the stream and in fit")
    parser.add_argument("--quick", action="store_true", help="smoke run: 32 px, width 4, ResNet-10, 3 batches of 16")
    args = parser.parse_args(argv)
    if args.quick:
        args.image_size, args.widths, args.depth, args.batch_size, args.batches = 32, [4], 10, 16, 3

    from core.data.generated import example_rng
    from domains.aramaic.data import synthetic_splits
    from domains.aramaic.model import AramaicClassifier
    from domains.aramaic.training import compile_aramaic_classifier

    print(environment_line())
    splits = synthetic_splits(image_size=args.image_size, batch_size=args.batch_size, val_examples=23, test_examples=23)
    synth = splits.synth
    index = iter(range(10**6))
    single = time_call(lambda: synth.example(next(index)), repeats=5, warmup=2)
    chunk = 64
    chunk_labels = np.arange(chunk) % 23
    chunked = time_call(lambda: synth.render_batch([example_rng(0, next(index)) for _ in range(chunk)], chunk_labels),
                        repeats=3, warmup=1)
    stream = stream_rate(splits.train, args.batches)
    rows = [{"measure": "render one example (this thread)", "value": f"{1000 * single.median:.2f} ms",
             "images/s": round(1 / single.median, 1)},
            {"measure": f"render a chunk of {chunk} (this thread)", "value": f"{1000 * chunked.median / chunk:.2f} ms",
             "images/s": round(chunk / chunked.median, 1)},
            {"measure": "the stream alone (parallel tf.data)", "value": "", "images/s": round(stream, 1)}]
    x = np.random.default_rng(0).random((args.batch_size, args.image_size, args.image_size, 3)).astype("float32")
    y = np.arange(args.batch_size) % 23
    verdicts = []
    for width in args.widths:
        model = AramaicClassifier(image_size=args.image_size, depth=args.depth, width=width)
        compile_aramaic_classifier(model, 1000)
        consume = time_call(lambda: model.train_on_batch(x, y), repeats=5, warmup=2).rate(args.batch_size)[0]
        model.fit(splits.train, steps_per_epoch=2, epochs=1, verbose=0)  # traces the step on the stream
        start = time.perf_counter()
        model.fit(splits.train, steps_per_epoch=args.batches, epochs=1, verbose=0)
        fit_rate = args.batches * args.batch_size / (time.perf_counter() - start)
        name = f"ResNet-{args.depth} width {width} ({model.count_params():,} parameters)"
        rows += [{"measure": f"baseline: {name}, train_on_batch in memory", "value": "", "images/s": round(consume, 1)},
                 {"measure": f"{name}, model.fit on the stream", "value": f"{ratio(fit_rate, consume)} of the baseline",
                  "images/s": round(fit_rate, 1)}]
        verdicts.append(f"{name}: generation / consumption {ratio(stream, consume)} "
                        f"({'generation keeps up' if stream >= consume else 'generation is the bottleneck'})")
    print_table(f"{args.image_size} px letters, batch {args.batch_size}", rows)
    print("\n" + "\n".join(verdicts))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other jobs slow both sides)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
