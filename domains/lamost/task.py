"""`lamost.rrnet` for the `resuite` CLI: train, evaluate, predict and demo.

    resuite train lamost.rrnet --output runs/rrnet                            # RRNet + StarNet, SYNTHETIC data
    resuite train lamost.rrnet --output runs/rrnet6 --option ensemble=6       # the paper's 6-member ensemble
    resuite train lamost.rrnet --output runs/ca --option labels=abundances    # the 14 [X/H] (CA family)
    resuite evaluate lamost.rrnet --model runs/rrnet/best.keras
    resuite predict lamost.rrnet --model runs/rrnet/best.keras med-58625-TD192102N424113K01_sp12-076.fits.gz
    resuite predict lamost.rrnet --preset rrnet_synthetic med-58625-TD192102N424113K01_sp12-076.fits.gz

Training and test spectra are SYNTHETIC (`domains.lamost.synthetic`): no labelled LAMOST spectra
can be had offline. `predict` reads real MRS files (`domains.lamost.io.read_mrs`) and prints each
label ± σ; give the stars' radial velocities with `--option rv=...` (km/s, e.g. the catalogue's
`rv_ku0`), else the spectra are taken as in the rest frame. `evaluate` and `train` also predict
the real DR7 files of the source tree (`tests/domains/lamost/fixtures`, when present) and compare
the scatter of the repeated epochs of one star with the predicted σ.

`resuite train lamost.rrnet --help` lists the options. `--epochs` defaults to 30, `--batch-size`
to 256 (the paper's).
"""

import csv
import json
import pathlib
import time

import keras

from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.tasks.gaussian import GaussianEnsemble, train_ensemble
from core.training import set_seed
from domains.lamost.evaluation import predict_files, report
from domains.lamost.model import FAMILIES, MODES, RRNet, StarNet
from domains.lamost.presets import DEFAULT_PRESET
from domains.lamost.synthetic import make_dataset
from domains.lamost.training import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE, NOISE_FROM_EPOCH, train_rrnet

# The real DR7 files shipped with the source tree (tests' fixtures); absent from an installed wheel.
REAL_FILES_DIR = pathlib.Path(__file__).resolve().parents[2] / "tests" / "domains" / "lamost" / "fixtures"
MRS_SUFFIXES = (".fits", ".fits.gz", ".fit", ".fit.gz")

OPTIONS = (
    Option("labels", str, "stellar", "label family: stellar (Teff, logg, [Fe/H]) or abundances (14 [X/H])",
           choices=tuple(FAMILIES)),
    Option("mode", str, "post-RNN", "where the recurrent module sits", choices=MODES),
    Option("widths", list, [4, 8, 16], "channels of the three residual stages"),
    Option("hidden_units", list, [256, 128], "dense layers before the Gaussian heads"),
    Option("n_train", int, 20000, "SYNTHETIC training spectra"),
    Option("n_val", int, 2000, "SYNTHETIC validation spectra (best epoch)"),
    Option("n_test", int, 2000, "SYNTHETIC test spectra"),
    Option("snr_min", float, 5.0, "lowest blue-arm S/N of the synthetic spectra"),
    Option("snr_max", float, 150.0, "highest blue-arm S/N of the synthetic spectra"),
    Option("baseline", bool, True, "also train StarNet on the same data and compare"),
    Option("ensemble", int, 1, "members of the deep ensemble (the paper: 6)"),
    Option("learning_rate", float, DEFAULT_LEARNING_RATE, "Adam's initial rate (x0.1 every 10 epochs)"),
    Option("noise_from_epoch", int, NOISE_FROM_EPOCH, "first epoch (from 0) with noise augmentation"),
    Option("rv", float, 0.0, "radial velocity [km/s] of the real spectra (predict, and the real files' check)"),
    Option("exposures", bool, False, "predict: each single exposure too, not only the co-add"),
    Option("real_files", str, None, "folder of real MRS files to predict after training/evaluation "
                                    "(default: the source tree's DR7 fixtures, if present)"),
    Option("preset", str, None, "a shipped preset (rrnet_synthetic) instead of --model: evaluate, predict, or "
                                "train on from it"),
)


SPLITS = ("train", "val", "test")


def synthetic_data(options, seed, splits=SPLITS):
    """SYNTHETIC sets as (x, y, snr), each split from its own seed (the same test set whatever is asked)."""
    labels = FAMILIES[options["labels"]]
    kwargs = dict(labels=labels, snr_range=(options["snr_min"], options["snr_max"]))
    return tuple(make_dataset(options[f"n_{split}"], seed=seed * 10 + SPLITS.index(split), **kwargs)
                 for split in splits)


