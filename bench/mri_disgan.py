"""DISGAN speed and memory: our Keras model beside the official PyTorch generator and tricubic.

Measurements (CPU, `jit_compile=False`):

1. Parameter counts: the paper-configuration generator against the official 16,042,881.
2. Generator inference of one 32³ → 64³ patch, paper configuration (seeded random weights: speed
   does not depend on them), in a fresh process per kernel setting (TensorFlow's oneDNN kernels
   on and off, `TF_ENABLE_ONEDNN_OPTS`; TensorFlow turns them on by itself on CPUs with AVX-512),
   their outputs compared, beside the official PyTorch generator's figures stored from other days
   (printed as stored, no ratio): 9.2 s per patch in docs/official_implementations.md (torch 2.13,
   2 threads, an AVX2 machine without AVX-512) and 11.9 s in the side-by-side run of issue #14. `--xla` adds the generator compiled with XLA.
3. Training patches/s (steps of `fit`, after a first step that traces), the L1 warm-up step beside
   the full GAN step (generator + wavelet UNet discriminator + perceptual term) in the same run,
   for the configuration of `resuite demo mri.disgan` (`task.DEMO_OPTIONS`) and the reduced one
   (`--filters 32 --num-rrdb 1 --d-filters 8`, MedicalNet widths), 32³ HR patches, batch 4. Then
   the demo's GAN step part by part: compiled forward and forward + backward of the generator, the
   discriminator and the perceptual term, with how many of each one GAN step runs
   (`--batched-extractor` adds the extractor's batched backward, the slow path before
   `extract_features`: minutes).
   `--paper-training` adds the paper configuration's GAN step (64³ patches, batch 1; minutes).
4. Whole-volume inference of a 197×233×189 volume (the MNI152 template at 1 mm → 394×466×378),
   each method in a fresh subprocess: wall time and peak resident memory (`VmHWM`): the
   reduced-configuration generator (tiles 32³, overlap 8, cosine blending) and tricubic
   interpolation (scipy), and the same generator with 48³ tiles (fewer overlapping voxels
   computed twice: `--option tile_size=48`). The paper configuration's whole-volume time is estimated from its
   per-tile time and the number of tiles that run (`--paper-volume` measures it: ~an hour).

Run: `python -m bench mri_disgan` (add `--quick` for a smoke run on smaller inputs;
`--patch-only` for items 1–2 alone, about a minute; `--training-only` for item 3 alone, a few
minutes; `--volume-only` for item 4 alone; `--demo-only` drops item 3's reduced-config row).
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

import statistics

from bench.common import STORED, environment_line, print_table, time_call

OFFICIAL_PARAMETERS = 16_042_881
# Seconds per 32³ patch of the official generator, measured on other days (docs/official_implementations.md,
# and issue #14's side-by-side run): printed as stored, never divided into a ratio.
OFFICIAL_SECONDS_PER_PATCH = {"docs/official_implementations.md": 9.2, "issue #14 side by side": 11.9}
KERNELS = {"oneDNN": "1", "Eigen (oneDNN off)": "0"}
TILE_SIZES = (32, 48)
VOLUME_SHAPE = (197, 233, 189)
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _rss_mib():
    """Peak resident memory of this process in MiB.

    `VmHWM` of /proc/self/status where there is one: `ru_maxrss` survives `execve` on Linux, so a
    child started from a big parent process would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _volume(quick):
    """The MNI152 template (real data, 197×233×189), or a smaller crop of it with --quick."""
    from core.data import samples
    from domains.mri.io import load_volume

    volume, _, _ = load_volume(samples.fetch("mri.mni152_1mm", verbose=False))
    return volume[:64, :64, :64] if quick else volume


def _small_config(args):
    return {"filters": args.filters, "num_rrdb": args.num_rrdb}


