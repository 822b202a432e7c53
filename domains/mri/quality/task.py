"""`mri.ssim_regression` for the `resuite` CLI: train, evaluate, predict and demo.

    resuite train mri.ssim_regression --output runs/ssim_aug                     # contrast aug. on
    resuite train mri.ssim_regression --output runs/ssim_noaug --option contrast_augmentation=false
    resuite train mri.ssim_regression --output runs/ssim_ablation --option ablation=true   # both
    resuite train mri.ssim_regression --output runs/ssim_all --option axis=all --option remap_probability=0.5 \
        --option curve_every=5                          # 3 orientations, other contrasts, a learning curve
    resuite train mri.ssim_regression --output runs/ssim_volumes --option volume_sweep=true   # 1, 2, ... volumes
    resuite train mri.ssim_regression --output runs/ssim_skull --option skull_probability=0.5  # SYNTHETIC skull
    resuite evaluate mri.ssim_regression --preset ssim_mni_wide --option axis=all --option skull=true
    resuite evaluate mri.ssim_regression --model runs/ssim_aug/best.keras
    resuite predict mri.ssim_regression --model runs/ssim_aug/best.keras scan1.nii.gz scans/
    resuite predict mri.ssim_regression --preset ssim_mni_small scan1.nii.gz    # the shipped preset
    resuite evaluate mri.ssim_regression --preset ssim_mni_wide --option heldout=true --option axis=all \
        --option skull=true             # whole held-out volumes (Colin27 with and without skull), never trained on
    resuite evaluate mri.ssim_regression --preset ssim_mni_wide --option heldout=true --data my_t1.nii.gz

Default data: the real sample volumes (MNI152 2009a at 1 mm + nibabel's anatomical.nii);
`--data FOLDER` uses every NIfTI volume below FOLDER instead.

`resuite train mri.ssim_regression --help` lists the options. `--epochs` defaults to 20,
`--batch-size` to 16 (the task's `epochs` and `batch_size`, from `training`).
"""

import json
import pathlib
import time

import keras

from core.evaluation import save_predictions, save_report
from core.model_files import load_model_file
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import TimeBudget, set_seed
from domains.mri.io import NIFTI_SUFFIXES, list_volumes
from domains.mri.quality.data import load_quality_data, with_train_volumes
from domains.mri.quality.data.heldout import (
    heldout_paths,
    heldout_skull_stripped,
    load_heldout_data,
    sample_training_mean,
)
from domains.mri.quality.data.slices import DEFAULT_AXIS, MIN_FOREGROUND, SAMPLE_VOLUMES, slice_axes, volume_slices
from domains.mri.quality.data.splits import GAP_MM, SPLIT_PATTERN
from domains.mri.quality.data.stream import check_severity_max, check_skull_probability
from domains.mri.quality.evaluation import TestCurve, heldout_report, paper_rows, plot_curve, report
from domains.mri.quality.model import BIN_COUNTS, DEFAULT_SLICE_SIZE, SSIMRegressor, best_preset
from domains.mri.quality.motion import NUM_TRANSFORMS
from domains.mri.quality.training import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_STEPS_PER_EPOCH,
    train_ssim_regressor,
)

# `demo` trains this small configuration briefly, to show that training runs.
DEMO_OPTIONS = {"slice_size": budget(64, smoke=32), "steps_per_epoch": budget(5, smoke=1), "width": 16,
                "depth": budget(18, smoke=10)}

