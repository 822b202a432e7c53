"""APNet inference speed on this CPU: real-time factor beside HiFi-GAN v1, both from the same core.

Measurements (CPU, compiled `tf.function`, random weights: speed does not depend on them):

1. The paper's 16 kHz APNet generator (72,191,494 parameters, 512 channels, hop 80) on an
   80 × 1000 mel (5 s of audio), weight normalisation kept and folded (`fold_generator`, as a
   deployed vocoder runs), beside two HiFi-GANs (`HIFIGAN_VARIANTS`):
   - **the official v1** (13,926,017 parameters folded: 512 channels, MRF 3/7/11, upsampling
     8·8·2·2 = hop 256, kernels 16/16/4/4) at its own 22.05 kHz, on the mel of the same 5 s
     (431 frames) — the configuration of the official PyTorch figure below and of the paper's
     comparison;
   - **a 16 kHz, hop-80 variant** (12,877,441 parameters folded: v1's widths and MRF, upsampling
     5·4·2·2 = 80, kernels 10/8/4/4, 2× the strides): not the official v1, but the same hop and
     frames as APNet, so that the ratio compares the architectures alone.
   RTF = seconds of compute / seconds of audio; the ratio HiFi-GAN / APNet is the paper's "about
   8× faster on CPU". The official PyTorch figures are stored from another day
   (docs/official_implementations.md: APNet RTF 0.231 with weight norm kept, HiFi-GAN v1 0.603 at
   22.05 kHz, hop 256) and printed as stored, with no ratio: that needs them timed in the same run.
2. The same at 8 kHz (the telephone-band configuration: APNet with n_fft 512, hop 40) beside the
   8 kHz, hop-40 HiFi-GAN variant (v1's widths, upsampling 5·4·2 = 40; 12,739,841 parameters
   folded), 5 s of audio.
3. `--tflite`: the folded 8 kHz and 16 kHz APNet generators exported to TFLite with builtin ops
   only (the iSTFT's inverse DFT as two real matrix products, `core.spectral.istft(method="matmul")`:
   TFLite has no inverse complex FFT), their outputs checked against the Keras model, timed with
   1 and 2 interpreter threads.

The candidates of one table are timed round-robin (`bench.common.time_round_robin`): each of
`--repeats` rounds (default 9) times every model once, so that they all see the same machine
state; the table gives the median and the best round of each.

Run: `python -m bench speech_apnet` (`--quick` for a smoke run on 100 frames; `--tflite` adds item 3).
"""

import argparse
import shutil
import tempfile

import numpy as np

from bench.common import STORED, environment_line, print_table, ratio, time_round_robin

OFFICIAL = {"APNet RTF (PyTorch, weight norm kept, 16 kHz)": 0.231,
            "HiFi-GAN v1 RTF (PyTorch, weight norm removed, 22.05 kHz)": 0.603}
# name: (sample rate, upsampling rates, their kernels), per APNet feature configuration. Only the
# first is HiFi-GAN's official v1; the others keep v1's widths and MRF at APNet's hop.
HIFIGAN_VARIANTS = {
    "16k": {"HiFi-GAN v1, official (22.05 kHz, hop 256)": (22050, (8, 8, 2, 2), (16, 16, 4, 4)),
            "HiFi-GAN, v1 widths at 16 kHz hop 80 (not v1)": (16000, (5, 4, 2, 2), (10, 8, 4, 4))},
    "8k": {"HiFi-GAN, v1 widths at 8 kHz hop 40 (not v1)": (8000, (5, 4, 2), (10, 8, 4))},
}


def hifigan_generators(features, fold=True):
    """{row name: (HiFi-GAN generator, sample rate, hop)} beside the APNet of `features`.

    Args:
        features: "16k" or "8k".
        fold: bool. Weight normalisation folded (as timed) or kept. Defaults to True.

    Example:
    ```python
    {name: model.count_params() for name, (model, rate, hop) in hifigan_generators("16k").items()}
    # {'HiFi-GAN v1, official (22.05 kHz, hop 256)': 13926017, 'HiFi-GAN, v1 widths at 16 kHz hop 80 (not v1)': 12877441}
    ```
    """
    from domains.speech.generator import build_hifigan_generator

    generators = {}
    for name, (rate, rates, kernels) in HIFIGAN_VARIANTS[features].items():
        generator = build_hifigan_generator(80, rates, kernels)
        generators[name] = (fold_generator(generator) if fold else generator, rate, int(np.prod(rates)))
    return generators


def fold_generator(generator, inverse="fft"):
    """`domains.speech.generator.fold_generator` (imported when called: listing the benchmarks loads no TensorFlow)."""
    from domains.speech.generator import fold_generator as fold

    return fold(generator, inverse)


def _compiled(model):
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def run(mel):
        out = model(mel, training=False)
        return out["waveform"] if isinstance(out, dict) else out

    return run