# === fresh-process workers ====================================================================
def worker(argv):
    """`python -m bench.mri_disgan --worker KIND ...`: one measurement, one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=("generator", "tricubic", "patch"))
    parser.add_argument("--config", default="{}")
    parser.add_argument("--model", default=None)
    parser.add_argument("--tile", type=int, default=32)
    parser.add_argument("--overlap", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=None, help="patch: where to save the output (.npy)")
    parser.add_argument("--xla", action="store_true", help="patch: compile with XLA (jit_compile=True)")
    args = parser.parse_args(argv)
    if args.worker == "patch":
        return patch_worker(json.loads(args.config), args.tile, args.repeats, args.output, args.xla)
    volume = _volume(args.quick)
    if args.worker == "tricubic":
        from domains.mri.disgan.evaluation import interpolate

        rss_setup = _rss_mib()
        start = time.perf_counter()
        out = interpolate(volume, 3)
        seconds = time.perf_counter() - start
        print(json.dumps({"seconds": seconds, "peak_rss_mib": _rss_mib(), "rss_after_setup_mib": rss_setup,
                          "output_shape": list(out.shape)}))
        return 0
    import keras

    from domains.mri.disgan import build_generator
    from domains.mri.disgan.inference import super_resolve_array

    if args.model:
        model = keras.saving.load_model(args.model, compile=False)
        generator = getattr(model, "generator", model)
    else:
        generator = build_generator(**json.loads(args.config))
    generator(np.zeros((1, args.tile, args.tile, args.tile, 1), "float32"))  # build + first-call costs
    rss_setup = _rss_mib()
    start = time.perf_counter()
    out = super_resolve_array(generator, volume, tile_size=args.tile, overlap=args.overlap)
    seconds = time.perf_counter() - start
    from domains.mri.disgan.inference import super_resolve

    print(json.dumps({"seconds": seconds, "peak_rss_mib": _rss_mib(), "rss_after_setup_mib": rss_setup,
                      "output_shape": list(out.shape), **super_resolve.last_stats}))
    return 0


def patch_worker(config, tile, repeats, output, xla=False):
    """One forward pass of a seeded generator on a seeded tile: parameters, seconds, oneDNN state."""
    import keras
    import tensorflow as tf
    from tensorflow.python.util import _pywrap_util_port

    from domains.mri.disgan import build_generator

    keras.utils.set_random_seed(0)
    generator = build_generator(**config)
    x = tf.constant(np.random.default_rng(0).normal(size=(1, tile, tile, tile, 1)).astype("float32"))
    run = tf.function(lambda a: generator(a, training=False), jit_compile=xla)
    start = time.perf_counter()
    first_output = run(x).numpy()
    first = time.perf_counter() - start
    median, best = _time(lambda: run(x).numpy(), repeats, warmup=0)
    if output:
        np.save(output, first_output)
    print(json.dumps({"parameters": generator.count_params(), "median": median, "best": best, "first": first,
                      "onednn": bool(_pywrap_util_port.IsMklEnabled())}))
    return 0


def _fresh(*args, env=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    result = subprocess.run([sys.executable, "-m", "bench.mri_disgan", *args], capture_output=True, text=True,
                            cwd=str(ROOT), env=env)
    if result.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# === in-process measurements ===================================================================
def _time(fn, repeats, warmup=1):
    """(median, best) seconds of `repeats` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _pairs(batch, patch, count, seed=0):
    hr = np.random.default_rng(seed).normal(size=(batch * count, patch, patch, patch, 1)).astype("float32")
    return hr[:, ::2, ::2, ::2], hr


def _disgan(config, d_filters, patch, fe_widths=None, perceptual=True):
    from domains.mri.disgan import DISGAN, build_discriminator, build_feature_extractor, build_generator

    extractor = None
    if perceptual:
        extractor = build_feature_extractor() if fe_widths is None else build_feature_extractor(widths=fe_widths)
    discriminator = build_discriminator(filters=d_filters, num_levels=int(np.log2(patch)))
    return DISGAN(build_generator(**config), discriminator, extractor)


