"""`mri.ssim_regression` for the `resuite` CLI: train, evaluate, predict and demo.

    resuite train mri.ssim_regression --output runs/ssim_aug                     # contrast aug. on
    resuite train mri.ssim_regression --output runs/ssim_noaug --option contrast_augmentation=false
    resuite train mri.ssim_regression --output runs/ssim_ablation --option ablation=true   # both
    resuite evaluate mri.ssim_regression --model runs/ssim_aug/best.keras
    resuite predict mri.ssim_regression --model runs/ssim_aug/best.keras scan1.nii.gz scans/

Default data: the real sample volumes (MNI152 2009a at 1 mm + nibabel's anatomical.nii);
`--data FOLDER` uses every NIfTI volume below FOLDER instead.

Options (`--option key=value`): slice_size (128), contrast_augmentation (true), ablation (false:
train with and without contrast augmentation into two subfolders), steps_per_epoch (30),
learning_rate (1e-3), depth (18), axis (2 = axial), min_foreground (0.15), gap_mm (3),
severity_max (1.0), num_transforms (4), val_draws (8), test_draws (8). `--epochs` defaults to 20,
`--batch-size` to 16.
"""

import csv
import json
import pathlib
import time

import keras

from core.evaluation import plot_confusion_matrix, save_report
from core.registry import TaskRunner, register_task
from core.training import set_seed
from domains.mri.io import NIFTI_SUFFIXES, list_volumes
from domains.mri.quality.data import (
    DEFAULT_AXIS,
    GAP_MM,
    MIN_FOREGROUND,
    SAMPLE_VOLUMES,
    SPLIT_PATTERN,
    load_quality_data,
    volume_slices,
)
from domains.mri.quality.evaluation import paper_rows, plot_scatter, ssim_report
from domains.mri.quality.model import BIN_COUNTS, DEFAULT_SLICE_SIZE, PAPER, SSIMRegressor
from domains.mri.quality.motion import NUM_TRANSFORMS
from domains.mri.quality.training import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_STEPS_PER_EPOCH,
    train_ssim_regressor,
)

DEMO_OPTIONS = {"slice_size": 64, "steps_per_epoch": 10}
DEMO_EPOCHS = 3


def _flag(value):
    if isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"Expected a boolean option (true/false). Received: {value!r}")
    return bool(value)


def _data(config, slice_size):
    options = config.options
    return load_quality_data(
        config.data,
        slice_size=int(slice_size),
        axis=int(options.get("axis", DEFAULT_AXIS)),
        min_foreground=float(options.get("min_foreground", MIN_FOREGROUND)),
        pattern=options.get("pattern", SPLIT_PATTERN),
        gap_mm=float(options.get("gap_mm", GAP_MM)),
        severity_range=(0.0, float(options.get("severity_max", 1.0))),
        val_draws=int(options.get("val_draws", 8)),
        test_draws=int(options.get("test_draws", 8)),
        seed=config.seed,
        motion_kwargs={"num_transforms": int(options.get("num_transforms", NUM_TRANSFORMS))},
    )


def _load_model(path):
    model = keras.saving.load_model(path)
    if not isinstance(model, SSIMRegressor):
        raise ValueError(f"{path}: expected a saved SSIMRegressor. Received: a {type(model).__name__}")
    return model


def report(model, data, output_dir, title):
    """Evaluate once on the test set (original contrast, and with a contrast change): JSON + PNGs.

    Returns:
        dict of flat results (residual mean/std, 3/5/10-class accuracy, both test variants) and paths.
    """
    output_dir = pathlib.Path(output_dir)
    results, panels = {}, {}
    for key, name, corrupted in (("test", "test", data.test_set),
                                 ("test_contrast", "test, contrast changed", data.test_contrast_set)):
        predictions = model.predict_ssim(corrupted.x)
        results[key] = ssim_report(corrupted.y, predictions, model.ssim_range)
        panels[name] = (corrupted.y, predictions)
    scatter = plot_scatter(panels, output_dir / "scatter.png", model.ssim_range, suptitle=title)
    confusion = plot_confusion_matrix(
        results["test"]["confusion_10"], [str(i) for i in range(10)], output_dir / "confusion_matrix_10.png",
        title=f"{title}: 10 SSIM classes, accuracy {results['test']['accuracy_10']:.1%}",
    )
    results["paper"] = PAPER
    results["data"] = {**data.config, "sources": data.sources, "splits": data.summary()}
    results["model"] = {"slice_size": model.slice_size, "ssim_range": list(model.ssim_range),
                        "contrast_augmentation": model.contrast_augmentation}
    save_report(results, output_dir / "test_report.json")
    flat = {"n_test": results["test"]["n"]}
    for key in ("test", "test_contrast"):
        prefix = "" if key == "test" else "contrast_changed_"
        flat[f"{prefix}residual_mean"] = results[key]["residual_mean"]
        flat[f"{prefix}residual_std"] = results[key]["residual_std"]
        for k in BIN_COUNTS:
            flat[f"{prefix}accuracy_{k}"] = results[key][f"accuracy_{k}"]
    flat.update(scatter_png=str(scatter), confusion_matrix_png=str(confusion),
                report_json=str(output_dir / "test_report.json"))
    return flat


