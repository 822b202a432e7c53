"""`resuite` CLI task `speech.apnet`: train, evaluate, predict (IN.wav → OUT.wav) and a demo.

    resuite train speech.apnet --output runs/apnet                 # the real 8 kHz Asterisk recordings
    resuite train speech.apnet --data LJSpeech-1.1 --option features=16k   # the paper's setting
    resuite train speech.apnet --data my_wavs --option features=16k        # any folder of audio files
    resuite train speech.apnet --epochs 20 --batch-size 8          # defaults: 10 epochs of 200 steps, batch 16
    resuite evaluate speech.apnet --model runs/apnet/best.keras
    resuite evaluate speech.apnet --preset apnet_asterisk_8k_spectral  # the shipped preset, beside Griffin-Lim
    resuite predict speech.apnet --model runs/apnet/best.keras in.wav [more.wav | mel.npy ...]
    resuite demo speech.apnet

Default data: the Asterisk prompts (one female voice, 8 kHz; 558 files, the 10 of `silence/`
left out), 5 % of the files held out for validation and 5 % for the test (seeded); the CMU
ARCTIC utterance (16 kHz, another speaker) is scored too (`--option arctic=false` skips it),
and so is one real utterance of each of four speakers no preset trained on (`--option unseen=false`
skips them: CMU ARCTIC awb, a LibriVox reader, ALSA's speaker-test voice, Codec2's forig; 16, 16,
48 and 8 kHz), each resampled to the model's rate with a warning naming both rates. `--data` is an
LJSpeech folder (`metadata.csv` + `wavs/`) or any folder of audio files; files at another rate are
resampled, multi-channel files refused unless `--option multichannel=mix`. `predict` reads
WAV/FLAC/OGG (resampled to the model's rate) or a log-mel `.npy` `(frames, mels)`, and writes
`<name>_apnet.wav`. `evaluate` returns the held-out files' `evaluation.report` (the model's mean
metrics, Griffin-Lim's, the per-file rows and what each prompt says), the ARCTIC utterance's
under `arctic` and the unseen speakers' under `unseen` (its per-file rows beside
`details["speakers"]`: who speaks, the sample, its package, licence and rate).
"""

import json
import pathlib

import numpy as np

from core.data.audio import read_audio, write_audio
from core.model_files import load_model_file
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import ScoreEvery, set_seed
from domains.speech import data as speech_data
from domains.speech.discriminator import PERIODS
from domains.speech.evaluation import BASELINE, plot_learning_curve, report
from domains.speech.features import FEATURE_CONFIGS
from domains.speech.model import MODEL_OPTIONS, APNet, build_model
from domains.speech.training import EPOCHS, PAPER_BATCH_SIZE, RECIPES, STEPS_PER_EPOCH, score_utterances, train_apnet

