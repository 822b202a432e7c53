"""`fundus.dr` for the `resuite` CLI: train, evaluate, predict and demo.

    resuite train fundus.dr --output runs/dr                                   # SYNTHETIC photographs
    resuite train fundus.dr --data ~/eyepacs --option format=eyepacs --output runs/eyepacs
    resuite evaluate fundus.dr --model runs/dr/best.keras
    resuite evaluate fundus.dr --preset dr_synthetic_small --option synthetic_test=200   # its stored score
    resuite evaluate fundus.dr --option released=test                          # the paper's predictions
    resuite predict fundus.dr --model runs/dr/best.keras photo.jpg photos/     # the gate first
    resuite predict fundus.dr --preset dr_synthetic_small --option gradcam=true photo.jpg   # + Grad-CAM overlays

Without `--data`, training and evaluation use the SYNTHETIC fundus generator (no multi-image
fundus set can be fetched here); `--data FOLDER --option format=NAME` reads a public set in its
own layout (`domains.fundus.data`). `predict` runs the gate on every photograph (a fundus
photograph? good enough to grade, at the model's input size?) and prints one row per file: the
verdict, P(referable) ± its uncertainty for a gradeable one, the reason otherwise; with
`--option gradcam=true` it writes each gradeable photograph's Grad-CAM overlay (the heat inside
the eye, on the photograph) to `gradcam/`. `evaluate` returns the
report of `domains.fundus.evaluation` (AUC with its 95 % interval, screening figures, ECE, beside
chance); with `--option released=test|validation` it scores the paper's released predictions
and needs no model.

`resuite train fundus.dr --help` lists the options and the defaults of `--epochs` (30) and
`--batch-size` (16), the training recipe's (`domains.fundus.training`).
"""

import pathlib
import time

import numpy as np

from core.data.files import expand_paths
from core.evaluation import save_predictions
from core.model_files import load_model_file
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import set_seed
from domains.fundus.data import FORMATS, apply_global_split, load_fundus, read_all, synthetic_data
from domains.fundus.evaluation import CHANCE, load_released_predictions, report, report_predictions
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
    Option("gradcam", bool, False, "predict: also write each gradeable photograph's Grad-CAM overlay "
                                   "(gradcam/<name>.png: the heat inside the eye, on the photograph)"),
    Option("released", str, None, "evaluate the paper's released predictions instead of a model (the fidelity check)",
           choices=("test", "validation")),
)


def _data(config, test_only=False):
    """The data of a run: `--data` in its layout, or SYNTHETIC drawings (only the test split when `test_only`)."""
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
    # Each split has its own seed (seed, seed + 1, seed + 2): the test drawings do not depend on
    # how many training drawings there are, so an evaluation makes only those.
    return synthetic_data(0 if test_only else options["synthetic_train"],
                          0 if test_only else options["synthetic_validation"], options["synthetic_test"],
                          raw_size=options["raw_size"], seed=config.seed)


def _expand_inputs(inputs):
    paths = expand_paths(inputs, IMAGE_SUFFIXES, "images")  # a missing file fails in read_fundus, naming it
    if not paths:
        raise ValueError("predict needs photographs: give image files or folders of them")
    return paths


def _describe(data):
    return data.source + (" — SYNTHETIC photographs" if data.synthetic else "")


