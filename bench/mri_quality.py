"""MRI quality (SSIM regression): motion simulation, the training stream and inference, in slices/s.

Four measurements on real MNI152 slices (the sample volume; speed does not depend on the values):

1. `simulate_motion` on a batch of slices, compiled (`tf.function`), at 64 and 128 pixels, beside
   the named baseline: the **same simulation in NumPy/SciPy** the way TorchIO's `Motion` does it
   (resample one moved copy per segment with `scipy.ndimage.affine_transform`, order 1; FFT each;
   copy each segment's k-space lines; inverse FFT), one slice at a time, using the very motion
   parameters the TF version drew, so the table also prints the largest difference between the
   two outputs (a check that both compute the same thing).
2. The whole training stream (`domains.mri.quality.data.stream.training_dataset`: per-slice contrast change,
   motion and SSIM label inside `tf.data`, batched, prefetched), with and without contrast
   augmentation.
3. Inference (`SSIMRegressor`, compiled call, `training=False`) at batch 32.
4. Training consumption (`train_on_batch` at batch 16, the recipe's) — what the stream must outpace.

Rates read "median (best)" of the timed repeats: on a shared machine the best is nearer the
uncontended speed. The stream / training ratio uses medians. The stream is timed alone: during
training it shares the CPU with the training step, so the ratio says what fraction of the CPU the
simulation needs (1 / ratio), not that it runs for free.

Run: `python -m bench mri_quality` (add `--quick` for a smoke run).
"""

import argparse
import time

import numpy as np

from bench.common import environment_line, print_table, ratio, time_call

BASELINE = "NumPy/SciPy TorchIO-style simulation (one slice at a time)"


def _rates(median, best, digits=0):
    """'median (best)' of a rate: on a shared machine the best repeat is nearer the uncontended speed."""
    return f"{median:.{digits}f} ({best:.{digits}f})"


def real_slices(size, count):
    """`count` axial MNI152 slices at `size` x `size` (repeated if the volume has fewer)."""
    from core.data import samples
    from domains.mri.quality.data.slices import volume_slices

    slices = volume_slices(samples.fetch("mri.mni152_1mm", verbose=False), slice_size=size)
    index = np.resize(np.arange(len(slices)), count)
    return slices.subset(index)


def numpy_motion(image, segments, angles, translations):
    """TorchIO's `Motion.add_artifact` for one 2-D slice, in NumPy/SciPy (the baseline).

    Args:
        image: (H, W) float.
        segments: (H, W) int, the segment of every centred k-space sample (whole lines).
        angles: (S,) degrees; translations: (S, 2) pixels (x = column, y = row), per segment.
    """
    from scipy import ndimage

    height, width = image.shape
    centre = np.array([(height - 1) / 2.0, (width - 1) / 2.0])  # (row, col)
    spectrum = np.zeros(image.shape, np.complex128)
    for s, (angle, (tx, ty)) in enumerate(zip(angles, translations)):
        lines = segments == s
        if not lines.any():
            continue
        theta = np.deg2rad(angle)
        # Output (row, col) → input: R(-theta) (p - c - t) + c, written for (row, col) coordinates.
        matrix = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        offset = centre - matrix @ (centre + np.array([ty, tx]))
        low = image.min()
        moved = ndimage.affine_transform(image - low, matrix, offset=offset, order=1, mode="constant", cval=0.0) + low
        spectrum[lines] = np.fft.fftshift(np.fft.fft2(moved))[lines]
    return np.real(np.fft.ifft2(np.fft.ifftshift(spectrum))).astype("float32")


def bench_simulation(sizes, batch_size, timing, numpy_count):
    import tensorflow as tf

    from domains.mri.quality.motion import simulate_motion

    rows = []
    for size in sizes:
        slices = real_slices(size, batch_size).images
        severity = tf.constant(np.linspace(0.1, 1.0, batch_size, dtype="float32"))
        call = tf.function(lambda x: simulate_motion(x, severity, tf.constant([1, 2], tf.int64)), jit_compile=False)
        x = tf.constant(slices)
        ours, ours_best = time_call(lambda: call(x).numpy(), **timing).rate(batch_size)
        out, details = simulate_motion(slices, severity, tf.constant([1, 2], tf.int64), return_details=True)
        out = out.numpy()[..., 0]
        segments = details["segments"].numpy()
        angles, translations = details["angles"].numpy(), details["translations"].numpy()
        start = time.perf_counter()
        difference = 0.0
        for i in range(numpy_count):
            reference = numpy_motion(slices[i, ..., 0], segments[i], angles[i], translations[i])
            difference = max(difference, float(np.abs(reference - out[i]).max()))
        theirs = numpy_count / (time.perf_counter() - start)
        rows.append({"slice": f"{size}x{size}", "TF slices/s (batch %d)" % batch_size: _rates(ours, ours_best),
                     "NumPy/SciPy slices/s": round(theirs), "TF / NumPy": ratio(ours, theirs),
                     "max |TF - NumPy| (image max ~1)": f"{difference:.1e}"})
    return rows