def measure(features, frames, repeats):
    """Rows of the RTF table for one feature configuration.

    Every model vocodes the same audio duration, `(frames − 1)` APNet hops: a HiFi-GAN at
    another rate or hop gets the mel frames of that duration at its own rate and hop.
    """
    from domains.speech.features import FEATURE_CONFIGS
    from domains.speech.generator import build_generator

    config = FEATURE_CONFIGS[features]
    rng = np.random.default_rng(0)
    mel = rng.normal(-4, 2, size=(1, frames, config.num_mels)).astype("float32")
    seconds = (frames - 1) * config.hop_length / config.sample_rate
    apnet = build_generator(config)
    candidates = {"APNet (weight norm kept)": (apnet, mel, (frames - 1) * config.hop_length, config.sample_rate),
                  "APNet (weight norm folded)": (fold_generator(apnet), mel, (frames - 1) * config.hop_length,
                                                 config.sample_rate)}
    for name, (model, rate, hop) in hifigan_generators(features).items():
        own_frames = round(seconds * rate / hop)
        own_mel = rng.normal(-4, 2, size=(1, own_frames, config.num_mels)).astype("float32")
        candidates[f"{name} (weight norm folded)"] = (model, own_mel, own_frames * hop, rate)
    import tensorflow as tf

    runs = {name: (_compiled(model), tf.constant(inputs)) for name, (model, inputs, _, _) in candidates.items()}
    timings = time_round_robin({name: (lambda run=run, x=x: run(x).numpy()) for name, (run, x) in runs.items()},
                               repeats=repeats)
    rows = []
    for name, (model, _, samples, rate) in candidates.items():
        audio_seconds = samples / rate
        rows.append({"config": features, "model": name, "parameters": f"{model.count_params():,}",
                     "audio_s": round(audio_seconds, 2), "seconds": round(timings[name].median, 3),
                     "rtf": round(timings[name].median / audio_seconds, 4),
                     "rtf_best": round(timings[name].best / audio_seconds, 4)})
    apnet_rtf = rows[1]["rtf"]
    for row in rows:
        row["vs_apnet_folded"] = ratio(row["rtf"], apnet_rtf)
    return rows, candidates["APNet (weight norm folded)"][0], mel


def tflite_rows(features, model, mel, repeats):
    """Export the folded generator's waveform output to TFLite, check it, time it on 1 and 2 threads."""
    import keras
    import tensorflow as tf

    from domains.speech.features import FEATURE_CONFIGS

    config = FEATURE_CONFIGS[features]
    exported = fold_generator(model, inverse="matmul")  # TFLite has no builtin inverse complex FFT
    saved = tempfile.mkdtemp(prefix="apnet-savedmodel-")
    archive = keras.export.ExportArchive()
    archive.track(exported)
    archive.add_endpoint("serve", lambda x: exported(x, training=False)["waveform"],
                         input_signature=[tf.TensorSpec((1, mel.shape[1], config.num_mels), tf.float32)])
    archive.write_out(saved, verbose=False)
    flatbuffer = tf.lite.TFLiteConverter.from_saved_model(saved).convert()
    shutil.rmtree(saved, ignore_errors=True)
    expected = model(mel, training=False)["waveform"].numpy()
    audio_seconds = expected.shape[1] / config.sample_rate
    runs = {}
    for threads in (1, 2):
        interpreter = tf.lite.Interpreter(model_content=flatbuffer, num_threads=threads)
        interpreter.allocate_tensors()
        inp, out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

        def run(interpreter=interpreter, inp=inp, out=out):
            interpreter.set_tensor(inp, mel)
            interpreter.invoke()
            return interpreter.get_tensor(out)

        runs[threads] = run
    errors = {threads: float(np.max(np.abs(run() - expected))) for threads, run in runs.items()}
    timings = time_round_robin(runs, repeats=repeats)
    size_mb = round(len(flatbuffer) / 1e6, 1)
    return [{"config": features, "model": f"APNet TFLite, {threads} thread(s)", "size_mb": size_mb,
             "max_abs_error_vs_keras": f"{errors[threads]:.2e}", "seconds": round(timings[threads].median, 3),
             "rtf": round(timings[threads].median / audio_seconds, 4),
             "rtf_best": round(timings[threads].best / audio_seconds, 4)} for threads in runs]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench speech_apnet", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 frames and 2 repeats (a smoke run)")
    parser.add_argument("--tflite", action="store_true", help="also export to TFLite and time it on 1 and 2 threads")
    parser.add_argument("--repeats", type=int, default=9,
                        help="rounds; each round times every model once, in turn (round-robin)")
    args, _ = parser.parse_known_args(argv)
    frames, repeats = (100, 2) if args.quick else (1000, args.repeats)
    print(environment_line())
    rows, exported = [], {}
    for features in ("16k", "8k"):
        measured, folded, mel = measure(features, frames, repeats)
        rows += measured
        exported[features] = (folded, mel)
    print_table(f"Vocoder inference on CPU, 80 x {frames} mel (RTF: compute seconds / audio seconds; median and "
                f"best of {repeats} round-robin rounds)", rows)
    apnet = next(r for r in rows if r["config"] == "16k" and "folded" in r["model"] and "APNet" in r["model"])
    for hifigan in (r for r in rows if r["config"] == "16k" and "HiFi-GAN" in r["model"]):
        print(f"\n{hifigan['model']} / APNet at 16 kHz: {ratio(hifigan['rtf'], apnet['rtf'])} "
              f"(the paper: about 8x on CPU, against the official v1)")
    print(f"Ours in this run: APNet RTF {apnet['rtf']:.3f} (weight norm folded). The official PyTorch code, "
          f"{STORED}: {OFFICIAL}")
    if args.tflite:
        tflite = [row for features, (model, mel) in exported.items() for row in tflite_rows(features, model, mel, repeats)]
        print_table("TFLite export of the folded APNet generator (builtin ops; matmul inverse DFT)", tflite)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