CURVE_FILES = 4  # validation files scored along training by --option score_every (seconds each)
OPTIONS = (
    Option("features", str, "8k", "analysis configuration: 8k (telephone band, the sample data) or 16k (the paper)",
           choices=tuple(FEATURE_CONFIGS)),
    Option("channels", int, 512, "generator width of both branches (the paper: 512)"),
    Option("kernel_sizes", list, [3, 7, 11], "MRF kernels (the paper: 3, 7, 11; dilations 1, 3, 5 each)"),
    Option("discriminator_scale", float, 1.0, "MPD and MSD widths relative to HiFi-GAN's (1: the paper's)"),
    Option("periods", list, list(PERIODS), "MPD periods"),
    Option("msd_scales", int, 3, "MSD scales"),
    Option("phase_wrapping", str, "paper", "phase-loss wrapping: paper (f_AW) or cosine (the official code)",
           choices=("paper", "cosine")),
    Option("steps_per_epoch", int, STEPS_PER_EPOCH, f"steps per epoch (--epochs: epochs, default {EPOCHS})"),
    Option("recipe", str, "paper", "paper: the GAN (AdamW, the rate times 0.999 per epoch); spectral: the generator "
           "alone on the paper's non-adversarial losses (Adam, constant rate, cosine decay over the last 20 % of "
           "the steps), what this CPU can train to speak", choices=RECIPES),
    Option("learning_rate", float, 2e-4, "initial rate (the paper's AdamW 2e-4; the spectral recipe learns fastest "
           "at 2e-3)"),
    Option("minutes", float, None, "wall-time budget of the training (default: no limit)"),
    Option("score_every", int, 0, f"epochs between scorings of the first {CURVE_FILES} whole validation files and "
           "the ARCTIC utterance (with --option arctic; PESQ, STOI, F0 RMSE, V/UV, LSD, level) into curve.json: "
           "the learning curve in a listener's terms; 0: none"),
    Option("validation", float, 0.05, "fraction of the files held out for validation"),
    Option("test", float, 0.05, "fraction of the files held out for the test"),
    Option("multichannel", str, "refuse", "multi-channel files: refuse, mix (average) or first",
           choices=("refuse", "mix", "first")),
    Option("test_files", int, 12, "held-out files scored by evaluate/train (pyin and PESQ take seconds each)"),
    Option("baseline", bool, True, "score Griffin-Lim from the same mel beside the model"),
    Option("arctic", bool, True, "also score the CMU ARCTIC utterance (another speaker, 16 kHz)"),
    Option("unseen", bool, True, "also score one real utterance of each of 4 speakers no preset trained on "
           "(16, 16, 48, 8 kHz; resampled to the model's rate)"),
)
# The preset the demo shows, and the small configuration it then trains briefly (to show that training runs).
DEMO_PRESET = "apnet_asterisk_8k_spectral"
# The brief training run only shows that training runs (two MPD periods and one MSD scale keep its graph
# quick to trace); Griffin-Lim is already scored beside the preset, and the unseen speakers are left to `evaluate`.
DEMO_OPTIONS = {"channels": 32, "kernel_sizes": [3, 7, 11], "discriminator_scale": 0.125, "periods": [2, 3],
                "msd_scales": 1, "steps_per_epoch": 4, "test_files": 4, "baseline": False, "unseen": False}
DEMO_BATCH_SIZE = 8
SMOKE_DEMO_OPTIONS = {"channels": 4, "kernel_sizes": [3], "discriminator_scale": 1 / 64, "periods": [2],
                      "msd_scales": 1, "steps_per_epoch": 2, "test_files": 1, "baseline": False, "unseen": False}
SMOKE_DEMO_BATCH_SIZE = 2


def _files(config):
    """The run's audio files and where they come from."""
    if not config.data:
        return speech_data.asterisk_files(), "asterisk"
    root = pathlib.Path(config.data)
    if (root / "metadata.csv").is_file():
        return speech_data.ljspeech_files(root), "ljspeech"
    return speech_data.find_audio(root), "folder"


def _split(config):
    files, source = _files(config)
    return speech_data.split_files(files, config.options["validation"], config.options["test"], seed=config.seed), source


def _file_details(source):
    """`report`'s `file_details` of the run's files: what each Asterisk prompt says; none for other data."""
    if source != "asterisk":
        return None
    return {"transcripts": {path.name: text for path, text in speech_data.asterisk_transcripts().items()}}


def _curve_scorer(model, validation_waves, options):
    """What `--option score_every` scores: `{"validation": ..., "arctic": ...}` (`score_utterances` of each)."""
    sets = {"validation": validation_waves}
    if options["arctic"]:
        rate = model.feature_config.sample_rate
        sets["arctic"] = speech_data.load_waveforms([speech_data.arctic_utterance()], rate, options["multichannel"])
    return lambda trained: {name: score_utterances(trained, waves) for name, waves in sets.items()}