def training_speed(config, d_filters, patch, batch, steps, perceptual=True, fe_widths=None):
    """Seconds per L1 warm-up step and per GAN step, measured in the same process.

    Each phase: one `fit` of one step (traces the train function), then a `fit` of `steps` steps
    (the same traced function: Keras keeps it while the model is not recompiled), timed.

    Returns:
        dict: "l1_step" and "gan_step" (mean s/step of the timed fit), "gan_first" (s of the
        first, tracing fit).
    """
    from core.optimizers import Adam

    lr, hr = _pairs(batch, patch, steps + 1)
    model = _disgan(config, d_filters, patch, fe_widths, perceptual)
    generator = model.generator
    generator.compile(Adam(1e-4), loss="mae", jit_compile=False)
    generator.fit(lr[:batch], hr[:batch], batch_size=batch, epochs=1, verbose=0)
    start = time.perf_counter()
    generator.fit(lr[batch:], hr[batch:], batch_size=batch, epochs=1, verbose=0)
    l1_step = (time.perf_counter() - start) / steps
    model.compile()
    start = time.perf_counter()
    model.fit(lr[:batch], hr[:batch], batch_size=batch, epochs=1, verbose=0)
    gan_first = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(lr[batch:], hr[batch:], batch_size=batch, epochs=1, verbose=0)
    gan_step = (time.perf_counter() - start) / steps
    return {"l1_step": l1_step, "gan_step": gan_step, "gan_first": gan_first}


def gan_step_parts(config, d_filters, patch, batch, fe_widths, repeats, batched_extractor=False):
    """Compiled forward / forward + backward of each network of a GAN step, and how often a step runs it.

    The perceptual term is timed as the model computes it (`DISGAN.generator_losses`, with the
    discriminator outputs given), its gradient taken with respect to the generated batch.
    `batched_extractor=True` adds the extractor's batched forward + backward, the path before
    `extract_features` (TensorFlow's slow CPU fallback: tens of seconds per call).

    Returns:
        list of (part, calls per GAN step, Timing).
    """
    import tensorflow as tf

    model = _disgan(config, d_filters, patch, fe_widths)
    lr, hr = (tf.constant(a) for a in _pairs(batch, patch, 1))
    generator, discriminator = model.generator, model.discriminator
    logits = tf.zeros_like(hr)

    def gradient(loss_fn, sources, watch=None):
        with tf.GradientTape() as tape:
            if watch is not None:
                tape.watch(watch)
            loss = loss_fn()
        return tape.gradient(loss, sources)

    parts = {
        "generator forward": (0, lambda: generator(lr, training=True)),
        "generator forward + backward (weights)": (
            1, lambda: gradient(lambda: tf.reduce_mean(generator(lr, training=True)), generator.trainable_variables)),
        "discriminator forward": (1, lambda: discriminator(hr, training=True)),
        "discriminator forward + backward (input, G step)": (
            1, lambda: gradient(lambda: tf.reduce_mean(discriminator(hr, training=True)), hr, watch=hr)),
        "discriminator forward + backward (weights, D step)": (
            2, lambda: gradient(lambda: tf.reduce_mean(discriminator(hr, training=True)),
                                discriminator.trainable_variables)),
        "perceptual term forward": (
            0, lambda: model.generator_losses(lr, hr, hr, logits, logits)["perceptual"]),
        "perceptual term forward + backward (input)": (
            1, lambda: gradient(lambda: tf.reduce_mean(model.generator_losses(lr, hr, hr, logits, logits)["perceptual"]),
                                hr, watch=hr)),
    }
    if batched_extractor:
        extractor = model.feature_extractor
        parts["feature extractor forward + backward (input), batched: before extract_features"] = (
            0, lambda: gradient(lambda: tf.reduce_mean(extractor(hr, training=False)), hr, watch=hr))
    rows = []
    for name, (calls, fn) in parts.items():
        compiled = tf.function(fn, autograph=False)
        rows.append((name, calls, time_call(lambda: tf.nest.map_structure(np.asarray, compiled()), repeats=repeats,
                                            warmup=1, min_seconds=0.0)))
    return rows


