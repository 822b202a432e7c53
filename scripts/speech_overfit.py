"""Overfit APNet's generator on a few real utterances: the evidence that the pipeline can learn.

Trains the generator alone (`domains.speech.training.overfit_generator`) on whole utterances (the first `--utterances` of the Asterisk
training split, or `--files`) with the paper's non-adversarial losses (`APNet.spectral_losses`:
45·amplitude + 100·phase + 20·spectrum + 45·mel) and every `--log-every` steps vocodes the same
utterances and scores them (`domains.speech.evaluation.compare`: PESQ, STOI, F0 RMSE, V/UV, LSD)
beside the level difference (output minus input, dB) and the losses. Writes `curve.json` (and
`generator.keras`) to `--output`.

The issue's target (docs: README, speech): PESQ ≥ 3.5 and F0 RMSE ≤ 5 Hz on the utterances
themselves; `tests/domains/speech/test_training.py` (large) repeats the start of the stored run
(`domains/speech/presets/overfit_curve.json`, `overfit_curve.png`).

Every scoring saves `generator.keras` and `curve.json`, so a killed run continues with `--resume`
(same arguments; Adam's moments start afresh); `curve.png` plots the curve at the end (`--plot`
draws it from a stored `curve.json`).

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


def plot_curve(curve, path, title=""):
    """A PNG of the learning curve: PESQ, F0 RMSE, level and the phase errors against steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [row["step"] for row in curve]
    figure, axes = plt.subplots(1, 4, figsize=(15, 3.2))
    axes[0].plot(steps, [row["pesq"] for row in curve], marker=".")
    axes[0].axhline(3.5, color="grey", linestyle=":", label="goal 3.5")
    axes[0].set_title("PESQ (narrow band)")
    axes[1].plot(steps, [row["f0_rmse_hz"] for row in curve], marker=".")
    axes[1].axhline(5.0, color="grey", linestyle=":", label="goal 5 Hz")
    axes[1].set_yscale("log")
    axes[1].set_title("F0 RMSE (Hz)")
    axes[2].plot(steps, [row["level_db"] for row in curve], marker=".")
    axes[2].axhline(0.0, color="grey", linestyle=":")
    axes[2].set_title("level: output - input (dB)")
    for name in ("instantaneous_phase", "group_delay", "instantaneous_frequency"):
        axes[3].plot(steps, [row[name] for row in curve], label=name.replace("_", " "))
    axes[3].axhline(3.14159 / 2, color="grey", linestyle=":", label="random phase")
    axes[3].set_title("phase losses (rad)")
    for axis in axes:
        axis.set_xlabel("step")
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=7)
    if title:
        figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


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
    parser.add_argument("--loss-weight", nargs="*", default=[], metavar="NAME=VALUE",
                        help="override the paper's loss weights (amplitude, phase, spectrum, real_imaginary, mel)")
    parser.add_argument("--decay-fraction", type=float, default=0.0,
                        help="cosine decay of the rate to 1 %% over this last fraction of --steps (0: constant)")
    parser.add_argument("--initial", help="a generator.keras of an earlier run to continue from (a fresh optimizer)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --output from its last saved step (its generator.keras and "
                             "curve.json, written at every scoring; Adam's moments start afresh)")
    parser.add_argument("--plot", action="store_true",
                        help="only draw --output's curve.json as curve.png (done at the end of every run too)")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    output = pathlib.Path(args.output)
    if args.plot:
        stored = json.loads((output / "curve.json").read_text())
        plot_curve(stored["curve"], output / "curve.png", stored["command"])
        return stored["curve"]
    earlier, first_step, offset = [], 0, 0.0
    if args.resume:
        if not (output / "curve.json").is_file() or not (output / "generator.keras").is_file():
            raise ValueError(f"--resume needs {output / 'curve.json'} and {output / 'generator.keras'} of an "
                             f"earlier run. Received: --output {output}")
        earlier = json.loads((output / "curve.json").read_text())["curve"]
        first_step, offset = earlier[-1]["step"], earlier[-1]["seconds"]
        args.initial = str(output / "generator.keras")
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
    for item in args.loss_weight:
        name, _, value = item.partition("=")
        if name not in model.loss_weights or not value:
            raise ValueError(f"--loss-weight takes NAME=VALUE with NAME one of {sorted(model.loss_weights)}. "
                             f"Received: {item!r}")
        model.loss_weights = {**model.loss_weights, name: float(value)}
    if args.initial:
        model.generator.set_weights(keras.saving.load_model(args.initial).get_weights())
    output.mkdir(parents=True, exist_ok=True)
    curve = list(earlier)
    command = " ".join(["python scripts/speech_overfit.py", *(sys.argv[1:] if argv is None else argv)])

    def save(row):
        # every scoring: the run so far can be resumed, and its curve survives a kill
        curve.append({**row, "seconds": round(row["seconds"] + offset, 1)})
        model.generator.save(output / "generator.keras")
        (output / "curve.json").write_text(json.dumps({"command": command, "arguments": vars(args),
                                                       "files": [p.name for p in paths],
                                                       "samples": int(waves.shape[1]), "curve": curve}, indent=1))

    overfit_generator(model, waves, args.steps, args.learning_rate, args.log_every,
                      None if args.minutes is None else 60 * args.minutes, decay_fraction=args.decay_fraction,
                      first_step=first_step, on_score=save)
    plot_curve(curve, output / "curve.png", command)
    return curve


if __name__ == "__main__":
    main()