OPTIONS = (
    Option("slice_size", int, None, f"side of the square slices (default {DEFAULT_SLICE_SIZE}, or the --model's)"),
    Option("contrast_augmentation", bool, True, "random gamma/contrast/intensity before the motion"),
    Option("ablation", bool, False, "train with and without contrast augmentation, into two subfolders"),
    Option("steps_per_epoch", int, DEFAULT_STEPS_PER_EPOCH, "batches of freshly simulated motion per epoch"),
    Option("learning_rate", float, DEFAULT_LEARNING_RATE, "peak AdamW rate (cosine decay)"),
    Option("depth", int, 18, "ResNet depth (the paper: 18)"),
    Option("width", int, 64, "first-stage width of the ResNet (64: standard; the preset: 16)"),
    Option("axis", str, str(DEFAULT_AXIS),
           'slice axes: 0 sagittal, 1 coronal, 2 axial, a comma list such as "0,2", or "all"'),
    Option("remap_probability", float, 0.0, "share of training slices remapped to another contrast (intensity_remap)"),
    Option("skull", bool, False, "also score the test slices wrapped in a SYNTHETIC skull (skull-stripped volumes)"),
    Option("heldout", bool, False, "evaluate: score every slice of whole held-out volumes (--data, or the Colin27 "
           "samples with and without skull), none split off, beside the constant training mean"),
    Option("slice_step", int, 1, "heldout: score every N-th slice of each held-out volume"),
    Option("skull_probability", float, 0.0, "share of training slices drawn with a SYNTHETIC skull (implies skull)"),
    Option("skull_stripped", list, None, "file names of the skull-stripped volumes of --data (default: the MNI template)"),
    Option("train_volumes", int, None, "train on the first N volumes only (validation/test keep all)"),
    Option("volume_sweep", bool, False, "train once per number of training volumes (1..all), into subfolders"),
    Option("curve_every", int, 0, "score the test set every N epochs: learning_curve.json/.png (0: off)"),
    Option("time_minutes", float, None, "stop training after this many minutes (then the best validation epoch is "
           "kept and scored; a stopped run resumes with the same --output)"),
    Option("min_foreground", float, MIN_FOREGROUND, "least brain fraction of a kept slice"),
    Option("pattern", list, [list(part) for part in SPLIT_PATTERN],
           'slab split pattern along each volume, [["train", mm], ["val", mm], ...], repeated'),
    Option("gap_mm", float, GAP_MM, "gap between the split slabs (mm)"),
    Option("severity_max", float, 1.0, "largest motion severity"),
    Option("num_transforms", int, NUM_TRANSFORMS, "movements per simulated motion"),
    Option("val_draws", int, 8, "motions per validation slice"),
    Option("test_draws", int, 8, "motions per test slice"),
)


