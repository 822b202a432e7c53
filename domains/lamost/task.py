"""`lamost.rrnet` for the `resuite` CLI: train, evaluate, predict and demo.

    resuite train lamost.rrnet --output runs/rrnet                            # RRNet + StarNet, SYNTHETIC data
    resuite train lamost.rrnet --output runs/rrnet6 --option ensemble=6       # the paper's 6-member ensemble
    resuite train lamost.rrnet --output runs/ca --option labels=abundances    # the 14 [X/H] (CA family)
    resuite evaluate lamost.rrnet --model runs/rrnet/best.keras
    resuite evaluate lamost.rrnet --preset rrnet_synthetic --option n_test=1000   # the preset's stored score
    resuite evaluate lamost.rrnet --preset rrnet_ges --option n_test=1000   # on its own line model (lines=ges)
    resuite predict lamost.rrnet --model runs/rrnet/best.keras med-58625-TD192102N424113K01_sp12-076.fits.gz
    resuite predict lamost.rrnet --preset rrnet_synthetic med-58625-TD192102N424113K01_sp12-076.fits.gz
    resuite train lamost.rrnet --output runs/noise --option noise_input=true --option lines=ges   # σ from IVAR, physical lines

Training and test spectra are SYNTHETIC (`domains.lamost.data.synthetic_splits`): no labelled
LAMOST spectra can be had offline. `predict` reads real MRS files (`domains.lamost.data.read_mrs`)
and prints each label ± σ at each spectrum's radial velocity, measured from its two arms
(`domains.lamost.rv`; `--option rv=...` gives it instead, km/s, e.g. the catalogue's `rv_ku0`),
with a flag for a spectrum below the S/N floor (`--option snr_floor=5`), whose arms disagree, or (with
a shipped `--preset`, or `--option ood=FILE`) unlike the training spectra (`domains.lamost.ood`). `evaluate` and `train`
also predict real files (the five DR7 files shipped in the package, `domains.lamost.data.SPECTRA_DIR`,
or `--option real_files=FOLDER`) and compare the scatter of the repeated epochs of one star with
the predicted σ. With `--preset`, the synthetic spectra follow the line model the preset was
trained on (`--option lines=` to choose another). `--model` takes a saved RRNet or StarNet `.keras`, or an ensemble folder.

`resuite train lamost.rrnet --help` lists the options. `--epochs` defaults to 30, `--batch-size`
to 256 (the paper's: `domains.lamost.training`).
"""

import pathlib
import re
import tempfile
import time

import keras

from core.evaluation import save_predictions
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.tasks.gaussian import GaussianEnsemble, train_ensemble
from core.training import set_seed
from domains.lamost.calibration import SNRCalibration
from domains.lamost.data import mrs_files, synthetic_splits
from domains.lamost.evaluation import CONSTANT, SNR_FLOOR, float16_check, predict_files, report
from domains.lamost.model import FAMILIES, MODES, RRNet, StarNet, inputs_for, uses_noise
from domains.lamost.ood import OOD_FILES, OODScore
from domains.lamost.synthetic import LINE_MODELS
from domains.lamost.presets import DEFAULT_PRESET, FLOAT16_FROM, RECIPES
from domains.lamost.training import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE, NOISE_FROM_EPOCH, train_rrnet

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
    Option("baseline", bool, True, "also train StarNet on the same data and report it beside RRNet"),
    Option("noise_input", bool, False, "RRNet reads the per-pixel noise σ (from IVAR) as a third channel "
                                       "(not the paper's; evaluate/predict take it from the model)"),
    Option("lines", str, None, "line model of the SYNTHETIC spectra: illustrative or ges (Gaia-ESO list, Voigt "
                               "profiles, LTE strengths); default: with --preset, the one it was trained on "
                               "(rrnet_ges: ges), else illustrative", choices=LINE_MODELS),
    Option("ensemble", int, 1, "members of the deep ensemble (the paper: 6)"),
    Option("learning_rate", float, DEFAULT_LEARNING_RATE, "Adam's initial rate (x0.1 every 10 epochs)"),
    Option("noise_from_epoch", int, NOISE_FROM_EPOCH, "first epoch (from 0) with noise augmentation"),
    Option("rv", float, None, "radial velocity [km/s] of the real spectra (predict, and the real files' check); "
                              "default: measured from each spectrum (cross-correlation of both arms)"),
    Option("snr_floor", float, SNR_FLOOR, "predict: flag spectra whose blue-arm S/N is below this"),
    Option("snr_calibration", str, None, "predict: JSON of σ scales per S/N bin (scripts/lamost_snr_calibration.py)"),
    Option("exposures", bool, False, "predict: each single exposure too, not only the co-add"),
    Option("ood", str, "auto", "predict: out-of-distribution score file (scripts/lamost_ood.py); auto: the shipped "
                               "one of the --preset (rrnet_synthetic, rrnet_ges), else none; none: no OOD flag"),
    Option("real_files", str, None, "folder of real MRS files to predict after training/evaluation "
                                    "(default: the five DR7 files shipped in the package)"),
)