def _training_section(args, small):
    from domains.mri.disgan.task import DEMO_BATCH_SIZE, DEMO_OPTIONS

    demo = {"filters": DEMO_OPTIONS["filters"], "num_rrdb": DEMO_OPTIONS["num_rrdb"]}
    demo_d, demo_fe = DEMO_OPTIONS["d_filters"], tuple(DEMO_OPTIONS["fe_widths"])
    patch, batch = DEMO_OPTIONS["patch_size"], DEMO_BATCH_SIZE
    steps = 1 if args.quick else 3
    runs = [(f"demo (resuite demo mri.disgan): G {demo['filters']}f {demo['num_rrdb']} RRDB, D nf={demo_d}, "
             f"FE widths {demo_fe}", demo, demo_d, demo_fe)]
    if not args.demo_only:
        runs.append((f"reduced: G {args.filters}f {args.num_rrdb} RRDB, D nf={args.d_filters}, FE MedicalNet widths",
                     small, args.d_filters, None))
    rows = []
    for label, config, d_filters, fe_widths in runs:
        speed = training_speed(config, d_filters, patch, batch, steps, fe_widths=fe_widths)
        rows.append({"config": label, "L1 warm-up patches/s": round(batch / speed["l1_step"], 2),
                     "GAN patches/s": round(batch / speed["gan_step"], 3),
                     "GAN step / L1 step": f"{speed['gan_step'] / speed['l1_step']:.1f}×",
                     "GAN s/step": round(speed["gan_step"], 2), "first GAN step s (traces)": round(speed["gan_first"], 1)})
    if args.paper_training:
        speed = training_speed({}, 16, 64, 1, 1)
        rows.append({"config": "paper: G 64f 3 RRDB, D nf=16, FE MedicalNet widths, 64³, batch 1",
                     "L1 warm-up patches/s": round(1 / speed["l1_step"], 3), "GAN patches/s": round(1 / speed["gan_step"], 4),
                     "GAN step / L1 step": f"{speed['gan_step'] / speed['l1_step']:.1f}×",
                     "GAN s/step": round(speed["gan_step"], 1), "first GAN step s (traces)": round(speed["gan_first"], 1)})
    print_table(f"Training speed, {patch}³ HR patches, batch {batch} (L1 and GAN in the same process; mean of "
                f"{steps} steps after a first, tracing step)", rows)

    repeats = 1 if args.quick else 3
    parts = gan_step_parts(demo, demo_d, patch, batch, demo_fe, repeats, args.batched_extractor)
    rows = [{"part": name, "per GAN step": calls, "s median": round(t.median, 3), "s best": round(t.best, 3)}
            for name, calls, t in parts]
    rows.append({"part": "sum (median × per GAN step)", "per GAN step": "-",
                 "s median": round(sum(calls * t.median for _, calls, t in parts), 2), "s best": "-"})
    print_table(f"Demo GAN step part by part, batch {batch}, {patch}³ (compiled; median and best of {repeats})", rows)


