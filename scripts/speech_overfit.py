"""Overfit APNet's generator on a few real utterances: the evidence that the pipeline can learn.

Trains the generator alone on whole utterances (the first `--utterances` of the Asterisk
training split, or `--files`) with the paper's non-adversarial losses (`APNet.spectral_losses`:
45·amplitude + 100·phase + 20·spectrum + 45·mel) and every `--log-every` steps vocodes the same
utterances and scores them (`domains.speech.evaluation.compare`: PESQ, STOI, F0 RMSE, V/UV, LSD)
beside the level difference (output minus input, dB) and the losses. Writes `curve.json` (and
`generator.keras`) to `--output`.

The issue's target (docs: README, speech): PESQ ≥ 3.5 and F0 RMSE ≤ 5 Hz on the utterances
themselves; `tests/domains/speech/test_overfit.py` (large) runs it for one.

Usage:
    python scripts/speech_overfit.py --utterances 1 --channels 64 --steps 3000 --output /tmp/overfit1
    python scripts/speech_overfit.py --utterances 8 --channels 128 --steps 20000 --minutes 120 --output runs/overfit8
"""

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def utterances(count, sample_rate, seconds, files=None):
    """`count` real utterances (Asterisk training split, longest first among the first 40) cut to `seconds`."""
    from core.data.audio import read_audio
    from domains.speech.data import asterisk_files, split_files

    if files:
        paths = [pathlib.Path(f) for f in files]
    else:
        train = split_files(asterisk_files())["train"][:40]
        lengths = {p: read_audio(p, sample_rate).size for p in train}
        paths = sorted(train, key=lambda p: -lengths[p])[:count]
    waves = [read_audio(p, sample_rate) for p in paths]
    length = min(min(w.size for w in waves), int(seconds * sample_rate))
    return paths, np.stack([w[:length] for w in waves])


def overfit(waveforms, features="8k", channels=64, steps=1000, learning_rate=1e-3, log_every=100, seconds=None,
            seed=0, phase_wrapping="paper", verbose=True):
    """Fit a fresh generator to `waveforms` `(n, samples)` alone; returns (model, curve).

    Args:
        waveforms: float32 array `(n, samples)` at the feature configuration's rate.
        features: "8k" or "16k". Defaults to "8k".
        channels: int. Generator width. Defaults to 64.
        steps: int. Defaults to 1000.
        learning_rate: float. Adam's rate. Defaults to 1e-3.
        log_every: int. Scores every so many steps (and at the last). Defaults to 100.
        seconds: float or None. Wall-time cap. Defaults to None.
        seed: int. Defaults to 0.
        phase_wrapping: "paper" or "cosine". Defaults to "paper".
        verbose: bool. Defaults to True.

    Returns:
        (APNet, list of dict): the model and one row per scoring (step, seconds, losses, the
        mean of `compare`'s metrics over the utterances, `level_db` = output minus input).
    """
    import keras
    import tensorflow as tf

    from domains.speech.evaluation import compare
    from domains.speech.model import build_model

    keras.utils.set_random_seed(seed)
    model = build_model(features, channels=channels, discriminator_scale=0.125, phase_wrapping=phase_wrapping)
    config = model.feature_config
    hop = config.hop_length
    waveforms = np.asarray(waveforms, "float32")[:, : waveforms.shape[1] // hop * hop]
    mel = model.mel(waveforms)
    target = tf.constant(waveforms)
    generator = model.generator
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.8, beta_2=0.99)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            terms = model.spectral_losses(target, generator(mel, training=True))
            loss = tf.reduce_mean(terms["loss"])
        optimizer.apply_gradients(zip(tape.gradient(loss, generator.trainable_weights), generator.trainable_weights))
        return {k: tf.reduce_mean(v) for k, v in terms.items()}

    def score(done, elapsed, terms):
        generated = np.asarray(generator(mel, training=False)["waveform"])
        rows = [compare(w, g, config) for w, g in zip(waveforms, generated)]
        level = [10 * np.log10(np.mean(g ** 2) / np.mean(w ** 2)) for w, g in zip(waveforms, generated)]
        row = {"step": done, "seconds": round(elapsed, 1), **{k: float(v) for k, v in terms.items()},
               **{k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}, "level_db": float(np.mean(level))}
        if verbose:
            print(f"step {done:6d} {elapsed:7.0f} s  loss {row['loss']:.3f} amp {row['amplitude']:.3f} "
                  f"IP {row['instantaneous_phase']:.3f} GD {row['group_delay']:.3f} "
                  f"IAF {row['instantaneous_frequency']:.3f} mel {row['mel']:.3f} | PESQ {row['pesq']:.2f} "
                  f"STOI {row['stoi']:.3f} F0 {row['f0_rmse_hz']:.1f} Hz V/UV {row['vuv_error']:.3f} "
                  f"LSD {row['lsd_db']:.2f} level {row['level_db']:+.2f} dB", flush=True)
        return row

    curve, start, terms = [], time.perf_counter(), None
    for done in range(1, steps + 1):
        terms = step()
        elapsed = time.perf_counter() - start
        last = done == steps or (seconds is not None and elapsed > seconds)
        if done % log_every == 0 or last or done == 1:
            curve.append(score(done, elapsed, terms))
        if last:
            break
    return model, curve


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--utterances", type=int, default=1)
    parser.add_argument("--files", nargs="*", help="audio files instead of the Asterisk utterances")
    parser.add_argument("--seconds-of-audio", type=float, default=2.0, help="each utterance cut to this length")
    parser.add_argument("--features", default="8k")
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=None, help="wall-time cap")
    parser.add_argument("--phase-wrapping", default="paper")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    from domains.speech.features import FEATURE_CONFIGS

    paths, waves = utterances(args.utterances, FEATURE_CONFIGS[args.features].sample_rate, args.seconds_of_audio,
                              args.files)
    print("utterances:", ", ".join(p.name for p in paths), f"({waves.shape[1]} samples each)", flush=True)
    model, curve = overfit(waves, args.features, args.channels, args.steps, args.learning_rate, args.log_every,
                           None if args.minutes is None else 60 * args.minutes, args.seed, args.phase_wrapping)
    output = pathlib.Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    model.generator.save(output / "generator.keras")
    (output / "curve.json").write_text(json.dumps({"command": " ".join(sys.argv), "files": [str(p) for p in paths],
                                                   "curve": curve}, indent=1))
    return curve


if __name__ == "__main__":
    main()