def bench_stream(sizes, batch_size, batches):
    from domains.mri.quality.data.augment import contrast_augment
    from domains.mri.quality.data.stream import training_dataset

    rows, speeds = [], {}
    for size in sizes:
        slices = real_slices(size, 64)
        for augmentation in (False, True):
            dataset = training_dataset(slices, batch_size=batch_size, seed=0,
                                       augment_fn=contrast_augment if augmentation else None)
            iterator = iter(dataset)
            for _ in range(3):  # warm-up: tracing, prefetch buffers
                next(iterator)
            start = time.perf_counter()
            for _ in range(batches):
                next(iterator)[1].numpy()
            speed = batches * batch_size / (time.perf_counter() - start)
            speeds[(size, augmentation)] = speed
            rows.append({"slice": f"{size}x{size}", "contrast aug.": "on" if augmentation else "off",
                         "stream slices/s": round(speed)})
    return rows, speeds


def bench_model(sizes, inference_batch, train_batch, timing):
    import tensorflow as tf

    from domains.mri.quality.model import SSIMRegressor

    rows, training = [], {}
    rng = np.random.default_rng(0)
    for size in sizes:
        model = SSIMRegressor(slice_size=size)
        model.compile()
        x = tf.constant(rng.uniform(0, 1, (inference_batch, size, size, 1)).astype("float32"))
        call = tf.function(lambda inputs: model(inputs, training=False), jit_compile=False)
        inference = time_call(lambda: call(x).numpy(), **timing).rate(inference_batch)
        xt = tf.constant(rng.uniform(0, 1, (train_batch, size, size, 1)).astype("float32"))
        yt = tf.constant(rng.uniform(0.5, 1, train_batch).astype("float32"))
        train = time_call(lambda: model.train_on_batch(xt, yt), **timing)
        training[size] = train.rate(train_batch)[0]
        rows.append({"slice": f"{size}x{size}", "params": f"{model.count_params():,}",
                     f"inference slices/s (batch {inference_batch})": _rates(*inference),
                     f"training slices/s (batch {train_batch})": _rates(*train.rate(train_batch), digits=1),
                     "training steps/s": _rates(*train.rate(1), digits=2)})
    return rows, training


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench mri_quality", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128], help="slice sizes (default: 64 128)")
    parser.add_argument("--batch-size", type=int, default=32, help="simulation/inference batch (default: 32)")
    parser.add_argument("--train-batch", type=int, default=16, help="training batch (default: 16, the recipe's)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats, median reported (default: 5)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 repeat, fewer batches, 64 px only")
    args = parser.parse_args(argv)

    timing = {"repeats": args.repeats, "warmup": 2, "min_seconds": 0.2}
    numpy_count, stream_batches, sizes = 16, 20, args.sizes
    if args.quick:
        timing = {"repeats": 1, "warmup": 1, "min_seconds": 0.0}
        numpy_count, stream_batches, sizes = 4, 3, [min(args.sizes)]

    print(environment_line())
    print(f"slices: axial MNI152 2009a (sample data), cropped/padded/resized; motion: 4 movements, severity "
          f"0.1-1 (10 degrees / 10 px at 1); jit_compile=False; median of {timing['repeats']}")

    rows = bench_simulation(sizes, args.batch_size, timing, numpy_count)
    print_table(f"1. Motion simulation, baseline: {BASELINE}", rows)

    stream_rows, stream = bench_stream(sizes, args.train_batch, stream_batches)
    model_rows, training = bench_model(sizes, args.batch_size, args.train_batch, timing)
    for row in stream_rows:
        size = int(row["slice"].split("x")[0])
        row["training consumes slices/s"] = round(training[size], 1)
        row["stream / training"] = ratio(row["stream slices/s"], training[size])
    print_table(f"2. Training stream (training_dataset: contrast change, motion, SSIM label; batch "
                f"{args.train_batch}), vs what training consumes", stream_rows)
    print_table("3-4. SSIMRegressor (ResNet-18, 1 channel): inference and training", model_rows)
    worst = min(stream[(size, aug)] / training[size] for size, aug in stream)
    verdict = "the simulation never blocks training" if worst >= 1 else "the stream IS the bottleneck"
    print(f"\nstream / training = {worst:.1f}x at worst: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