def _expand_inputs(inputs):
    paths = []
    for item in inputs:
        item = pathlib.Path(item)
        if item.is_dir():
            paths.extend(list_volumes(item))
        elif item.name.endswith(NIFTI_SUFFIXES) or not item.exists():
            paths.append(item)  # a missing file fails in load_volume, naming it
        else:
            raise ValueError(f"{item}: expected a NIfTI volume (.nii or .nii.gz) or a folder of them")
    return paths


@register_task
class SSIMRegressionTask(TaskRunner):
    """Reference-free motion-artefact quality: ResNet-18 SSIM regression, 3/5/10 SSIM-range classes."""

    name = "mri.ssim_regression"
    description = "ResNet-18 regresses the SSIM of motion-corrupted MRI slices (no reference); 3/5/10 classes"
    samples = SAMPLE_VOLUMES

    def _train_one(self, config, data, output_dir, contrast_augmentation):
        options = config.options
        epochs = config.epochs or DEFAULT_EPOCHS
        with config.scope():
            if config.model_path:
                model = _load_model(config.model_path)
                model.contrast_augmentation = contrast_augmentation  # saved with what this run does
            else:
                model = SSIMRegressor(slice_size=data.train.slice_size, depth=int(options.get("depth", 18)),
                                      contrast_augmentation=contrast_augmentation)
            start = time.time()
            train_ssim_regressor(
                model, data, output_dir, epochs=epochs,
                steps_per_epoch=int(options.get("steps_per_epoch", DEFAULT_STEPS_PER_EPOCH)),
                batch_size=config.batch_size or DEFAULT_BATCH_SIZE,
                learning_rate=float(options.get("learning_rate", DEFAULT_LEARNING_RATE)),
                contrast_augmentation=contrast_augmentation, seed=config.seed, verbose=config.verbose,
            )
            seconds = time.time() - start
        best = _load_model(output_dir / "best.keras")
        title = f"ResNet-18, {'with' if contrast_augmentation else 'without'} contrast augmentation"
        return {"best_model": str(output_dir / "best.keras"), "train_seconds": round(seconds, 1),
                **report(best, data, output_dir, title)}

    def train(self, config):
        set_seed(config.seed)
        options = config.options
        slice_size = options.get("slice_size")
        if slice_size is None and config.model_path:  # fine-tuning: the saved model's input size
            slice_size = _load_model(config.model_path).slice_size
        data = _data(config, slice_size or DEFAULT_SLICE_SIZE)
        if not _flag(options.get("ablation", False)):
            return self._train_one(config, data, config.output_dir,
                                   _flag(options.get("contrast_augmentation", True)))
        results, reports = {}, {}
        for augmentation, folder in ((True, "with_contrast_aug"), (False, "without_contrast_aug")):
            set_seed(config.seed)
            keras.backend.clear_session()
            run = self._train_one(config, data, config.output_dir / folder, augmentation)
            full = json.loads(pathlib.Path(run["report_json"]).read_text())
            reports[folder] = full["test"]
            reports[f"{folder}, contrast-changed test"] = full["test_contrast"]
            results.update({f"{folder}.{key}": value for key, value in run.items()})
        rows = paper_rows(reports)
        save_report({"rows": rows, "reports": reports}, config.output_dir / "ablation.json")
        results["ablation_json"] = str(config.output_dir / "ablation.json")
        results["table"] = rows
        return results

    def evaluate(self, config):
        model = _load_model(config.model_path)
        data = _data(config, model.slice_size)
        return report(model, data, config.output_dir, pathlib.Path(config.model_path).name)

    def predict(self, config, inputs):
        """Per-slice predicted SSIM and 3/5/10 classes of NIfTI volumes → `predictions.csv`."""
        model = _load_model(config.model_path)
        axis = int(config.options.get("axis", DEFAULT_AXIS))
        min_foreground = float(config.options.get("min_foreground", MIN_FOREGROUND))
        # Read (and check) every volume before writing anything.
        volumes = [(path, volume_slices(path, model.slice_size, axis, min_foreground))
                   for path in _expand_inputs(inputs)]
        out = pathlib.Path(config.output_dir) / "predictions.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        rows = 0
        with out.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "slice_index", "axis", "foreground_fraction", "predicted_ssim",
                             *[f"class_{k}" for k in BIN_COUNTS]])
            for path, slices in volumes:
                predicted = model.predict_ssim(slices.images)
                classes = {k: model.classify(predicted, k) for k in BIN_COUNTS}
                for i, value in enumerate(predicted):
                    writer.writerow([str(path), int(slices.positions[i]), axis,
                                     f"{float(slices.masks[i].mean()):.3f}", f"{float(value):.4f}",
                                     *[int(classes[k][i]) for k in BIN_COUNTS]])
                    rows += 1
        return {"volumes": len(volumes), "slices": rows, "predictions_csv": str(out),
                "classes": "0 = lowest SSIM range; edges = linspace(%g, %g, k + 1)" % model.ssim_range}

    def demo(self, config):
        for key, value in DEMO_OPTIONS.items():
            config.options.setdefault(key, value)
        config.epochs = config.epochs or DEMO_EPOCHS
        results = self.train(config)
        return {"n_test": results["n_test"], "residual_mean": results["residual_mean"],
                "residual_std": results["residual_std"],
                **{f"accuracy_{k}": results[f"accuracy_{k}"] for k in BIN_COUNTS}}