def line_model(options, preset=None):
    """The generator's line model: `--option lines=`, else the preset's recipe's, else "illustrative".

    Example:
    ```python
    line_model({"lines": None}, "rrnet_ges"), line_model({}, "rrnet_synthetic")   # ("ges", "illustrative")
    ```
    """
    if options.get("lines"):
        return options["lines"]
    recipe = RECIPES.get(preset)
    return recipe.options.get("lines", "illustrative") if recipe is not None else "illustrative"


def synthetic_data(options, seed, splits=("train", "val", "test"), preset=None):
    """The task's SYNTHETIC sets (x, y, snr) from its options (`domains.lamost.data.synthetic_splits`).

    `preset`: the preset the sets are for, whose line model they take unless `lines` is given.
    """
    sizes = {split: options[f"n_{split}"] for split in splits}
    return synthetic_splits(sizes, seed, options["labels"], (options["snr_min"], options["snr_max"]), splits,
                            noise=options.get("noise_input", False), lines=line_model(options, preset))


def _real_files(options):
    folder = options["real_files"]
    if folder and not pathlib.Path(folder).is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (expected a folder of LAMOST MRS .fits.gz files). "
                                f"Received: real_files={folder!r}")
    try:
        return mrs_files(folder)
    except ValueError:
        return []  # an empty folder: no real file to predict


def _ood(option, preset):
    """The OOD score of `--option ood=`: a file, "none", or "auto" (the shipped one of the preset, if any)."""
    if option in (None, "", "none"):
        return None
    if option == "auto":
        path = OOD_FILES.get(preset)
        return OODScore.load(path) if path is not None and path.exists() else None
    return OODScore.load(option)