def _evaluate(model, test, source, config, name="APNet"):
    """{"test": report of the first `test_files` of `test`, "arctic": the ARCTIC utterance's, "unseen": the unseen
    speakers' (the last two if asked)}."""
    options = config.options
    test = test[: options["test_files"]]
    results = {"test": report(model, test, config.output_dir / "test", f"{name}: {len(test)} held-out files",
                              baseline=options["baseline"], name=name, file_details=_file_details(source))}
    if options["arctic"]:
        results["arctic"] = report(model, [speech_data.arctic_utterance()], config.output_dir / "arctic",
                                   f"{name}: CMU ARCTIC a0009 (another speaker, resampled)",
                                   baseline=options["baseline"], name=name)
    if options["unseen"]:
        results["unseen"] = _unseen_report(model, config.output_dir / "unseen", options["baseline"], name)
    return results


def _unseen_report(model, output_dir, baseline, name):
    """`report` of the unseen speakers' utterances, with `details["speakers"]`: {file name: who, sample, source...}."""
    speakers = speech_data.unseen_speakers()
    rates = ", ".join(f"{rate / 1000:g}" for rate in sorted({who["sample_rate"] for who in speakers.values()}))
    title = (f"{name}: {len(speakers)} unseen speakers (recorded at {rates} kHz, scored at "
             f"{model.feature_config.sample_rate / 1000:g} kHz)")
    return report(model, list(speakers), output_dir, title, baseline=baseline, name=name,
                  file_details={"speakers": {path.name: who for path, who in speakers.items()}})


def _row_key(row):
    return row.lower().replace("-", "_").replace(" ", "_")


def summary(reports):
    """Flat numbers of `_evaluate`'s reports: `<set>_<row>_<metric>` (rows: the model, Griffin-Lim) and `<set>_rtf`.

    Args:
        reports: dict {set name: `evaluation.report` result}.

    Returns:
        dict of float, rounded to 4 decimals.

    Example:
    ```python
    # example: not run (scores a model)
    summary(_evaluate(model, split["test"], "asterisk", config))["test_apnet_lsd_db"]
    ```
    """
    out = {}
    for key, result in reports.items():
        rows = {result["details"]["model"]: result["metrics"], **result["baselines"]}
        for row, metrics in rows.items():
            for metric, value in metrics.items():
                out[f"{key}_{_row_key(row)}_{metric}"] = round(value, 4)
        out[f"{key}_rtf"] = round(result["details"]["rtf"], 4)
    return out


