"""`fundus.dr` for the `resuite` CLI: train, evaluate, predict and demo.

    resuite train fundus.dr --output runs/dr                                   # SYNTHETIC photographs
    resuite train fundus.dr --data ~/eyepacs --option format=eyepacs --output runs/eyepacs
    resuite evaluate fundus.dr --model runs/dr/best.keras
    resuite predict fundus.dr --model runs/dr/best.keras photo.jpg photos/     # the gate first

Without `--data`, training and evaluation use the SYNTHETIC fundus generator (no multi-image
fundus set can be fetched here); `--data FOLDER --option format=NAME` reads a public set in its
own layout (`domains.fundus.data`). `predict` runs the gradeability gate on every photograph and
prints its reason instead of a probability for an ungradeable one.

`resuite train fundus.dr --help` lists the options. `--epochs` defaults to 30, `--batch-size` to 16.
"""

import csv
import pathlib
import time

import numpy as np

from core.data.files import expand_paths
from core.model_files import load_model_file
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import set_seed
from domains.fundus.data import FORMATS, apply_global_split, load_fundus, preprocessed_images, read_all, synthetic_data
from domains.fundus.evaluation import evaluate_classifier, load_released_predictions, report
from domains.fundus.gate import assess_gradeability
from domains.fundus.model import DRClassifier
from domains.fundus.preprocessing import DEFAULT_SIZE, GRAHAM_RADIUS, IMAGE_SUFFIXES, preprocess, read_fundus
from domains.fundus.training import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE, train_dr_classifier

SAMPLES = ("fundus.retina", "fundus.microaneurysms")
# `demo` trains this small configuration briefly, to show that training runs.
DEMO_OPTIONS = {"image_size": budget(128, smoke=64), "width": budget(16, smoke=8), "graham_radius": budget(64, smoke=32),
                "synthetic_train": budget(64, smoke=16), "synthetic_validation": budget(16, smoke=8),
                "synthetic_test": budget(32, smoke=16), "raw_size": budget(256, smoke=128),
                "n_bootstrap": budget(2000, smoke=50), "tta_samples": budget(8, smoke=2)}
DEFAULT_PRESET = "dr_synthetic_small"

OPTIONS = (
    Option("image_size", int, None, f"side of the model's input (default {DEFAULT_SIZE}, or the --model's)"),
    Option("num_classes", int, 2, "2: non-referable / referable (ICDR >= 2); 5: the ICDR grades", choices=(2, 5)),
    Option("depth", int, 18, "ResNet depth (the paper: 18)"),
    Option("width", int, 64, "first-stage width of the ResNet (64: the standard ResNet-18)"),
    Option("dropout", float, 0.0, "dropout before the head (> 0 allows uncertainty=mc_dropout)"),
    Option("graham_radius", int, GRAHAM_RADIUS, "radius of Graham's normalisation (300: TFDS btgraham-300)"),
    Option("weights", str, None, "backbone weights file (.weights.h5 or .keras); ImageNet cannot be downloaded"),
    Option("learning_rate", float, DEFAULT_LEARNING_RATE, "peak AdamW rate (cosine decay)"),
    Option("steps_per_epoch", int, None, "batches per epoch (default: one pass over the training split)"),
    Option("format", str, None, "layout of --data", choices=FORMATS),
    Option("split_file", str, None, "the paper's global_split.ini: --data then holds one folder per set (eyepacs/, ...)"),
    Option("synthetic_train", int, 160, "SYNTHETIC training photographs (without --data)"),
    Option("synthetic_validation", int, 40, "SYNTHETIC validation photographs (without --data)"),
    Option("synthetic_test", int, 80, "SYNTHETIC test photographs (without --data)"),
    Option("raw_size", int, 256, "side of the SYNTHETIC photographs before preprocessing"),
    Option("uncertainty", str, "tta", "per-image uncertainty for the referral curve",
           choices=("tta", "mc_dropout", "none")),
    Option("tta_samples", int, 8, "passes of the uncertainty method (at most 8 for tta)"),
    Option("n_bootstrap", int, 2000, "bootstrap replicates of the AUC's 95 % interval"),
    Option("threshold", float, 0.5, "P(referable) at or above which predict calls an image referable"),
    Option("preset", str, None, "evaluate/predict with a shipped preset instead of --model"),
    Option("released", str, None, "evaluate the paper's released predictions instead of a model (the fidelity check)",
           choices=("test", "validation")),
)