def _slug(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _constant_row(result):
    """The constant baseline's MAEs at S/N >= 10 from a `report` result."""
    maes = [f"{label} {values['mae']:.3g}" for label, values in result["baselines"][CONSTANT].items()]
    return f"{CONSTANT}: " + ", ".join(maes)


def _format(row, label_names):
    units = {"Teff": " K"}
    return ", ".join(f"{name} {row[name]:.4g} ± {row[f'{name}_sigma']:.2g}{units.get(name, '')}"
                     for name in label_names)


@register_task
class RRNetTask(TaskRunner):
    """RRNet (and StarNet) for LAMOST MRS spectra: stellar labels with uncertainties.

    Example:
    ```python
    from core.registry import RunConfig, get_task
    task = get_task("lamost.rrnet")
    result = task.evaluate(RunConfig(output_dir=pathlib.Path("runs/ev"), preset="rrnet_synthetic",
                                     options={"n_test": 200}))
    result["metrics"]["Teff"]["mae"], result["baselines"]["constant (training mean)"]["Teff"]["mae"]
    ```
    """

    name = "lamost.rrnet"
    description = "RRNet: LAMOST MRS spectra to Teff, logg, [Fe/H] or 14 abundances, each ± σ (SYNTHETIC training)"
    samples = ()
    model_class = RRNet
    epochs = DEFAULT_EPOCHS
    batch_size = DEFAULT_BATCH_SIZE
    inputs = ("model", "preset")
    cpu_kernels = "onednn"  # 2.3–3x Eigen's speed on AVX2 (issue #29) and AVX-512 (bench/results/engines.json)
    options = OPTIONS
    saved_models = ()  # an RRNet, a StarNet or an ensemble folder: `load_model` checks what it is given

    def _build(self, cls, options):
        if cls is RRNet:
            return RRNet(labels=options["labels"], mode=options["mode"], widths=tuple(options["widths"]),
                         hidden_units=tuple(options["hidden_units"]), learning_rate=options["learning_rate"],
                         noise_input=options["noise_input"])
        return StarNet(labels=options["labels"], hidden_units=tuple(options["hidden_units"]),
                       learning_rate=options["learning_rate"])

    def _train_one(self, model, data, output_dir, config, seed, fit_statistics=True):
        train, validation = ((inputs_for(model, split[0]), split[1]) for split in data[:2])
        train_rrnet(model, train, validation, output_dir, epochs=config.epochs, batch_size=config.batch_size,
                    learning_rate=config.options["learning_rate"], noise_from_epoch=config.options["noise_from_epoch"],
                    fit_statistics=fit_statistics, seed=seed, verbose=config.verbose)

    def load_model(self, config):
        """`--preset NAME` (an RRNet), or `--model PATH`: a saved RRNet or StarNet `.keras`, or an ensemble folder.

        Args:
            config: RunConfig with `preset` or `model_path`.

        Raises:
            ValueError: neither given, or a file holding another model.
            FileNotFoundError: no such file or folder.

        Example:
        ```python
        model = get_task("lamost.rrnet").load_model(RunConfig(output_dir=pathlib.Path("runs"), preset="rrnet_synthetic"))
        ```
        """
        if config.preset or not config.model_path:
            return super().load_model(config)
        path = pathlib.Path(config.model_path)
        if path.is_dir():
            return GaussianEnsemble.load(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such model (expected a saved RRNet/StarNet .keras or an ensemble "
                                    f"folder). Received: --model {path}")
        model = keras.saving.load_model(path, compile=False)
        if not isinstance(model, (RRNet, StarNet)):
            raise ValueError(f"{path}: expected a saved RRNet or StarNet. Received: a {type(model).__name__}")
        return model

    def train(self, config):
        options = config.options
        set_seed(config.seed)
        data = synthetic_data(options, config.seed, preset=config.preset)   # a preset tuned on its own line model
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
                tuning = config.model_path is not None or config.preset is not None
                model = self.load_model(config) if tuning else self._build(RRNet, options)
                self._train_one(model, data, config.output_dir, config, config.seed, fit_statistics=not tuning)
                models["RRNet"] = model
            if options["baseline"]:
                keras.backend.clear_session(free_memory=False)
                starnet = self._build(StarNet, options)
                self._train_one(starnet, data, config.output_dir / "starnet", config, config.seed)
                models["StarNet"] = starnet
        seconds = time.time() - start
        constant = data[0][1].mean(axis=0)
        (headline, model), *others = models.items()
        result = report(model, data[2], config.output_dir, f"{headline}, SYNTHETIC test spectra", name=headline,
                        constant=constant, real_files=_real_files(options), rv=options["rv"])
        compared = {}
        for name, other in others:   # one report per model, beside the headline's
            scored = report(other, data[2], config.output_dir / "reports" / _slug(name),
                            f"{name}, SYNTHETIC test spectra", name=name, constant=constant)
            compared[name] = {"metrics": scored["metrics"], "report_json": scored["report_json"]}
        best = config.output_dir / ("ensemble" if options["ensemble"] > 1 else "best.keras")
        return {"best_model": str(best), "train_seconds": round(seconds, 1), **result, "other_models": compared}

    def preset_from_results(self, config, results):
        """Record the trained RRNet's float32 numbers and the float16 storage check.

        Returns (model, metadata): metadata "metrics" holds the float32 model's scores on the run's
        SYNTHETIC test spectra at S/N ≥ 10, the real DR7 repeated epochs' scatter/σ and
        `float16_check` on those test spectra (raising if the float16 storage moves an MAE).
        """
        model = keras.saving.load_model(results["best_model"], compile=False)
        test = synthetic_data(config.options, config.seed, splits=("test",))[0]
        real = {f"{star['designation']} {label} scatter/σ": round(star[f"{label}_scatter_over_sigma"], 2)
                for star in results["details"]["real_files"].get("repeated_epochs", []) for label in model.label_names}
        with tempfile.TemporaryDirectory(prefix="lamost-float16-") as folder:
            check = float16_check(model, test, folder, FLOAT16_FROM)
        return model, {"metrics": {"synthetic_test_snr10": results["metrics"], "real_dr7_repeated_epochs": real,
                                   "float16_check": check},
                       "train_seconds": results["train_seconds"]}

    def evaluate(self, config):
        """The model on the SYNTHETIC test spectra of `--seed` beside the constant, and on the real files."""
        model = self.load_model(config)
        name = config.preset or pathlib.Path(config.model_path).name
        options = dict(config.options, labels=next(k for k, v in FAMILIES.items() if list(v) == model.label_names),
                       noise_input=uses_noise(model))
        test = synthetic_data(options, config.seed, splits=("test",), preset=config.preset)[0]
        return report(model, test, config.output_dir, f"{name}, {len(test[1])} SYNTHETIC test spectra", name=name,
                      real_files=_real_files(config.options), rv=config.options["rv"])

    def predict(self, config, inputs):
        """Each label ± σ of real MRS files (co-adds; `exposures=true`: every exposure too) → `predictions.csv`."""
        model = self.load_model(config)
        calibration = config.options["snr_calibration"]
        calibration = SNRCalibration.load(calibration) if calibration else None
        rows = predict_files(model, mrs_files(inputs), rv=config.options["rv"], exposures=config.options["exposures"],
                             snr_floor=config.options["snr_floor"], calibration=calibration,
                             ood=_ood(config.options["ood"], config.preset))
        out = save_predictions(rows, config.output_dir)
        results = {}
        for row in rows:
            rv = (f"RV {row['rv']:.1f} ± {row['rv_error']:.1f} km/s (measured)" if row["rv_source"] == "measured"
                  else f"RV {row['rv']:.1f} km/s (given)")
            flag = f"; FLAGGED: {row['flag']}" if row["flag"] else ""
            results[f"{row['file']} [{row['source']}]"] = f"{_format(row, model.label_names)}; S/N {row['snr']:.1f}; {rv}{flag}"
        masked = sum(row["masked_pixels"] for row in rows)
        flagged = sum(bool(row["flag"]) for row in rows)
        return {**results, "masked_pixels": f"{masked} masked pixels in {len(rows)} spectra (kept out of the input)",
                "flagged": f"{flagged} of {len(rows)} spectra flagged (see the flag column)",
                "predictions_csv": str(out)}

    def demo(self, config):
        """The preset on held-out SYNTHETIC spectra beside a constant, on the real files, then a brief training run."""
        rows = {}
        if DEFAULT_PRESET in RRNet.presets():
            start = time.time()
            preset = RRNet.from_preset(DEFAULT_PRESET)
            options = self.resolve_options({"n_test": budget(500, smoke=32)})
            # not the preset's test set; its line model
            test = synthetic_data(options, config.seed + 1000, splits=("test",), preset=DEFAULT_PRESET)[0]
            scored = report(preset, test, config.output_dir / "preset", f"preset {DEFAULT_PRESET}, SYNTHETIC test spectra",
                            name=DEFAULT_PRESET, real_files=_real_files(options))
            metrics = scored["metrics"]
            rows["result"] = (f"preset {DEFAULT_PRESET} on {len(test[1])} held-out SYNTHETIC spectra at S/N ≥ 10: "
                              f"Teff MAE {metrics['Teff']['mae']:.0f} K, logg {metrics['logg']['mae']:.2f}, "
                              f"[Fe/H] {metrics['[Fe/H]']['mae']:.2f} dex; ±1σ coverage (Teff) "
                              f"{metrics['Teff']['coverage_1sigma']:.0%}")
            rows["baseline"] = _constant_row(scored)
            for star in scored["details"]["real_files"]["repeated_epochs"]:
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
        metrics = run["metrics"]
        trained = (f"RRNet after {config.epochs} epoch(s) on {config.options['n_train']} SYNTHETIC spectra: "
                   f"Teff MAE {metrics['Teff']['mae']:.0f} K, logg {metrics['logg']['mae']:.2f} dex at S/N ≥ 10")
        rows.setdefault("result", trained)
        rows.setdefault("baseline", _constant_row(run))
        rows["note"] = f"then a brief training run to show training and evaluation: {trained}"
        return rows
