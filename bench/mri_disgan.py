"""DISGAN speed and memory: our Keras model beside the official PyTorch generator and tricubic.

Measurements (CPU, `jit_compile=False`):

1. Parameter counts: the paper-configuration generator against the official 16,042,881.
2. Generator inference of one 32³ → 64³ patch, paper configuration (random weights: speed
   does not depend on them), beside the official PyTorch generator's 9.2 s per patch on this
   CPU (PLATFORM.md, torch 2.13, 2 threads).
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
   interpolation (scipy). The paper configuration's whole-volume time is estimated from its
   per-tile time and the number of tiles that run (`--paper-volume` measures it: ~an hour).

Run: `python -m bench mri_disgan` (add `--quick` for a smoke run on smaller inputs;
`--training-only` for item 3 alone, a few minutes; `--demo-only` drops its reduced-config row).
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np

import statistics

from bench.common import environment_line, print_table, ratio, time_call

BASELINE = "official PyTorch DISGAN generator, 2 threads, PLATFORM.md"
OFFICIAL_PARAMETERS = 16_042_881
OFFICIAL_SECONDS_PER_PATCH = 9.2
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
    parser.add_argument("--worker", choices=("generator", "tricubic"))
    parser.add_argument("--config", default="{}")
    parser.add_argument("--model", default=None)
    parser.add_argument("--tile", type=int, default=32)
    parser.add_argument("--overlap", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
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


def _fresh(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
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


def patch_inference(config, repeats):
    """Parameters and (median, best) seconds of one 32³ → 64³ forward pass."""
    import tensorflow as tf

    from domains.mri.disgan import build_generator

    generator = build_generator(**config)
    x = tf.random.normal((1, 32, 32, 32, 1))
    run = tf.function(lambda a: generator(a, training=False))
    return generator.count_params(), _time(lambda: run(x).numpy(), repeats)


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
    import keras

    lr, hr = _pairs(batch, patch, steps + 1)
    model = _disgan(config, d_filters, patch, fe_widths, perceptual)
    generator = model.generator
    generator.compile(keras.optimizers.Adam(1e-4), loss="mae", jit_compile=False)
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
    from domains.mri.disgan.task import DEMO_OPTIONS

    demo = {"filters": DEMO_OPTIONS["filters"], "num_rrdb": DEMO_OPTIONS["num_rrdb"]}
    demo_d, demo_fe = DEMO_OPTIONS["d_filters"], tuple(DEMO_OPTIONS["fe_widths"])
    patch, batch = DEMO_OPTIONS["patch_size"], DEMO_OPTIONS["batch_size"]
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


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--worker" in argv:
        return worker(argv)
    parser = argparse.ArgumentParser(prog="python -m bench mri_disgan", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer repeats, a 64³ crop for the volume")
    parser.add_argument("--model", default=None, help="a trained generator/DISGAN .keras for the volume run")
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--num-rrdb", type=int, default=1)
    parser.add_argument("--d-filters", type=int, default=8)
    parser.add_argument("--paper-training", action="store_true", help="also time the paper config's GAN step")
    parser.add_argument("--paper-volume", action="store_true", help="also run the paper config on the whole volume")
    parser.add_argument("--training-only", action="store_true", help="only the training speed (item 3)")
    parser.add_argument("--demo-only", action="store_true", help="item 3 for the demo configuration only")
    parser.add_argument("--batched-extractor", action="store_true",
                        help="also time the feature extractor's batched backward (the slow path before the fix)")
    args, _ = parser.parse_known_args(argv)
    from domains.mri.disgan.generator import generator_parameter_count

    print(environment_line())
    small = _small_config(args)
    if args.training_only:
        _training_section(args, small)
        return 0
    repeats = 1 if args.quick else 3

    # 1 + 2: parameters and per-patch inference, paper configuration.
    params, (seconds, best) = patch_inference({}, repeats)
    small_params, (small_seconds, small_best) = patch_inference(small, repeats)

    def versus(value):
        if value < OFFICIAL_SECONDS_PER_PATCH:
            return ratio(OFFICIAL_SECONDS_PER_PATCH, value) + " faster"
        return ratio(value, OFFICIAL_SECONDS_PER_PATCH) + " slower"

    print_table(f"Generator, one 32³ → 64³ patch (median and best of {repeats}) vs {BASELINE}", [
        {"model": "official PyTorch (paper config)", "parameters": OFFICIAL_PARAMETERS,
         "s/patch median": OFFICIAL_SECONDS_PER_PATCH, "s/patch best": "-",
         "patches/s": round(1 / OFFICIAL_SECONDS_PER_PATCH, 3), "median vs official": "1.00×"},
        {"model": "ours, paper config", "parameters": params, "s/patch median": round(seconds, 2),
         "s/patch best": round(best, 2), "patches/s": round(1 / seconds, 3), "median vs official": versus(seconds)},
        {"model": f"ours, reduced ({args.filters} filters, {args.num_rrdb} RRDB)", "parameters": small_params,
         "s/patch median": round(small_seconds, 3), "s/patch best": round(small_best, 3),
         "patches/s": round(1 / small_seconds, 2), "median vs official": "-"},
    ])
    assert params == OFFICIAL_PARAMETERS == generator_parameter_count()

    # 3: training speed.
    _training_section(args, small)

    # 4: whole volume, fresh processes.
    quick = ["--quick"] if args.quick else []
    shape = "64³ crop" if args.quick else "×".join(map(str, VOLUME_SHAPE))
    generator_run = _fresh("--worker", "generator", "--config", json.dumps(small), *quick,
                           *(["--model", args.model] if args.model else []))
    tricubic_run = _fresh("--worker", "tricubic", *quick)
    rows = [
        {"method": "tricubic (scipy.ndimage, order 3)", "seconds": round(tricubic_run["seconds"], 1),
         "peak RSS MiB": round(tricubic_run["peak_rss_mib"]), "RSS before MiB": round(tricubic_run["rss_after_setup_mib"]),
         "tiles run/total": "-"},
        {"method": f"DISGAN reduced ({args.filters}f, {args.num_rrdb} RRDB), tiles 32/overlap 8",
         "seconds": round(generator_run["seconds"], 1), "peak RSS MiB": round(generator_run["peak_rss_mib"]),
         "RSS before MiB": round(generator_run["rss_after_setup_mib"]),
         "tiles run/total": f"{generator_run['computed_tiles']}/{generator_run['tiles']}"},
        {"method": "DISGAN paper config (estimate: tiles run × s/patch)",
         "seconds": round(generator_run["computed_tiles"] * seconds, 0), "peak RSS MiB": "-", "RSS before MiB": "-",
         "tiles run/total": f"{generator_run['computed_tiles']}/{generator_run['tiles']}"},
        {"method": "official PyTorch (estimate: tiles run × 9.2 s)",
         "seconds": round(generator_run["computed_tiles"] * OFFICIAL_SECONDS_PER_PATCH, 0), "peak RSS MiB": "-",
         "RSS before MiB": "-", "tiles run/total": f"{generator_run['computed_tiles']}/{generator_run['tiles']}"},
    ]
    if args.paper_volume:
        paper_run = _fresh("--worker", "generator", "--config", "{}", *quick)
        rows.append({"method": "DISGAN paper config, measured", "seconds": round(paper_run["seconds"], 0),
                     "peak RSS MiB": round(paper_run["peak_rss_mib"]),
                     "RSS before MiB": round(paper_run["rss_after_setup_mib"]),
                     "tiles run/total": f"{paper_run['computed_tiles']}/{paper_run['tiles']}"})
    print_table(f"Whole-volume ×2 inference, {shape} input (MNI152 template), fresh process each "
                f"(output {generator_run['output_shape']})", rows)
    print("\nPeak RSS includes the Python/TensorFlow runtime ('RSS before' = after imports, model build and "
          "loading the volume). The tiles' working memory is bounded by the tile size; the output volume "
          "and its accumulator are the only full-size arrays. Constant (empty background) tiles are not "
          "run through the network.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
