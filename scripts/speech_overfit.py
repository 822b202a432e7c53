"""Overfit APNet's generator on a few real utterances: the evidence that the pipeline can learn.

Trains the generator alone (`domains.speech.training.overfit_generator`) on whole utterances (the first `--utterances` of the Asterisk
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
    parser.add_argument("--initial", help="a generator.keras of an earlier run to continue from (a fresh optimizer)")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    from domains.speech.features import FEATURE_CONFIGS

    paths, waves = utterances(args.utterances, FEATURE_CONFIGS[args.features].sample_rate, args.seconds_of_audio,
                              args.files)
    print("utterances:", ", ".join(p.name for p in paths), f"({waves.shape[1]} samples each)", flush=True)
    import keras

    from domains.speech.model import build_model
    from domains.speech.training import overfit_generator

    keras.utils.set_random_seed(args.seed)
    model = build_model(args.features, channels=args.channels, discriminator_scale=0.125,
                        phase_wrapping=args.phase_wrapping)
    if args.initial:
        model.generator.set_weights(keras.saving.load_model(args.initial).get_weights())
    curve = overfit_generator(model, waves, args.steps, args.learning_rate, args.log_every,
                              None if args.minutes is None else 60 * args.minutes)
    output = pathlib.Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    model.generator.save(output / "generator.keras")
    (output / "curve.json").write_text(json.dumps({"command": " ".join(sys.argv), "files": [str(p) for p in paths],
                                                   "curve": curve}, indent=1))
    return curve


if __name__ == "__main__":
    main()