def _real_files(options):
    folder = pathlib.Path(options["real_files"]) if options["real_files"] else REAL_FILES_DIR
    if options["real_files"] and not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (expected a folder of LAMOST MRS .fits.gz files)")
    return sorted(p for p in folder.glob("*") if p.name.endswith(MRS_SUFFIXES)) if folder.is_dir() else []


def _load(path):
    """An RRNet/StarNet `.keras` file, or an ensemble folder (`ensemble.json`)."""
    path = pathlib.Path(path)
    if path.is_dir():
        return GaussianEnsemble.load(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model (expected a saved RRNet/StarNet .keras or an ensemble folder)")
    model = keras.saving.load_model(path, compile=False)
    if not isinstance(model, (RRNet, StarNet)):
        raise ValueError(f"{path}: expected a saved RRNet or StarNet. Received: a {type(model).__name__}")
    return model


def _expand(inputs):
    paths = []
    for item in map(pathlib.Path, inputs):
        if item.is_dir():
            paths.extend(sorted(p for p in item.glob("*") if p.name.endswith(MRS_SUFFIXES)))
        else:
            paths.append(item)  # read_mrs names a missing or wrong file
    if not paths:
        raise ValueError(f"No MRS files in {[str(i) for i in inputs]}: expected med-*.fits.gz files or folders of them")
    return paths


def _constant_row(results):
    """The constant baseline's MAEs at S/N >= 10 from a `report` result."""
    constant = next(row for row in results["table"] if row["model"] == "constant (training mean)")
    maes = [f"{key.split()[0]} {value}" for key, value in constant.items() if key.endswith("MAE")]
    return "constant (training mean): " + ", ".join(maes)


def _format(row, label_names):
    units = {"Teff": " K"}
    return ", ".join(f"{name} {row[name]:.4g} ± {row[f'{name}_sigma']:.2g}{units.get(name, '')}"
                     for name in label_names)


@register_task
class RRNetTask(TaskRunner):
    """RRNet (and StarNet) for LAMOST MRS spectra: stellar labels with uncertainties."""

    name = "lamost.rrnet"
    description = "RRNet: LAMOST MRS spectra to Teff, logg, [Fe/H] or 14 abundances, each ± σ (SYNTHETIC training)"
    samples = ()
    options = OPTIONS

    def _build(self, cls, options):
        if cls is RRNet:
            return RRNet(labels=options["labels"], mode=options["mode"], widths=tuple(options["widths"]),
                         hidden_units=tuple(options["hidden_units"]), learning_rate=options["learning_rate"])
        return StarNet(labels=options["labels"], hidden_units=tuple(options["hidden_units"]),
                       learning_rate=options["learning_rate"])

    def _train_one(self, model, data, output_dir, config, seed, fit_statistics=True):
        train_rrnet(model, data[0][:2], data[1][:2], output_dir, epochs=config.epochs or DEFAULT_EPOCHS,
                    batch_size=config.batch_size or DEFAULT_BATCH_SIZE, learning_rate=config.options["learning_rate"],
                    noise_from_epoch=config.options["noise_from_epoch"], fit_statistics=fit_statistics,
                    seed=seed, verbose=config.verbose)

    def _model(self, config):
        """The model to evaluate or predict with: `--preset NAME` or `--model PATH`, and its name."""
        if config.options["preset"]:
            return RRNet.from_preset(config.options["preset"]), config.options["preset"]
        if not config.model_path:
            raise ValueError("Give a model: --model PATH (a saved RRNet/StarNet .keras, or an ensemble folder) "
                             "or --preset NAME")
        return _load(config.model_path), pathlib.Path(config.model_path).name

    def train(self, config):
        options = config.options
        set_seed(config.seed)
        data = synthetic_data(options, config.seed)
        start, models = time.time(), {}
        with config.scope():
            if options["ensemble"] > 1:
                def build(i):
                    return self._build(RRNet, options)

                def train_member(model, run_dir, seed):
                    self._train_one(model, data, run_dir, config, seed)

                ensemble = train_ensemble(build, train_member, options["ensemble"], config.output_dir / "ensemble",
                                          seed=config.seed)
                models[f"RRNet ensemble of {options['ensemble']}"] = ensemble
                models["RRNet (member 0)"] = ensemble.members[0]
            else:
                tuning = config.model_path is not None or options["preset"] is not None
                model = self._model(config)[0] if tuning else self._build(RRNet, options)
                self._train_one(model, data, config.output_dir, config, config.seed, fit_statistics=not tuning)
                models["RRNet"] = model
            if options["baseline"]:
                keras.backend.clear_session(free_memory=False)
                starnet = self._build(StarNet, options)
                self._train_one(starnet, data, config.output_dir / "starnet", config, config.seed)
                models["StarNet"] = starnet
        seconds = time.time() - start
        results = report(models, data[2], config.output_dir, f"{next(iter(models))}, SYNTHETIC test spectra",
                         constant=data[0][1].mean(axis=0), real_files=_real_files(options), rv=options["rv"])
        best = config.output_dir / ("ensemble" if options["ensemble"] > 1 else "best.keras")
        return {"model": str(best), "train_seconds": round(seconds, 1), **results}

    def evaluate(self, config):
        model, name = self._model(config)
        options = dict(config.options, labels=next(k for k, v in FAMILIES.items() if list(v) == model.label_names))
        test = synthetic_data(options, config.seed, splits=("test",))[0]
        return report({name: model}, test, config.output_dir, f"{name}, SYNTHETIC test spectra",
                      real_files=_real_files(config.options), rv=config.options["rv"])

    def predict(self, config, inputs):
        """Each label ± σ of real MRS files (co-adds; `exposures=true`: every exposure too) → `predictions.csv`."""
        model, _ = self._model(config)
        rows = predict_files(model, _expand(inputs), rv=config.options["rv"], exposures=config.options["exposures"])
        out = pathlib.Path(config.output_dir) / "predictions.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        results = {f"{row['file']} [{row['source']}]": _format(row, model.label_names) for row in rows}
        masked = sum(row["masked_pixels"] for row in rows)
        return {**results, "masked_pixels": f"{masked} masked pixels in {len(rows)} spectra (kept out of the input)",
                "rv_km_s": config.options["rv"], "predictions_csv": str(out)}

    def demo(self, config):
        """The preset on held-out SYNTHETIC spectra beside a constant, on the real files, then a brief training run."""
        from core.presets import list_presets

        rows = {}
        if DEFAULT_PRESET in list_presets("domains.lamost"):
            start = time.time()
            preset = RRNet.from_preset(DEFAULT_PRESET)
            options = self.resolve_options({"n_test": budget(500, smoke=32)})
            test = synthetic_data(options, config.seed + 1000, splits=("test",))[0]  # not the preset's test set
            scored = report({DEFAULT_PRESET: preset}, test, config.output_dir / "preset",
                            f"preset {DEFAULT_PRESET}, SYNTHETIC test spectra", constant=preset.target_mean,
                            real_files=_real_files(options))
            rows["result"] = (f"preset {DEFAULT_PRESET} on {len(test[1])} held-out SYNTHETIC spectra at S/N ≥ 10: "
                              f"Teff MAE {scored['Teff_mae_snr10']:.0f} K, logg {scored['logg_mae_snr10']:.2f}, "
                              f"[Fe/H] {scored['[Fe/H]_mae_snr10']:.2f} dex; ±1σ coverage (Teff) "
                              f"{scored['Teff_coverage_1sigma_snr10']:.0%}")
            rows["baseline"] = _constant_row(scored)
            real = json.loads(pathlib.Path(scored["report_json"]).read_text())["real_files"]
            for star in real["repeated_epochs"]:
                rows[f"real DR7: {star['designation']}, {star['epochs']} epochs"] = ", ".join(
                    f"{label} {star[label + '_mean']:.4g} ± {star[label + '_mean_sigma']:.2g} "
                    f"(scatter/σ {star[label + '_scatter_over_sigma']:.2f})" for label in preset.label_names)
            rows["preset seconds"] = f"{time.time() - start:.1f} s (load, {len(test[1])} spectra made, scored, plots)"
        config.options = self.resolve_options({
            "n_train": budget(512, smoke=48), "n_val": budget(128, smoke=16), "n_test": budget(256, smoke=32),
            "baseline": False, "hidden_units": budget([256, 128], smoke=[16]),
            "mode": budget("post-RNN", smoke="raw")})
        config.epochs = config.epochs or budget(2, smoke=1)
        config.batch_size = config.batch_size or budget(32, smoke=16)
        run = self.train(config)
        trained = (f"RRNet after {config.epochs} epoch(s) on {config.options['n_train']} SYNTHETIC spectra: "
                   f"Teff MAE {run['Teff_mae_snr10']:.0f} K, logg {run['logg_mae_snr10']:.2f} dex at S/N ≥ 10")
        rows.setdefault("result", trained)
        rows.setdefault("baseline", _constant_row(run))
        rows["note"] = f"then a brief training run to show training and evaluation: {trained}"
        return rows