def _data(config, slice_size):
    options = config.options
    check_skull_probability(options["skull_probability"])
    check_severity_max(options["severity_max"])
    return load_quality_data(
        config.data,
        slice_size=int(slice_size),
        axis=slice_axes(options["axis"]),
        train_volumes=None if options["volume_sweep"] else options["train_volumes"],
        min_foreground=options["min_foreground"],
        pattern=tuple((split, float(mm)) for split, mm in options["pattern"]),
        gap_mm=options["gap_mm"],
        severity_range=(0.0, options["severity_max"]),
        val_draws=options["val_draws"],
        test_draws=options["test_draws"],
        seed=config.seed,
        motion_kwargs={"num_transforms": options["num_transforms"]},
        skull=options["skull"] or bool(options["skull_probability"]),
        skull_stripped=options["skull_stripped"],
    )


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
    model_class = SSIMRegressor
    epochs, batch_size = DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE
    inputs = ("data", "model", "preset")
    options = OPTIONS

    def _train_one(self, config, data, output_dir, contrast_augmentation):
        options = config.options
        with config.scope():
            if config.model_path or config.preset:  # fine-tuning a saved model or a preset
                model = self.load_model(config)
                model.contrast_augmentation = contrast_augmentation  # saved with what this run does
            else:
                model = SSIMRegressor(slice_size=data.train.slice_size, depth=options["depth"],
                                      width=options["width"], contrast_augmentation=contrast_augmentation)
            curve = [TestCurve(data, output_dir, options["steps_per_epoch"], options["curve_every"], config.batch_size)
                     ] if options["curve_every"] else []
            time_budget = TimeBudget(60 * options["time_minutes"] if options["time_minutes"] else None)
            start = time.time()
            train_ssim_regressor(
                model, data, output_dir, epochs=config.epochs,
                steps_per_epoch=options["steps_per_epoch"],
                batch_size=config.batch_size,
                learning_rate=options["learning_rate"],
                contrast_augmentation=contrast_augmentation, seed=config.seed, verbose=config.verbose,
                remap_probability=options["remap_probability"], callbacks=[*curve, time_budget],
                skull_probability=options["skull_probability"],
            )
            seconds = time.time() - start
        title = f"ResNet-{model.depth}, {'with' if contrast_augmentation else 'without'} contrast augmentation"
        return {"best_model": str(output_dir / "best.keras"), "train_seconds": round(seconds, 1),
                "stopped_by_time_budget": time_budget.stopped_at is not None,
                **report(model, data, output_dir, title)}

    def train(self, config):
        options = config.options
        if options["volume_sweep"] and (options["ablation"] or options["train_volumes"] is not None):
            raise ValueError("volume_sweep trains once per number of training volumes, with contrast "
                             "augmentation as set: it cannot be combined with ablation or train_volumes. "
                             f"Received: ablation={options['ablation']}, train_volumes={options['train_volumes']}")
        set_seed(config.seed)
        slice_size = options["slice_size"]
        if slice_size is None and (config.model_path or config.preset):  # fine-tuning: the saved model's input size
            slice_size = self.load_model(config).slice_size
        data = _data(config, slice_size or DEFAULT_SLICE_SIZE)
        if options["volume_sweep"]:
            return self._volume_sweep(config, data)
        if not options["ablation"]:
            return self._train_one(config, data, config.output_dir, options["contrast_augmentation"])
        results, reports = {}, {}
        for augmentation, folder in ((True, "with_contrast_aug"), (False, "without_contrast_aug")):
            set_seed(config.seed)
            keras.backend.clear_session()
            run = self._train_one(config, data, config.output_dir / folder, augmentation)
            reports[folder] = run["details"]["test"]
            reports[f"{folder}, contrast-changed test"] = run["details"]["test_contrast"]
            results.update({f"{folder}.{key}": value for key, value in run.items() if key != "details"})
        rows = paper_rows(reports)
        save_report({"rows": rows, "reports": reports}, config.output_dir / "ablation.json")
        results["ablation_json"] = str(config.output_dir / "ablation.json")
        results["table"] = rows
        return results

    def _volume_sweep(self, config, data):
        """One run per number of training volumes (first 1, 2, ..., all), scored on the same test set."""
        counts = range(1, len(data.sources) + 1)
        results, reports = {}, {}
        for count in counts:
            set_seed(config.seed)
            keras.backend.clear_session()
            run = self._train_one(config, with_train_volumes(data, count), config.output_dir / f"volumes_{count}",
                                  config.options["contrast_augmentation"])
            reports[count] = run["details"]
            results.update({f"volumes_{count}.{key}": value for key, value in run.items() if key != "details"})
        names = [pathlib.Path(source).name for source in data.sources]
        series = {"test": [reports[c]["test"] for c in counts],
                  "test, other contrasts (remapped)": [reports[c]["test_remap"] for c in counts]}
        for group in reports[counts[-1]]["test_groups"]:
            series[group] = [reports[c]["test_groups"].get(group, {}) for c in counts]
        plot_curve(list(counts), series, config.output_dir / "volume_sweep.png", "training volumes (the first N)",
                   "Held-out test set against the number of training volumes: " + ", ".join(names))
        save_report({"volumes": names, "reports": {c: reports[c] for c in counts}}, config.output_dir / "volume_sweep.json")
        results.update(volume_sweep_png=str(config.output_dir / "volume_sweep.png"),
                       table=paper_rows({f"{c} volume(s): {', '.join(names[:c])}": reports[c]["test"] for c in counts}))
        return results

    def evaluate(self, config):
        """The model (`--preset` or `--model`) on the held-out test sets beside the constant baseline (`report`).

        With `--option heldout=true`: on whole held-out volumes instead (`_evaluate_heldout`).
        """
        model = self.load_model(config)
        if config.options["heldout"]:
            return self._evaluate_heldout(config, model)
        data = _data(config, model.slice_size)
        return report(model, data, config.output_dir, config.preset or pathlib.Path(config.model_path).name)

    def _evaluate_heldout(self, config, model):
        """Every slice of the held-out volumes (`--data`, or Colin27 with and without skull) beside the constant.

        The constant is the mean SSIM label of the sample volumes' training slices along the same
        axes (`sample_training_mean`); `--option skull=true` also wraps the skull-stripped volumes
        (`skull_stripped`; the samples: Colin27's brain) in a SYNTHETIC skull. With `--preset`, each
        row says whether its file was among the preset's training volumes.
        """
        options = config.options
        check_severity_max(options["severity_max"])
        paths = heldout_paths(config.data)
        stripped = options["skull_stripped"]
        if stripped is None:
            stripped = [] if config.data else heldout_skull_stripped()
        motion_kwargs = {"num_transforms": options["num_transforms"]}
        severity_range = (0.0, options["severity_max"])
        constant = sample_training_mean(
            model.slice_size, slice_axes(options["axis"]), options["min_foreground"],
            tuple((split, float(mm)) for split, mm in options["pattern"]), options["gap_mm"], severity_range,
            options["val_draws"], config.seed, motion_kwargs)
        heldout = load_heldout_data(
            paths, constant, slice_size=model.slice_size, axis=slice_axes(options["axis"]),
            min_foreground=options["min_foreground"], severity_range=severity_range, draws=options["test_draws"],
            seed=config.seed, motion_kwargs=motion_kwargs, skull_stripped=stripped, synthetic_skull=options["skull"],
            slice_step=options["slice_step"])
        sources = None
        if config.preset:
            sources = SSIMRegressor.presets()[config.preset].get("data", {}).get("sources")
        title = config.preset or pathlib.Path(config.model_path).name
        return heldout_report(model, heldout, config.output_dir, title, training_sources=sources)

    def preset_from_results(self, config, results):
        """A preset's model from its training run; record its data, training time and (with `curve_every`) its
        learning curve."""
        model = load_model_file(results["best_model"], SSIMRegressor)
        metadata = {"data": results["details"]["data"], "train_seconds": results["train_seconds"]}
        curve = pathlib.Path(config.output_dir) / "learning_curve.json"
        if curve.exists():  # the test set at checkpoints of this run (recipes with curve_every)
            metadata["learning_curve"] = json.loads(curve.read_text())
        return model, metadata

    def predict(self, config, inputs):
        """Per-slice predicted SSIM and 3/5/10 classes of NIfTI volumes → `predictions.csv`."""
        model = self.load_model(config)
        axes, min_foreground = slice_axes(config.options["axis"]), config.options["min_foreground"]
        # Read (and check) every volume before writing anything.
        volumes = [(path, volume_slices(path, model.slice_size, axis, min_foreground))
                   for path in _expand_inputs(inputs) for axis in axes]
        rows = []
        for path, slices in volumes:
            predicted = model.predict_ssim(slices.images)
            classes = {k: model.classify(predicted, k) for k in BIN_COUNTS}
            rows += [{"file": str(path), "slice_index": int(slices.positions[i]), "axis": int(slices.axes[i]),
                      "foreground_fraction": f"{float(slices.masks[i].mean()):.3f}", "predicted_ssim": f"{float(value):.4f}",
                      **{f"class_{k}": int(classes[k][i]) for k in BIN_COUNTS}} for i, value in enumerate(predicted)]
        if not rows:
            raise ValueError(f"No slice of {', '.join(sorted({str(path) for path, _ in volumes}))} has a foreground of at "
                             f"least {min_foreground:.0%} of its square: nothing to predict. Received: "
                             f"min_foreground={min_foreground}")
        out = save_predictions(rows, config.output_dir)
        return {"volumes": len({str(path) for path, _ in volumes}), "slices": len(rows), "predictions_csv": str(out),
                "classes": "0 = lowest SSIM range; edges = linspace(%g, %g, k + 1)" % model.ssim_range}

    def demo(self, config):
        """The best preset (`best_preset`) on its held-out test slices beside the constant baseline, then a brief training run."""
        name = best_preset(SSIMRegressor.presets())
        preset = SSIMRegressor.from_preset(name)
        # Scored as its stored score was (its `Recipe.evaluate` options, e.g. all three axes); the
        # validation draws play no part in the score, so one keeps the demo quick.
        scored_options = SSIMRegressor.presets()[name]["score"]["options"]
        config.options = self.resolve_options({"slice_size": preset.slice_size, **scored_options,
                                               "test_draws": budget(8, smoke=1), "val_draws": 1})
        data = _data(config, preset.slice_size)
        scored = report(preset, data, config.output_dir / "preset", f"preset {name}")
        # The baseline that sees no image: always the mean SSIM of the training labels (`report`).
        metrics, baseline = scored["metrics"], scored["baselines"]["constant_train_mean"]
        config.options = self.resolve_options(DEMO_OPTIONS)
        config.epochs = config.epochs or 1
        config.batch_size = config.batch_size or self.batch_size
        self._train_one(config, _data(config, DEMO_OPTIONS["slice_size"]), config.output_dir / "train", True)
        return {
            "result": (f"preset {name} (the best shipped): residual σ {metrics['residual_std']:.3f}, 3-class accuracy "
                       f"{metrics['accuracy_3']:.1%} on {scored['details']['n_test']} held-out corrupted slices"),
            "baseline": (f"constant mean training SSIM: residual σ {baseline['residual_std']:.3f}, "
                         f"3-class accuracy {baseline['accuracy_3']:.1%}"),
            "note": (f"then trained a narrow ResNet-{config.options['depth']} for {config.epochs} epoch(s) to show "
                     "training runs (not scored)"),
        }