def _patch_section(args, small, repeats):
    """Items 1-2: the paper generator's seconds per 32³ patch with each kernel setting; returns TF's default's."""
    from tensorflow.python.util import _pywrap_util_port

    from domains.mri.disgan.generator import generator_parameter_count

    default_flag = "1" if _pywrap_util_port.IsMklEnabled() else "0"  # what TensorFlow chose in this process
    rows, outputs = [], {}
    with tempfile.TemporaryDirectory() as folder:
        for kernels, flag in KERNELS.items():
            path = os.path.join(folder, f"{flag}.npy")
            run = _fresh("--worker", "patch", "--config", "{}", "--repeats", str(repeats), "--output", path,
                         env={"TF_ENABLE_ONEDNN_OPTS": flag})
            outputs[kernels] = np.load(path)
            assert run["parameters"] == OFFICIAL_PARAMETERS == generator_parameter_count()
            assert run["onednn"] == (flag == "1")
            if flag == default_flag:
                default_seconds = run["median"]
            default = " (TF's default here)" if flag == default_flag else ""
            row = {"model": f"ours, paper config, {kernels}{default}", "parameters": f"{run['parameters']:,}",
                   "s/patch median": round(run["median"], 2), "s/patch best": round(run["best"], 2)}
            rows.append(row)
        if args.xla:
            run = _fresh("--worker", "patch", "--config", "{}", "--repeats", str(repeats), "--xla")
            rows.append({"model": f"ours, paper config, XLA (jit_compile=True; first call {run['first']:.0f} s)",
                         "parameters": f"{run['parameters']:,}", "s/patch median": round(run["median"], 2),
                         "s/patch best": round(run["best"], 2)})
        small_run = _fresh("--worker", "patch", "--config", json.dumps(small), "--repeats", str(repeats))
    rows.append({"model": f"ours, reduced ({args.filters} filters, {args.num_rrdb} RRDB), TF default kernels",
                 "parameters": f"{small_run['parameters']:,}", "s/patch median": round(small_run["median"], 3),
                 "s/patch best": round(small_run["best"], 3)})
    print_table(f"Generator, one 32³ → 64³ patch (median and best of {repeats}, fresh process each); the official "
                f"PyTorch generator, {OFFICIAL_PARAMETERS:,} parameters: {OFFICIAL_SECONDS_PER_PATCH} s/patch, {STORED}",
                rows)
    first, second = outputs.values()
    print(f"Largest output difference between the kernel settings: {np.abs(first - second).max():.2e} "
          f"(output scale {np.abs(first).max():.2f})")
    rows, total = conv_profile(32, repeats)
    print_table(f"Where a patch's time goes: each convolution of the paper generator alone (TF's default kernels, "
                f"best of {repeats}): {total:.2f} s of the {default_seconds:.2f} s per patch", rows)
    return default_seconds


