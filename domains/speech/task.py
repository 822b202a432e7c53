"""`resuite` CLI task `speech.apnet`: train, evaluate, predict (IN.wav → OUT.wav) and a demo.

    resuite train speech.apnet --output runs/apnet                 # the real 8 kHz Asterisk recordings
    resuite train speech.apnet --data LJSpeech-1.1 --option features=16k   # the paper's setting
    resuite train speech.apnet --data my_wavs --option features=16k        # any folder of audio files
    resuite evaluate speech.apnet --model runs/apnet/best.keras
    resuite predict speech.apnet --model runs/apnet/best.keras in.wav [more.wav | mel.npy ...]
    resuite demo speech.apnet

Default data: the Asterisk prompts (one female voice, 8 kHz; 558 files, the 10 of `silence/`
left out), 5 % of the files held out for validation and 5 % for the test (seeded); the CMU
ARCTIC utterance (16 kHz, another speaker) is scored too (`--option arctic=false` skips it),
resampled to the model's rate. `--data` is an LJSpeech folder (`metadata.csv` +
`wavs/`) or any folder of audio files; files at another rate are resampled, multi-channel files
refused unless `--option multichannel=mix`. `predict` reads WAV/FLAC/OGG (resampled to the
model's rate) or a log-mel `.npy` `(frames, mels)`, and writes `<name>_apnet.wav`.
"""

import json
import pathlib

import numpy as np

from core.data.audio import read_audio, write_audio
from core.model_files import load_model_file
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import set_seed
from domains.speech import data as speech_data
from domains.speech.discriminator import (
    MPD_CHANNELS,
    MSD_CHANNELS,
    PERIODS,
    build_multi_period_discriminator,
    build_multi_scale_discriminator,
)
from domains.speech.evaluation import report
from domains.speech.features import FEATURE_CONFIGS
from domains.speech.generator import build_generator
from domains.speech.model import APNet
from domains.speech.training import train_apnet

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
    Option("batch_size", int, 16, "global batch size (or --batch-size; the paper: 16)"),
    Option("steps_per_epoch", int, 200, "steps per epoch (--epochs: epochs, default 10)"),
    Option("learning_rate", float, 2e-4, "initial AdamW rate, times 0.999 per epoch (the paper's)"),
    Option("minutes", float, None, "wall-time budget of the training"),
    Option("validation", float, 0.05, "fraction of the files held out for validation"),
    Option("test", float, 0.05, "fraction of the files held out for the test"),
    Option("multichannel", str, "refuse", "multi-channel files: refuse, mix (average) or first",
           choices=("refuse", "mix", "first")),
    Option("test_files", int, 12, "held-out files scored by evaluate/train (pyin and PESQ take seconds each)"),
    Option("baseline", bool, True, "score Griffin-Lim from the same mel beside the model"),
    Option("arctic", bool, True, "also score the CMU ARCTIC utterance (another speaker, 16 kHz)"),
    Option("preset", str, None, "predict/evaluate with a shipped preset instead of --model (also: --preset NAME)"),
)
# `demo` trains this small configuration briefly, to show that training runs.
DEMO_OPTIONS = {"channels": 32, "kernel_sizes": [3, 7, 11], "discriminator_scale": 0.125, "batch_size": 8,
                "steps_per_epoch": 20, "test_files": 4}
SMOKE_DEMO_OPTIONS = {"channels": 4, "kernel_sizes": [3], "discriminator_scale": 1 / 64, "periods": [2, 3],
                      "msd_scales": 1, "batch_size": 2, "steps_per_epoch": 2, "test_files": 1, "baseline": False}


def build_model(options):
    """An `APNet` from the task's options (the paper's at the defaults, with `features=16k`)."""
    config = FEATURE_CONFIGS[options["features"]]
    kernels = tuple(options["kernel_sizes"])
    generator = build_generator(config, channels=options["channels"], kernel_sizes=kernels,
                                dilations=((1, 3, 5),) * len(kernels))
    scale = options["discriminator_scale"]
    mpd = tuple(max(1, round(c * scale)) for c in MPD_CHANNELS)
    msd = tuple(max(16, 16 * round(c * scale / 16)) for c in MSD_CHANNELS)  # divisible by the groups
    discriminator = {"mpd": build_multi_period_discriminator(tuple(options["periods"]), mpd),
                     "msd": build_multi_scale_discriminator(options["msd_scales"], msd)}
    return APNet(generator, discriminator, feature_config=config, phase_wrapping=options["phase_wrapping"])


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


def _evaluate(model, split, config, name="APNet"):
    options = config.options
    test = split["test"][: options["test_files"]]
    results = {"test": report(model, test, config.output_dir / "test", f"{name}: held-out files",
                              baseline=options["baseline"], name=name)}
    if options["arctic"]:
        results["arctic"] = report(model, [speech_data.arctic_utterance()], config.output_dir / "arctic",
                                   f"{name}: CMU ARCTIC a0009 (another speaker, resampled)",
                                   baseline=options["baseline"], name=name)
    return results


def summary(results, name="APNet"):
    """Flat numbers of `_evaluate`'s reports: `<set>_<row>_<metric>`."""
    out = {}
    for key, result in results.items():
        for row, metrics in result["mean"].items():
            for metric in ("lsd_db", "mcd_db", "snr_db", "f0_rmse_hz", "vuv_error", "stoi", "pesq", "ip_error",
                           "gd_error", "iaf_error"):
                out[f"{key}_{row.lower().replace('-', '_').replace(' ', '_')}_{metric}"] = round(metrics[metric], 4)
        out[f"{key}_rtf"] = round(result["rtf"], 4)
    return out