@register_task
class APNetTask(TaskRunner):
    """APNet vocoder: log-mel → amplitude and phase spectra → waveform (copy synthesis of real speech)."""

    name = "speech.apnet"
    description = "APNet vocoder: amplitude + phase spectrum predictors and iSTFT (wav in, wav out)"
    samples = (speech_data.ASTERISK, speech_data.ASTERISK_TRANSCRIPTS, speech_data.ARCTIC,
               *speech_data.UNSEEN_SPEAKERS)
    model_class = APNet
    epochs = EPOCHS
    batch_size = PAPER_BATCH_SIZE
    # oneDNN: on AVX2 the paper generator's 5 s inference 1.15x and the GAN step 1.44x
    # Eigen's, the spectral step and the 8 kHz preset's inference within noise (bench/results/peak_avx2.json,
    # training.json, engines_avx2.json); 7 % faster on AVX-512 (engines.json). Eigen was 6-13 % ahead on
    # another AVX2 machine before `fold_generator` split the convolutions (issue #29).
    cpu_kernels = "onednn"
    inputs = ("data", "model", "preset")
    options = OPTIONS

    def train(self, config):
        """Train an APNet (`--model` / `--preset`: start from its weights; same options) and score held-out files."""
        set_seed(config.seed)
        options = config.options
        split, source = _split(config)
        sample_rate = FEATURE_CONFIGS[options["features"]].sample_rate
        train = speech_data.load_waveforms(split["train"], sample_rate, options["multichannel"])
        val_waves = speech_data.load_waveforms(split["validation"], sample_rate, options["multichannel"])
        with config.scope():
            model = build_model(**{key: options[key] for key in (*MODEL_OPTIONS, "phase_wrapping")})
            if config.model_path or config.preset:
                _start_from(model, self.load_model(config), config)
            val = speech_data.fixed_segments(val_waves, model.feature_config.segment_length, per_file=2)
            curve = config.output_dir / "curve.json"
            scorings = ([ScoreEvery(_curve_scorer(model, val_waves[:CURVE_FILES], options), curve,
                                    options["score_every"], options["steps_per_epoch"],
                                    on_write=lambda rows: plot_learning_curve(rows, curve.with_suffix(".png"),
                                                                              "Learning curve: held-out speech"))]
                        if options["score_every"] else [])
            trained = train_apnet(model, train, val, config.output_dir, epochs=config.epochs, callbacks=scorings,
                                  steps_per_epoch=options["steps_per_epoch"], batch_size=config.batch_size,
                                  learning_rate=options["learning_rate"],
                                  seconds=None if options["minutes"] is None else 60 * options["minutes"],
                                  seed=config.seed, verbose=config.verbose, recipe=options["recipe"])
        reports = _evaluate(model, split["test"], source, config)
        split_json = config.output_dir / "split.json"
        split_json.write_text(json.dumps({k: [str(p) for p in v] for k, v in split.items()}, indent=2))
        return {"best_model": str(config.output_dir / "best.keras"), "generator": trained["generator"],
                "data": source, "train_files": len(split["train"]), "generator_parameters":
                int(model.generator.count_params()), "steps": trained["steps"],
                "segments_per_second": round(trained["segments_per_second"], 2), "best_epoch": trained["best_epoch"],
                "best_val_mel": trained["best_val_mel"], **summary(reports), "split_json": str(split_json),
                "report_json": {key: result["report_json"] for key, result in reports.items()},
                **({"curve_json": str(curve)} if curve.is_file() else {})}

    def preset_from_results(self, config, results):
        """Ship the best APNet's generator with its options, training figures and held-out files.

        Returns:
            (APNet, metadata): `options` (the `MODEL_OPTIONS` that `APNet.from_preset_network`
            rebuilds the discriminators from), `training`, `metrics` (the held-out scores of the
            run: test files and ARCTIC, each beside Griffin-Lim), `test_files` (the split's) and, with
            `--option score_every`, `learning_curve` (the scorings of whole validation files and of the
            ARCTIC utterance along training).
        """
        model = load_model_file(results["best_model"], APNet)
        split = json.loads(pathlib.Path(results["split_json"]).read_text())
        return model, {
            "options": {key: config.options[key] for key in MODEL_OPTIONS},
            "training": {key: results[key] for key in ("steps", "segments_per_second", "best_epoch", "best_val_mel",
                                                       "train_files")},
            "metrics": {key: value for key, value in results.items()
                        if key.startswith(("test_", "arctic_", "unseen_")) and isinstance(value, (int, float))},
            "test_files": [pathlib.Path(path).name for path in split["test"]],
            **({"learning_curve": json.loads(pathlib.Path(results["curve_json"]).read_text())}
               if "curve_json" in results else {}),
        }

    def evaluate(self, config):
        """Copy synthesis of the held-out files (or every file of `--data`), the ARCTIC utterance, the unseen speakers.

        Returns:
            dict: the held-out files' `evaluation.report` (metrics, baselines, figures, details),
            plus `arctic` (the ARCTIC utterance's report, when `--option arctic=true`), `unseen` (the
            unseen speakers' report, its `details["speakers"]` naming each file's speaker and package,
            when `--option unseen=true`) and `model`.
        """
        model = self.load_model(config)
        if config.data:
            test, source = _files(config)
        else:
            split, source = _split(config)
            test = split["test"]
        reports = _evaluate(model, test, source, config)
        return {**reports.pop("test"), **reports, "model": str(config.model_path or config.preset)}

    def predict(self, config, inputs):
        model = self.load_model(config)
        feature_config = model.feature_config
        # Read (and check) every input before vocoding any.
        read = []
        for path in map(pathlib.Path, inputs):
            if path.suffix.lower() == ".npy":
                read.append((path, "mel", _read_mel(path, feature_config)))
            else:
                read.append((path, "audio", read_audio(path, feature_config.sample_rate,
                                                       channels=config.options["multichannel"],
                                                       min_seconds=feature_config.min_seconds)))
        rows = []
        for path, kind, data in read:
            if kind == "mel":
                waveform = np.asarray(model.generator(data[None], training=False)["waveform"])[0]
            else:
                waveform = model.vocode(data, feature_config.sample_rate)[0]
            out = write_audio(config.output_dir / f"{path.stem}_apnet.wav", waveform, feature_config.sample_rate)
            rows.append({"input": str(path), "output": str(out), "seconds": waveform.size / feature_config.sample_rate})
            if config.verbose:
                print(f"{path} -> {out} ({rows[-1]['seconds']:.2f} s at {feature_config.sample_rate} Hz)", flush=True)
        return {"files": len(rows), "outputs": ", ".join(r["output"] for r in rows)}

    def demo(self, config):
        """The shipped preset on held-out recordings beside Griffin-Lim, then a brief training run."""
        config.options = self.resolve_options(budget(DEMO_OPTIONS, smoke=SMOKE_DEMO_OPTIONS))
        config.epochs = config.epochs or 1
        config.batch_size = config.batch_size or budget(DEMO_BATCH_SIZE, smoke=SMOKE_DEMO_BATCH_SIZE)
        row = {}
        if DEMO_PRESET in APNet.presets():
            split, source = _split(config)
            test = split["test"][: config.options["test_files"]]
            scored = report(APNet.from_preset(DEMO_PRESET), test, config.output_dir / "preset",
                            f"preset {DEMO_PRESET}", file_details=_file_details(source))

            def scores(metrics):
                return (f"PESQ {metrics['pesq']:.2f}, STOI {metrics['stoi']:.3f}, F0 RMSE {metrics['f0_rmse_hz']:.1f} Hz, "
                        f"level {metrics['level_db']:+.1f} dB, LSD {metrics['lsd_db']:.2f} dB")

            row["result"] = f"preset {DEMO_PRESET}: {scores(scored['metrics'])} on {len(test)} held-out recordings"
            row["baseline"] = f"Griffin-Lim (32 iterations) from the same mel: {scores(scored['baselines'][BASELINE])}"
        trained = self.train(config)
        note = (f"also trained a {trained['generator_parameters']:,}-parameter APNet for {trained['steps']} "
                f"steps ({trained['segments_per_second']:.1f} segments/s) to show training runs "
                f"(test LSD {trained['test_apnet_lsd_db']:.2f} dB; not a trained model)")
        row["note" if "result" in row else "result"] = note
        return row


