"""Fundus DR: preprocessing and ResNet-18 inference at 512², in images/s, and whether preprocessing keeps up with training.

On the real photograph (skimage's 1411 x 1411 `retina`; speed does not depend on the content):

1. **Preprocessing** of one photograph (`domains.fundus.preprocessing.preprocess`, compiled:
   FOV crop, TFDS btgraham-300 = rescale to radius 300, Gaussian blur sigma 10, 4 img - 4 blur +
   128, mask, crop to 540², then resize to 512²), beside the named baseline: **the same TFDS
   steps in NumPy/SciPy** (`scipy.ndimage.zoom` order 1, `gaussian_filter` with cv2's kernel size
   and reflect-101 border, one image at a time; OpenCV, which TFDS uses, is not installed here).
   Then the whole input stream: JPEG decode + preprocess in `tf.data` with parallel calls, batched.
2. **Inference** of `DRClassifier()` (the paper's ResNet-18, 512² RGB, compiled call,
   `training=False`) at batch 8, with and without TTA (8 passes).
3. **Training consumption**: `train_on_batch` at batch 8 — the stream keeps up when its rate
   exceeds what training consumes (the per-image `augment` of training is timed on its own).

The paper's released predictions record 0.065 s per image on its own hardware (the `Time`
column, mean over 61,007 test images): printed for reference, not measured here.

Rates read "median (best)" of the timed repeats: on a shared machine the best is nearer the
uncontended speed.

Run: `python -m bench fundus_dr` (add `--quick` for a smoke run at 128²).
"""

import argparse
import math

import numpy as np

from bench.common import environment_line, print_table, ratio, time_call

BASELINE = "TFDS btgraham-300 steps in NumPy/SciPy, one image at a time"


def _rates(timing, items):
    median, best = timing.rate(items)
    return f"{median:.1f} ({best:.1f})"


def numpy_btgraham(image, radius=300):
    """TFDS's btgraham-300 with NumPy/SciPy in place of OpenCV (the baseline), uint8 out."""
    from scipy import ndimage

    row = image[image.shape[0] // 2].astype(np.float64).sum(-1)
    r = (row > row.mean() / 10).sum() / 2 or image.shape[0] / 2
    scaled = ndimage.zoom(image.astype(np.float32), (radius / r, radius / r, 1), order=1)
    scaled = np.clip(np.round(scaled), 0, 255)
    sigma = radius / 30
    half = (int(math.floor(6 * sigma + 1.5)) | 1) // 2
    blurred = np.stack([ndimage.gaussian_filter(scaled[..., c], sigma, mode="mirror", truncate=half / sigma)
                        for c in range(3)], -1)
    out = np.clip(np.round(4 * scaled - 4 * np.round(blurred) + 128), 0, 255)
    h, w = out.shape[:2]
    m = int(0.9 * radius)
    yy, xx = np.ogrid[:h, :w]
    out[(yy - h // 2) ** 2 + (xx - w // 2) ** 2 > m ** 2] = 128
    return out[max(h // 2 - m, 0):h // 2 + m, max(w // 2 - m, 0):w // 2 + m].astype(np.uint8)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench fundus_dr", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 128² model input, fewer repeats")
    args = parser.parse_args(argv)

    import tensorflow as tf

    from core.data import samples
    from domains.fundus.data import decode_image
    from domains.fundus.evaluation import load_released_predictions
    from domains.fundus.model import DRClassifier
    from domains.fundus.preprocessing import augment, preprocess, read_fundus

    size = 128 if args.quick else 512
    repeats = 2 if args.quick else 5
    batch = 8
    path = samples.fetch("fundus.retina", verbose=False)
    photo = read_fundus(path)
    print(environment_line())
    print(f"photograph {path.name} {photo.shape[1]}x{photo.shape[0]}; model input {size}²; batch {batch}")

    compiled = tf.function(lambda image: preprocess(image, size))
    ours = time_call(lambda: compiled(photo).numpy(), repeats=repeats, warmup=2)
    baseline = time_call(lambda: numpy_btgraham(photo), repeats=repeats, warmup=1)
    files = tf.data.Dataset.from_tensors(str(path)).repeat(4 * batch)
    stream = files.map(lambda p: preprocess(decode_image(p), size), num_parallel_calls=tf.data.AUTOTUNE).batch(batch)
    stream_time = time_call(lambda: [b.numpy() for b in stream], repeats=max(2, repeats - 2), warmup=1)
    augmented = tf.function(lambda x: augment(x, tf.constant([1, 2])))
    x0 = compiled(photo)
    augment_time = time_call(lambda: augmented(x0).numpy(), repeats=repeats, warmup=2)
    print_table("1. preprocessing (images/s)", [
        {"what": "preprocess (FOV crop + btgraham-300 + resize), compiled", "images/s": _rates(ours, 1)},
        {"what": f"baseline: {BASELINE} (btgraham only)", "images/s": _rates(baseline, 1)},
        {"what": "ours / baseline (medians)", "images/s": ratio(baseline.median, ours.median)},
        {"what": f"tf.data stream: JPEG decode + preprocess, parallel, batch {batch}",
         "images/s": _rates(stream_time, 4 * batch)},
        {"what": "augment (flips, rotation+scale, colour), per image", "images/s": _rates(augment_time, 1)},
    ])

    model = DRClassifier(image_size=size)
    model.compile()
    images = np.random.default_rng(0).random((batch, size, size, 3)).astype("float32")
    labels = np.zeros(batch, "int32")
    forward = tf.function(lambda x: model(x, training=False))
    infer = time_call(lambda: forward(images).numpy(), repeats=repeats, warmup=2)
    tta = time_call(lambda: model.predict_with_uncertainty(images, samples=8, batch_size=batch),
                    repeats=max(2, repeats - 2), warmup=1)
    train = time_call(lambda: model.train_on_batch(images, labels), repeats=repeats, warmup=2)
    released = load_released_predictions("test")
    print_table(f"2. DRClassifier() ResNet-18 at {size}² (images/s)", [
        {"what": "inference, compiled call", "images/s": _rates(infer, batch)},
        {"what": "inference with TTA (8 passes) + uncertainty", "images/s": _rates(tta, batch)},
        {"what": "training (train_on_batch)", "images/s": _rates(train, batch)},
        {"what": "the paper's released Time column (its hardware; not measured here)",
         "images/s": f"{1 / np.nanmean(released.seconds):.1f}"},
    ])
    stream_rate = 4 * batch / stream_time.median
    train_rate = batch / train.median
    print(f"\n3. The preprocessing stream gives {stream_rate:.1f} images/s; training consumes {train_rate:.1f}: "
          f"the stream {'keeps up' if stream_rate >= train_rate else 'does NOT keep up'} "
          f"({ratio(stream_rate, train_rate)}; timed apart: during training they share the CPU). Preprocessing is "
          "cached after the first epoch by the training pipeline, so later epochs pay only the augmentation.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