def conv_profile(tile, repeats, filters=64, num_rrdb=3, num_dense_blocks=3, num_convs=5):
    """Each distinct 3×3×3 convolution of the generator timed alone: rows and the summed seconds.

    Where a patch's time goes: the sum over the generator's convolutions (each timed as a compiled
    `tf.nn.conv3d` on the shape it sees, times how often the generator runs it) beside the whole
    generator's time says how much is left for everything else (concatenations, activations,
    pixel shuffle).
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    dense = [(filters * i, filters, tile, num_rrdb * num_dense_blocks) for i in range(1, num_convs + 1)]
    dense[0] = (filters, filters, tile, num_rrdb * num_dense_blocks + 1)  # + conv2, same shape
    shapes = [(1, filters, tile, 1), *dense, (filters, 8 * filters, tile, 1), (filters, filters, 2 * tile, 1),
              (filters, 1, 2 * tile, 1)]
    conv = tf.function(lambda x, k: tf.nn.conv3d(x, k, [1] * 5, "SAME"))
    rows, total = [], 0.0
    for cin, cout, size, count in shapes:
        x = tf.constant(rng.normal(size=(1, size, size, size, cin)).astype("float32"))
        kernel = tf.constant(rng.normal(0, 0.01, size=(3, 3, 3, cin, cout)).astype("float32"))
        timing = time_call(lambda: conv(x, kernel).numpy(), repeats=repeats, warmup=1, min_seconds=0.0)
        total += count * timing.best
        rows.append({"conv": f"{cin} → {cout} channels at {size}³", "per patch": count, "s best": round(timing.best, 3),
                     "GFLOP/s": round(2 * 27 * cin * cout * size ** 3 / timing.best / 1e9),
                     "s per patch": round(count * timing.best, 2)})
    return rows, total


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--worker" in argv:
        return worker(argv)
    parser = argparse.ArgumentParser(prog="python -m bench mri_disgan", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer repeats, a 64³ crop for the volume")
    parser.add_argument("--model", default=None, help="a trained generator/DISGAN .keras for the volume run")
    parser.add_argument("--filters", type=int, default=32, help="the reduced generator's filters")
    parser.add_argument("--num-rrdb", type=int, default=1, help="the reduced generator's RRDBs")
    parser.add_argument("--d-filters", type=int, default=8, help="the reduced discriminator's filters (item 3)")
    parser.add_argument("--paper-training", action="store_true", help="also time the paper config's GAN step")
    parser.add_argument("--paper-volume", action="store_true", help="also run the paper config on the whole volume")
    parser.add_argument("--patch-only", action="store_true", help="only the parameters and per-patch speed (items 1-2)")
    parser.add_argument("--xla", action="store_true", help="item 2 also with XLA (jit_compile=True; about a minute)")
    parser.add_argument("--training-only", action="store_true", help="only the training speed (item 3)")
    parser.add_argument("--volume-only", action="store_true",
                        help="only the whole-volume run (item 4; without the paper config's estimate)")
    parser.add_argument("--demo-only", action="store_true", help="item 3 for the demo configuration only")
    parser.add_argument("--batched-extractor", action="store_true",
                        help="also time the feature extractor's batched backward (the slow path before the fix)")
    args, _ = parser.parse_known_args(argv)
    print(environment_line())
    small = _small_config(args)
    if args.training_only:
        _training_section(args, small)
        return 0
    repeats = 1 if args.quick else 3

    # 1 + 2: parameters and per-patch inference, paper configuration, per kernel setting.
    seconds = None if args.volume_only else _patch_section(args, small, repeats)
    if args.patch_only:
        return 0

    # 3: training speed.
    if not args.volume_only:
        _training_section(args, small)

    # 4: whole volume, fresh processes.
    quick = ["--quick"] if args.quick else []
    shape = "64³ crop" if args.quick else "×".join(map(str, VOLUME_SHAPE))
    model = ["--model", args.model] if args.model else []
    tiled = {tile: _fresh("--worker", "generator", "--config", json.dumps(small), "--tile", str(tile), *quick, *model)
             for tile in TILE_SIZES}
    tricubic_run = _fresh("--worker", "tricubic", *quick)
    rows = [{"method": "tricubic (scipy.ndimage, order 3)", "seconds": round(tricubic_run["seconds"], 1),
             "peak RSS MiB": round(tricubic_run["peak_rss_mib"]),
             "RSS before MiB": round(tricubic_run["rss_after_setup_mib"]), "tiles run/total": "-"}]
    for tile, run in tiled.items():
        rows.append({"method": f"DISGAN reduced ({args.filters}f, {args.num_rrdb} RRDB), tiles {tile}/overlap 8",
                     "seconds": round(run["seconds"], 1), "peak RSS MiB": round(run["peak_rss_mib"]),
                     "RSS before MiB": round(run["rss_after_setup_mib"]),
                     "tiles run/total": f"{run['computed_tiles']}/{run['tiles']}"})
    # No estimate from the official per-patch figure: it is stored from another day (no derived comparison).
    tiles_run = tiled[32]["computed_tiles"]
    if seconds is not None:
        rows.append({"method": f"DISGAN paper config, tiles 32 (estimate: tiles run × {seconds:.1f} s/patch)",
                     "seconds": round(tiles_run * seconds), "peak RSS MiB": "-",
                     "RSS before MiB": "-", "tiles run/total": f"{tiles_run}/{tiled[32]['tiles']}"})
    if args.paper_volume:
        paper_run = _fresh("--worker", "generator", "--config", "{}", *quick)
        rows.append({"method": "DISGAN paper config, measured", "seconds": round(paper_run["seconds"], 0),
                     "peak RSS MiB": round(paper_run["peak_rss_mib"]),
                     "RSS before MiB": round(paper_run["rss_after_setup_mib"]),
                     "tiles run/total": f"{paper_run['computed_tiles']}/{paper_run['tiles']}"})
    print_table(f"Whole-volume ×2 inference, {shape} input (MNI152 template), fresh process each "
                f"(output {tiled[32]['output_shape']})", rows)
    print("\nPeak RSS includes the Python/TensorFlow runtime ('RSS before' = after imports, model build and "
          "loading the volume). The tiles' working memory is bounded by the tile size; the output volume "
          "and its accumulator are the only full-size arrays. Constant (empty background) tiles are not "
          "run through the network.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