def _start_from(model, start, config):
    """Copy the weights of `start` (the `--model` / `--preset` APNet) into the freshly built `model`."""
    try:
        model.set_weights(start.get_weights())
    except ValueError as error:
        given = f"--model {config.model_path}" if config.model_path else f"--preset {config.preset}"
        raise ValueError(f"The model to start from has another shape than the options build (give the options it "
                         f"was made with, e.g. a preset's metadata 'options'). Received: {given}: {error}") from None


def _read_mel(path, feature_config):
    """A log-mel `(frames, mels)` from `.npy`, with a clear error naming the file.

    At least `min_samples / hop + 1` frames: the waveform the generator makes from it is as long
    as the shortest clip `predict` vocodes.
    """
    num_mels = feature_config.num_mels
    min_frames = feature_config.min_samples // feature_config.hop_length + 1
    try:
        mel = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: not a NumPy .npy log-mel (frames, {num_mels}). Received: {error}") from None
    if mel.ndim != 2 or mel.shape[1] != num_mels:
        raise ValueError(f"{path}: expected a log-mel of shape (frames, {num_mels}) for this model. "
                         f"Received: shape {mel.shape}")
    if mel.shape[0] < min_frames:
        raise ValueError(f"{path}: too short: {mel.shape[0]} frames; at least {min_frames} needed "
                         f"({feature_config.min_seconds:.3f} s at {feature_config.sample_rate} Hz). "
                         f"Received: shape {mel.shape}")
    return mel.astype("float32")