def _load_model(path):
    return load_model_file(path, DRClassifier)


def _data(config):
    options = config.options
    if config.data and options["split_file"]:
        root = pathlib.Path(config.data).expanduser()
        present = [name for name in FORMATS if (root / name).is_dir()]
        if not present:
            raise ValueError(f"{root}: with split_file, --data holds one folder per set, named {', '.join(FORMATS)}")
        return apply_global_split([read_all(root / name, name) for name in present], options["split_file"])
    if config.data:
        if not options["format"]:
            raise ValueError(f"--data needs its layout: --option format=NAME, one of {', '.join(FORMATS)}")
        return load_fundus(config.data, options["format"], seed=config.seed)
    return synthetic_data(options["synthetic_train"], options["synthetic_validation"], options["synthetic_test"],
                          raw_size=options["raw_size"], seed=config.seed)


def _expand_inputs(inputs):
    paths = expand_paths(inputs, IMAGE_SUFFIXES, "images")  # a missing file fails in read_fundus, naming it
    if not paths:
        raise ValueError("predict needs photographs: give image files or folders of them")
    return paths


@register_task
class DiabeticRetinopathyTask(TaskRunner):
    """Referable diabetic retinopathy from fundus photographs: ResNet-18, a gradeability gate, AUC with its interval."""

    name = "fundus.dr"
    description = "ResNet-18 for referable DR (ICDR >= 2) from fundus photographs; gate, AUC [95 % CI], referral"
    samples = SAMPLES
    options = OPTIONS
    saved_models = ("DRClassifier",)

    def _model(self, config):
        if config.options["preset"]:
            return DRClassifier.from_preset(config.options["preset"])
        if not config.model_path:
            raise ValueError("Give a model: --model PATH (a saved DRClassifier .keras) or --option preset=NAME")
        return _load_model(config.model_path)

    def _report(self, model, data, output_dir, title, config):
        options = config.options
        images = preprocessed_images(data.test, model.image_size, model.graham_radius)
        results = evaluate_classifier(model, images, data.test.labels, output_dir, title,
                                      filenames=data.test.filenames, uncertainty=options["uncertainty"],
                                      samples=options["tta_samples"], n_bootstrap=options["n_bootstrap"],
                                      seed=config.seed)
        results["data"] = data.source + (" — SYNTHETIC photographs" if data.synthetic else "")
        return results

    def train(self, config):
        set_seed(config.seed)
        options = config.options
        data = _data(config)
        with config.scope():
            if config.model_path:
                model = _load_model(config.model_path)
            else:
                model = DRClassifier(num_classes=options["num_classes"], image_size=options["image_size"] or DEFAULT_SIZE,
                                     depth=options["depth"], width=options["width"], dropout=options["dropout"],
                                     graham_radius=options["graham_radius"], weights=options["weights"])
            start = time.time()
            train_dr_classifier(model, data, config.output_dir, epochs=config.epochs or DEFAULT_EPOCHS,
                                batch_size=config.batch_size or DEFAULT_BATCH_SIZE,
                                learning_rate=options["learning_rate"], steps_per_epoch=options["steps_per_epoch"],
                                seed=config.seed, verbose=config.verbose)
            seconds = time.time() - start
        title = f"ResNet-{model.depth} (width {model.width}), {model.image_size} px"
        return {"best_model": str(config.output_dir / "best.keras"), "train_seconds": round(seconds, 1),
                **self._report(model, data, config.output_dir, title, config)}

    def evaluate(self, config):
        if config.options["released"]:  # the paper's own predictions: no model needed
            released = load_released_predictions(config.options["released"])
            return report(released.labels, released.probabilities, config.output_dir,
                          f"Castilla et al. 2022, released {config.options['released']} predictions",
                          filenames=released.filenames, n_bootstrap=config.options["n_bootstrap"], seed=config.seed)
        model = self._model(config)
        title = config.options["preset"] or pathlib.Path(config.model_path).name
        return self._report(model, _data(config), config.output_dir, title, config)

    def predict(self, config, inputs):
        """The gate, then P(referable) and its uncertainty, per photograph → `predictions.csv`."""
        model = self._model(config)
        options = config.options
        # Read (and check) every photograph before predicting anything.
        photographs = [(path, read_fundus(path)) for path in _expand_inputs(inputs)]
        rows, ungradeable = [], {}
        for path, image in photographs:
            verdict = assess_gradeability(image)
            row = {"file": str(path), "gradeable": verdict.gradeable, "gate_score": round(verdict.score, 3),
                   "reason": "; ".join(verdict.reasons), "p_referable": "", "uncertainty": "", "referable": ""}
            if verdict.gradeable:
                x = np.asarray(preprocess(image, model.image_size, radius=model.graham_radius))[np.newaxis]
                if options["uncertainty"] == "none":
                    p, spread = model.referable_probability(x), [float("nan")]
                else:
                    p, spread = model.predict_with_uncertainty(x, method=options["uncertainty"],
                                                               samples=options["tta_samples"], seed=config.seed)
                row.update(p_referable=f"{float(p[0]):.4f}", uncertainty=f"{float(spread[0]):.4f}",
                           referable=int(p[0] >= options["threshold"]))
            else:
                ungradeable[str(path)] = verdict.describe()
            rows.append(row)
        out = pathlib.Path(config.output_dir) / "predictions.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        results = {"images": len(rows), "gradeable": len(rows) - len(ungradeable), "predictions_csv": str(out)}
        if ungradeable:
            results["ungradeable (no DR probability shown)"] = ungradeable
        results["probabilities"] = {row["file"]: row["p_referable"] for row in rows if row["gradeable"]}
        return results

    def demo(self, config):
        """The preset on held-out SYNTHETIC drawings beside chance, the real photograph through gate and model, then a brief training run."""
        from core.data import samples
        from core.presets import list_presets

        real = read_fundus(samples.fetch("fundus.retina", verbose=False))
        verdict = assess_gradeability(real)
        rows = {}
        if DEFAULT_PRESET in list_presets("domains.fundus"):
            preset = DRClassifier.from_preset(DEFAULT_PRESET)
            config.options = self.resolve_options({"synthetic_train": 0, "synthetic_validation": 0,
                                                   "synthetic_test": budget(200, smoke=16),
                                                   "n_bootstrap": DEMO_OPTIONS["n_bootstrap"],
                                                   "tta_samples": DEMO_OPTIONS["tta_samples"]})
            scored = self._report(preset, _data(config), config.output_dir / "preset", f"preset {DEFAULT_PRESET}", config)
            x = np.asarray(preprocess(real, preset.image_size, radius=preset.graham_radius))[np.newaxis]
            p, spread = preset.predict_with_uncertainty(x, samples=DEMO_OPTIONS["tta_samples"])
            rows["result"] = (f"preset {DEFAULT_PRESET}: AUC {scored['auc']:.3f} [{scored['auc_ci'][0]:.3f}, "
                              f"{scored['auc_ci'][1]:.3f}] on {scored['n_test']} held-out SYNTHETIC drawings")
            rows["baseline"] = "chance: AUC 0.500"
            rows["real photograph (skimage retina)"] = (f"gate: {verdict.describe()}; P(referable) {p[0]:.2f} "
                                                        f"± {spread[0]:.2f} (a model trained on drawings)")
        else:
            rows["real photograph (skimage retina)"] = f"gate: {verdict.describe()}"
        config.options = self.resolve_options(DEMO_OPTIONS)
        config.epochs = config.epochs or 1
        trained = self.train(config)
        rows.setdefault("result", f"SYNTHETIC test AUC {trained['auc']:.3f} after {config.epochs} epoch(s)")
        rows.setdefault("baseline", "chance: AUC 0.500")
        rows["note"] = (f"then trained a narrow ResNet-18 for {config.epochs} epoch(s) on SYNTHETIC drawings "
                        "to show training runs (not scored)")
        return rows