@register_task
class DiabeticRetinopathyTask(TaskRunner):
    """Referable diabetic retinopathy from fundus photographs: ResNet-18, a gradeability gate, AUC with its interval.

    Example:
    ```python
    from core.registry import RunConfig, get_task
    task = get_task("fundus.dr")
    result = task.evaluate(RunConfig(output_dir="runs/dr", preset="dr_synthetic_small",
                                     options={"synthetic_test": 200}))
    result["metrics"]["auc"], result["baselines"]["chance"]["auc"]   # 0.995, 0.5
    ```
    """

    name = "fundus.dr"
    description = "ResNet-18 for referable DR (ICDR >= 2) from fundus photographs; gate, AUC [95 % CI], referral"
    samples = SAMPLES
    model_class = DRClassifier
    epochs = DEFAULT_EPOCHS
    batch_size = DEFAULT_BATCH_SIZE
    inputs = ("data", "model", "preset")
    options = OPTIONS

    def _report(self, model, data, output_dir, title, config):
        options = config.options
        return report(model, data, output_dir, title, uncertainty=options["uncertainty"],
                      samples=options["tta_samples"], n_bootstrap=options["n_bootstrap"], seed=config.seed)

    def train(self, config):
        """Train a `DRClassifier` (or fine-tune `--model`/`--preset`) and score it on the test split.

        Args:
            config: RunConfig. `--data` (else SYNTHETIC drawings), `--model`/`--preset` to start
                from, epochs, batch size, seed and the task's options.

        Returns:
            dict: the test split's `evaluation.report` (metrics beside chance, figures, details)
            with "best_model" (the `.keras` path) and "train_seconds".
        """
        set_seed(config.seed)
        options = config.options
        data = _data(config)
        with config.scope():
            if config.model_path or config.preset:
                model = self.load_model(config)
            else:
                model = DRClassifier(num_classes=options["num_classes"],
                                     image_size=options["image_size"] or DEFAULT_SIZE, depth=options["depth"],
                                     width=options["width"], dropout=options["dropout"],
                                     graham_radius=options["graham_radius"], weights=options["weights"])
            start = time.time()
            train_dr_classifier(model, data, config.output_dir, epochs=config.epochs, batch_size=config.batch_size,
                                learning_rate=options["learning_rate"], steps_per_epoch=options["steps_per_epoch"],
                                seed=config.seed, verbose=config.verbose)
            seconds = time.time() - start
        title = (f"ResNet-{model.depth} (width {model.width}), {model.image_size} px, on {len(data.test)} test "
                 f"photographs of {_describe(data)}")
        return {**self._report(model, data, config.output_dir, title, config),
                "best_model": str(config.output_dir / "best.keras"), "train_seconds": round(seconds, 1)}

    def preset_from_results(self, config, results):
        """Record the data, the training time and the training run's test metrics beside the preset.

        Args:
            config: RunConfig of the recipe's training run (`core.presets.make_preset`).
            results: dict. What `train` returned.

        Returns:
            (DRClassifier, dict): the best model and {"data", "training": {"train_seconds",
            "test_metrics"}}.
        """
        model = load_model_file(results["best_model"], DRClassifier)
        return model, {"data": results["details"]["data"],
                       "training": {"train_seconds": results["train_seconds"], "test_metrics": results["metrics"]}}

    def evaluate(self, config):
        """The report of a model (`--model`, `--preset`) on the test split, or of the paper's released predictions.

        Args:
            config: RunConfig. `--model` or `--preset`, `--data` (else the SYNTHETIC test drawings of
                `config.seed`, made alone); or `released=test|validation` and neither model flag.

        Returns:
            dict: `evaluation.report` / `evaluation.report_predictions` (metrics beside chance).

        Raises:
            ValueError: no model (without `released`), or a model given with `released`.
        """
        options = config.options
        if options["released"]:  # the paper's own predictions: no model
            if config.model_path or config.preset:
                raise ValueError("released=... scores the paper's released predictions, not a model: give no --model "
                                 f"or --preset. Received: --model {config.model_path} --preset {config.preset}")
            released = load_released_predictions(options["released"])
            return report_predictions(released.labels, released.probabilities, config.output_dir,
                                      f"Castilla et al. 2022, released {options['released']} predictions "
                                      f"({len(released.labels)} images)", filenames=released.filenames,
                                      n_bootstrap=options["n_bootstrap"], seed=config.seed)
        model = self.load_model(config)
        data = _data(config, test_only=True)
        name = config.preset and f"preset {config.preset}" or pathlib.Path(config.model_path).name
        return self._report(model, data, config.output_dir,
                            f"{name} on {len(data.test)} test photographs of {_describe(data)}", config)

    def predict(self, config, inputs):
        """The gate, then P(referable) ± its uncertainty, per photograph → `predictions.csv` and a table.

        Args:
            config: RunConfig. `--model` or `--preset`; options `uncertainty`, `tta_samples`,
                `threshold`, `gradcam` (an overlay PNG per gradeable photograph).
            inputs: list of image files or folders.

        Returns:
            dict: "images", "gradeable", "predictions_csv", and "photographs": one row per file
            (file, verdict: "gradeable" or what the gate found, P(referable) ± σ, reason), which
            the CLI prints as a table.
        """
        from domains.fundus.evaluation import save_gradcam

        model = self.load_model(config)
        options = config.options
        # Read (and check) every photograph before predicting anything.
        photographs = [(path, read_fundus(path)) for path in _expand_inputs(inputs)]
        rows, table = [], []
        names = _unique_stems([path for path, _ in photographs])
        for (path, image), name in zip(photographs, names):
            verdict = assess_gradeability(image, model.image_size)
            row = {"file": str(path), "verdict": verdict.verdict, "gradeable": verdict.gradeable,
                   "gate_score": round(verdict.score, 3), "reason": "; ".join(verdict.reasons), "p_referable": "",
                   "uncertainty": "", "referable": "", "gradcam": ""}
            shown = "— (not graded)"
            if verdict.gradeable:
                x = np.asarray(preprocess(image, model.image_size, radius=model.graham_radius))[np.newaxis]
                if options["uncertainty"] == "none":
                    p, spread = model.referable_probability(x), [float("nan")]
                else:
                    p, spread = model.predict_with_uncertainty(x, method=options["uncertainty"],
                                                               samples=options["tta_samples"], seed=config.seed)
                row.update(p_referable=f"{float(p[0]):.4f}", uncertainty=f"{float(spread[0]):.4f}",
                           referable=int(p[0] >= options["threshold"]))
                shown = f"{float(p[0]):.3f} ± {float(spread[0]):.3f}" if np.isfinite(spread[0]) else f"{float(p[0]):.3f}"
                if options["gradcam"]:
                    overlay = config.output_dir / "gradcam" / f"{name}.png"
                    save_gradcam(model, image, overlay, title=f"{path.name}: Grad-CAM", probability=float(p[0]))
                    row["gradcam"] = str(overlay)
            rows.append(row)
            table.append({"file": str(path), "verdict": verdict.verdict, "P(referable) ± σ": shown,
                          "reason": row["reason"]})
        out = save_predictions(rows, config.output_dir)
        gradeable = sum(row["gradeable"] for row in rows)
        results = {"images": len(rows), "gradeable": gradeable, "predictions_csv": str(out), "photographs": table}
        if options["gradcam"] and gradeable:
            results["gradcam_overlays"] = str(config.output_dir / "gradcam")
        return results

    def demo(self, config):
        """The preset on held-out SYNTHETIC drawings beside chance, the real photographs through the gate (and the
        retina through the model, with its Grad-CAM overlay), then a brief training run."""
        from PIL import Image

        from core.data import samples

        from domains.fundus.evaluation import save_gradcam

        real = read_fundus(samples.fetch("fundus.retina", verbose=False))
        verdict = assess_gradeability(real)
        model_size = DEFAULT_SIZE
        rows = {}
        if DEFAULT_PRESET in DRClassifier.presets():
            preset = DRClassifier.from_preset(DEFAULT_PRESET)
            model_size = preset.image_size
            verdict = assess_gradeability(real, model_size)
            config.options = self.resolve_options({"synthetic_test": budget(200, smoke=16),
                                                   "n_bootstrap": DEMO_OPTIONS["n_bootstrap"],
                                                   "tta_samples": DEMO_OPTIONS["tta_samples"]})
            data = _data(config, test_only=True)
            scored = self._report(preset, data, config.output_dir / "preset",
                                  f"preset {DEFAULT_PRESET} on {len(data.test)} held-out SYNTHETIC drawings", config)
            x = np.asarray(preprocess(real, preset.image_size, radius=preset.graham_radius))[np.newaxis]
            p, spread = preset.predict_with_uncertainty(x, samples=DEMO_OPTIONS["tta_samples"])
            rows["result"] = _scored_row(f"preset {DEFAULT_PRESET}", scored["metrics"], "held-out SYNTHETIC drawings")
            rows["baseline"] = _scored_row("chance", scored["baselines"][CHANCE])
            overlay = config.output_dir / "gradcam_retina.png"
            save_gradcam(preset, real, overlay, title="skimage retina: Grad-CAM (a model trained on drawings)")
            rows["real photograph (skimage retina)"] = (f"gate: {verdict.describe()}; P(referable) {p[0]:.2f} "
                                                        f"± {spread[0]:.2f} (a model trained on drawings); "
                                                        f"Grad-CAM overlay {overlay}")
        else:
            rows["real photograph (skimage retina)"] = f"gate: {verdict.describe()}"
        # The gate refuses what the model cannot grade: the HRF crop (102 px, green channel only).
        crop = np.asarray(Image.open(samples.fetch("fundus.microaneurysms", verbose=False)))
        crop_verdict = assess_gradeability(np.stack([crop] * 3, axis=-1), model_size)
        rows["HRF microaneurysm crop (real, 102 px)"] = f"gate: {crop_verdict.describe()}"
        config.options = self.resolve_options(DEMO_OPTIONS)
        config.epochs = config.epochs or 1
        trained = self.train(config)
        rows.setdefault("result", _scored_row(f"after {config.epochs} epoch(s)", trained["metrics"],
                                              "SYNTHETIC test drawings"))
        rows.setdefault("baseline", _scored_row("chance", trained["baselines"][CHANCE]))
        rows["note"] = (f"then trained a narrow ResNet-18 for {config.epochs} epoch(s) on SYNTHETIC drawings "
                        "to show training runs (not scored)")
        return rows


def _unique_stems(paths):
    """A file name per path for its overlay: the stem, numbered when two photographs share one."""
    stems = [pathlib.Path(path).stem for path in paths]
    seen = {}
    names = []
    for stem in stems:
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if stems.count(stem) == 1 else f"{stem}-{seen[stem]}")
    return names


def _scored_row(name, metrics, data=None):
    """One demo line: AUC [95 % CI] and the specificity at 85 % sensitivity (of a model or of chance)."""
    on = f" on {metrics['n']} {data}" if data else ""
    return (f"{name}: AUC {metrics['auc']:.3f} [{metrics['auc_ci_low']:.3f}, {metrics['auc_ci_high']:.3f}], "
            f"specificity at 85 % sensitivity {metrics['specificity_at_85_sensitivity']:.2f}{on}")