@register_task
class APNetTask(TaskRunner):
    """APNet vocoder: log-mel → amplitude and phase spectra → waveform (copy synthesis of real speech)."""

    name = "speech.apnet"
    description = "APNet vocoder: amplitude + phase spectrum predictors and iSTFT (wav in, wav out)"
    samples = (speech_data.ASTERISK, speech_data.ARCTIC)
    saved_models = ("APNet",)
    options = OPTIONS

    def train(self, config):
        set_seed(config.seed)
        options = config.options
        split, source = _split(config)
        sample_rate = FEATURE_CONFIGS[options["features"]].sample_rate
        train = speech_data.load_waveforms(split["train"], sample_rate, options["multichannel"])
        val_waves = speech_data.load_waveforms(split["validation"], sample_rate, options["multichannel"])
        with config.scope():
            model = build_model(options)
            if config.model_path:
                model.set_weights(load_model_file(config.model_path, APNet).get_weights())
            val = speech_data.fixed_segments(val_waves, model.feature_config.segment_length, per_file=2)
            trained = train_apnet(model, train, val, config.output_dir,
                                  epochs=config.epochs if config.epochs is not None else 10,
                                  steps_per_epoch=options["steps_per_epoch"],
                                  batch_size=config.batch_size or options["batch_size"],
                                  learning_rate=options["learning_rate"],
                                  seconds=None if options["minutes"] is None else 60 * options["minutes"],
                                  seed=config.seed, verbose=config.verbose)
        results = _evaluate(model, split, config)
        split_json = config.output_dir / "split.json"
        split_json.write_text(json.dumps({k: [str(p) for p in v] for k, v in split.items()}, indent=2))
        return {"best_model": str(config.output_dir / "best.keras"), "generator": trained["generator"],
                "data": source, "train_files": len(split["train"]), "generator_parameters":
                int(model.generator.count_params()), "steps": trained["steps"],
                "segments_per_second": round(trained["segments_per_second"], 2), "best_epoch": trained["best_epoch"],
                "best_val_mel": trained["best_val_mel"], **summary(results), "split_json": str(split_json)}

    def _model(self, config):
        if config.options["preset"]:
            return APNet.from_preset(config.options["preset"])
        if not config.model_path:
            raise ValueError("Give a model: --model PATH (an APNet .keras) or --preset NAME")
        return load_model_file(config.model_path, APNet)

    def evaluate(self, config):
        model = self._model(config)
        if config.data:
            files, _ = _files(config)
            split = {"test": files}
        else:
            split, _ = _split(config)
        results = _evaluate(model, split, config)
        return {"model": str(config.model_path or config.options["preset"]), **summary(results)}

    def predict(self, config, inputs):
        model = self._model(config)
        feature_config = model.feature_config
        rows = []
        for path in map(pathlib.Path, inputs):
            if path.suffix.lower() == ".npy":
                mel = _read_mel(path, feature_config.num_mels)
                waveform = np.asarray(model.generator(mel[None], training=False)["waveform"])[0]
            else:
                waveform = model.vocode(read_audio(path, feature_config.sample_rate,
                                                   channels=config.options["multichannel"]))[0]
            out = write_audio(config.output_dir / f"{path.stem}_apnet.wav", waveform, feature_config.sample_rate)
            rows.append({"input": str(path), "output": str(out), "seconds": waveform.size / feature_config.sample_rate})
            if config.verbose:
                print(f"{path} -> {out} ({rows[-1]['seconds']:.2f} s at {feature_config.sample_rate} Hz)", flush=True)
        return {"files": len(rows), "outputs": ", ".join(r["output"] for r in rows)}

    def demo(self, config):
        """The shipped preset on held-out recordings beside Griffin-Lim, then a brief training run."""
        from domains.speech.presets import DEFAULT_PRESET, available_presets

        config.options = self.resolve_options(budget(DEMO_OPTIONS, smoke=SMOKE_DEMO_OPTIONS))
        config.epochs = config.epochs or 1
        row = {}
        if DEFAULT_PRESET in available_presets():
            split, _ = _split(config)
            test = split["test"][: config.options["test_files"]]
            scored = report(APNet.from_preset(DEFAULT_PRESET), test, config.output_dir / "preset",
                            "APNet preset", baseline=True)["mean"]
            def scores(name):
                return (f"LSD {scored[name]['lsd_db']:.2f} dB, STOI {scored[name]['stoi']:.3f}, "
                        f"PESQ {scored[name]['pesq']:.2f}")

            row["result"] = f"preset {DEFAULT_PRESET}: {scores('APNet')} on {len(test)} held-out recordings"
            row["baseline"] = f"Griffin-Lim (32 iterations) from the same mel: {scores('Griffin-Lim')}"
        trained = self.train(config)
        row["note"] = (f"also trained a {trained['generator_parameters']:,}-parameter APNet for {trained['steps']} "
                       f"steps ({trained['segments_per_second']:.1f} segments/s) to show training runs "
                       f"(test LSD {trained['test_apnet_lsd_db']:.2f} dB; not a trained model)")
        row.setdefault("result", row.pop("note"))
        return row


def _read_mel(path, num_mels):
    """A log-mel `(frames, mels)` from `.npy`, with a clear error naming the file."""
    try:
        mel = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: not a NumPy .npy log-mel (frames, {num_mels}). Received: {error}") from None
    if mel.ndim != 2 or mel.shape[1] != num_mels:
        raise ValueError(f"{path}: expected a log-mel of shape (frames, {num_mels}) for this model. "
                         f"Received: shape {mel.shape}")
    return mel.astype("float32")
