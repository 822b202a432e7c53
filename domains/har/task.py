"""HAR tasks for the `resuite` CLI: FusionActNet and its ResNet-1D baseline.

    resuite train har.fusionactnet --output runs/har [--data MY_SET] [--option key=value ...]
    resuite train har.fusionactnet --dataset uci_har --data "UCI HAR Dataset"
    resuite evaluate har.fusionactnet --model runs/har/best.keras [--data MY_SET]
    resuite evaluate har.fusionactnet --preset fusionactnet_basicmotions
    resuite predict har.fusionactnet --preset fusionactnet_basicmotions windows.npy MySet_TEST.ts
    resuite demo har.fusionactnet

Default data: the real UEA BasicMotions sample (`--dataset pickupgesture`: the real UCR
PickupGestureWiimoteZ sample, univariate and of variable length). `--data MY_SET` (no
`--dataset`) is any UEA/UCR classification set: its `<Name>_TRAIN.ts` file or the folder of `<Name>_TRAIN.ts` and
`<Name>_TEST.ts`; channels, classes and class names come from the files, and series of another
length than the window are resampled (or padded: `--option resize=pad`), as the run's results
say. `resuite train har.fusionactnet --help` lists the options.
"""

import pathlib

import numpy as np

from core.backbones import ResNetBackbone
from core.backbones.resnet import RESNET_SPECS
from core.data import from_arrays
from core.evaluation import save_predictions
from core.registry import Option, RunConfig, TaskRunner, register_task
from core.smoke import budget
from core.tasks import Classifier
from core.training import fit, set_seed
from domains.har.data import RESIZE_METHODS, fit_length, load_har, load_uea_series, validate_windows
from domains.har.data.lengths import describe_lengths
from domains.har.evaluation import report
from domains.har.grouping import choose_static_classes
from domains.har.model import EXPERT_FILTERS, GATE_STAGES, FusionActNet
from domains.har.presets import RECIPES
from domains.har.training import BATCH_SIZE, FUSION_EPOCHS, train_fusionactnet

# The static (postural) activities of each supported data set; the rest are dynamic.
STATIC_CLASSES = {
    "basicmotions": ["Standing"],
    "uci_har": ["SITTING", "STANDING", "LAYING"],
    "motionsense": ["sit", "std"],
}
BASICMOTIONS_SAMPLES = ("har.basicmotions_train", "har.basicmotions_test")
PRESET = "fusionactnet_basicmotions"  # the preset the demo shows


LENGTH_OPTIONS = (
    Option("window_length", int, None, "time steps of every window of a UEA .ts set (default: the longest "
                                       "training series, at least the model's shortest)"),
    Option("resize", str, None, "series of another length than the window: resample (linear, whole series) or "
                                "pad (zeros after the end, longer ones cut); default: resample in train and "
                                "evaluate, an error in predict", choices=RESIZE_METHODS),
)


def _load(config, min_length=1, window_length=None):
    """The run's `HARData`: `--dataset NAME`, else `--data` as a UEA/UCR set, else BasicMotions.

    UEA sets get one window length: `window_length` (a trained model's), else the option's, else
    the longest training series and at least `min_length`.
    """
    name = config.dataset or ("uea" if config.data else "basicmotions")
    window_length = window_length or config.options["window_length"]
    lengths = {"window_length": window_length, "min_length": min_length, "resize": config.options["resize"] or "resample"}
    if name in ("uea", "basicmotions", "pickupgesture"):
        data = load_har(name, root=config.data, seed=config.seed, **lengths)
    else:
        if config.options["window_length"] or config.options["resize"]:
            raise ValueError(f"window_length and resize apply to UEA .ts sets; {name} has fixed windows. "
                             f"Received: --dataset {name} with --option window_length / resize")
        data = load_har(name, root=config.data, seed=config.seed)
    for split in ("train", "val", "test"):
        x = getattr(data, f"x_{split}")
        if len(x):
            validate_windows(x, data.num_channels, name=f"{data.name} {split} windows")
    return data


def _data_summary(data):
    """The run's data facts for its results: set, shape, classes, and any change of length."""
    summary = {"dataset": data.name, "channels": data.num_channels, "window_length": data.window_length,
               "classes": ", ".join(data.class_names)}
    if data.preprocessing:
        summary["length_handling"] = data.preprocessing
    return summary


def _read_windows(path, num_channels, window_length=None, resize=None):
    """The windows of a `.ts` or `.npy` file as the model takes them, or an error naming the file.

    A file whose windows have another length than `window_length` is refused (the message names
    the file, the expected and the received lengths) unless `resize` says how to fit them.
    """
    path = pathlib.Path(path)
    if path.suffix == ".ts":
        series, _, _ = load_uea_series(path)
    elif path.suffix == ".npy":
        series = list(validate_windows(np.load(path).astype("float32"), num_channels, name=str(path)))
    else:
        raise ValueError(f"{path}: expected a UEA .ts file or a .npy array of shape (windows, time, channels)")
    validate_windows(series[0][None], num_channels, name=str(path))
    lengths = [len(s) for s in series]
    if window_length is None or set(lengths) == {window_length}:
        x = np.stack(series)
    elif resize is None:
        raise ValueError(
            f"{path}: the model takes windows of {window_length} time steps. Received: windows of "
            f"{describe_lengths(lengths)} time steps. Fit them with --option resize=resample (linear "
            f"interpolation over each window) or --option resize=pad (zeros after the end, longer ones cut)"
        )
    else:
        x, _ = fit_length(series, window_length, resize, name=str(path))
    return validate_windows(x, num_channels, name=str(path), expected_length=window_length)


class _HARTask(TaskRunner):
    samples = BASICMOTIONS_SAMPLES
    epochs = FUSION_EPOCHS  # the paper's (the fused stage's, for FusionActNet)
    batch_size = BATCH_SIZE  # the paper's
    min_length = 1  # the model's shortest window

    def build_model(self, data, config):
        """(the model for `data`, a dict of how it was configured for the run's results)."""
        raise NotImplementedError

    def train_model(self, model, data, config):
        """Train `model` in place for `config.epochs`, ending with the weights of its best validation epoch."""
        raise NotImplementedError

    def train(self, config):
        set_seed(config.seed)
        data = _load(config, min_length=self.min_length)
        with config.scope():
            model, configured = self.build_model(data, config)
            history = self.train_model(model, data, config)
        results = {**_data_summary(data), **configured, "best_model": str(config.output_dir / "best.keras")}
        if history is not None and history.history.get("val_loss"):
            best = int(np.argmin(history.history["val_loss"]))
            results.update({"best_epoch": best + 1, "best_val_loss": float(history.history["val_loss"][best])})
            if "val_accuracy" in history.history:
                results["best_val_accuracy"] = float(history.history["val_accuracy"][best])
        # The test score of the model chosen on validation (nothing here is chosen on it).
        return {**report(model, data, config.output_dir, f"{self.name} trained {config.epochs} epochs"), **results}

    def _checked_model(self, config):
        """The `--preset` or `--model` to run, and the data it was trained for (`_load` at its window)."""
        model = self.load_model(config)
        data = _load(config, min_length=self.min_length, window_length=model.input_shape[1])
        class_names = getattr(model, "class_names", None)
        if model.input_shape[-1] != data.num_channels or (class_names and class_names != data.class_names):
            source = config.model_path or f"preset {config.preset}"
            raise ValueError(
                f"{source} was trained on {model.input_shape[-1]} channels and classes {class_names}. "
                f"Received: {data.name} with {data.num_channels} channels and classes {data.class_names}"
            )
        return model, data

    def evaluate(self, config):
        model, data = self._checked_model(config)
        source = f"preset {config.preset}" if config.preset else str(config.model_path)
        return {**report(model, data, config.output_dir, f"{self.name}: {source} on {data.name} test"),
                **_data_summary(data)}

    def predict(self, config, inputs):
        model = self.load_model(config)
        class_names = getattr(model, "class_names", None)
        # Read (and check) every file before predicting any.
        read = [(path, _read_windows(path, model.input_shape[-1], model.input_shape[1], config.options["resize"]))
                for path in inputs]
        rows = []
        for path, windows in read:
            probabilities = model.predict(windows, verbose=0)
            for i, p in enumerate(probabilities):
                label = int(np.argmax(p))
                rows.append({"file": str(path), "window": i, "prediction": class_names[label] if class_names else label,
                             "score": f"{float(np.max(p)):.4f}"})
        out = save_predictions(rows, config.output_dir)
        return {"windows": len(rows), "predictions_csv": str(out)}

    def demo(self, config):
        """Train briefly on the real BasicMotions sample and score the held-out test file beside the forest."""
        config.epochs = epochs = config.epochs or budget(2, smoke=1)
        result = self.train(config)
        return {"result": f"test accuracy {_scores(result['metrics'])} on {result['details']['n_test']} held-out "
                          f"windows after {epochs} epochs",
                "baseline": _baselines(result),
                "note": f"trained here for {epochs} epochs only, to show that training runs"}


def _scores(metrics):
    return f"{metrics['accuracy']:.3f} (macro-F1 {metrics['macro_f1']:.3f})"


def _baselines(result):
    forest, chance = result["baselines"]["random_forest"], result["baselines"]["chance"]
    return f"random forest on channel summaries {_scores(forest)}; chance {chance['accuracy']:.3f}"


@register_task
class FusionActNetTask(_HARTask):
    """FusionActNet on accelerometer + gyroscope windows (default data: real BasicMotions)."""

    name = "har.fusionactnet"
    description = "FusionActNet: static/dynamic residual 1-D experts + residual MobileNet gate"
    model_class = FusionActNet
    inputs = ("data", "dataset", "model", "preset")
    min_length = 2 ** len(EXPERT_FILTERS)  # each expert halves the time axis once per block
    options = (
        Option("static_classes", list, None, "names of the static classes (default: known per data set, "
                                             "else the activity rule on the training split)"),
        Option("expert_epochs", list, [50, 15], "[static, dynamic] expert epochs before the fused stage"),
        Option("fusion_learning_rate", float, 1e-4, "Adam rate of the fused stage (the paper: 1e-6)"),
        Option("expert_learning_rate", float, 1e-4, "Adam rate of the expert stage (the paper's)"),
        Option("width", float, 1.0, "multiplier of every expert and gate width (1: the paper's 7.6M parameters "
                                    "on UCI HAR; smaller for small sets)"),
        *LENGTH_OPTIONS,
    )

    def build_model(self, data, config):
        static = config.options["static_classes"]
        grouping = "--option static_classes"
        if not static and data.name.lower() in STATIC_CLASSES:
            static, grouping = STATIC_CLASSES[data.name.lower()], f"the known postures of {data.name}"
        elif not static:
            static, activity = choose_static_classes(data.x_train, data.y_train, data.class_names)
            ranked = ", ".join(f"{name} {activity[name]:.3g}" for name in sorted(activity, key=activity.get))
            grouping = (f"activity rule on the training split (domains.har.grouping): cut at the largest gap "
                        f"of normalised signal deviation, {ranked}")
        if config.options["width"] <= 0:
            raise ValueError(f"width must be positive. Received: width={config.options['width']}")

        def scaled(filters):
            return max(1, round(filters * config.options["width"]))

        model = FusionActNet(data.num_channels, data.class_names, static, window_length=data.window_length,
                             expert_filters=[scaled(f) for f in EXPERT_FILTERS], gate_stem_filters=scaled(32),
                             gate_stages=[(scaled(f), blocks) for f, blocks in GATE_STAGES])
        return model, {"static_classes": ", ".join(static), "grouping": grouping, "parameters": model.count_params()}

    def train_model(self, model, data, config):
        expert_epochs = config.options["expert_epochs"]
        if len(expert_epochs) != 2:
            raise ValueError(f"expert_epochs is [static, dynamic]. Received: expert_epochs={expert_epochs}")
        return train_fusionactnet(
            model, data, config.output_dir, expert_epochs=tuple(expert_epochs), fusion_epochs=config.epochs,
            batch_size=config.batch_size,
            expert_learning_rate=config.options["expert_learning_rate"],
            fusion_learning_rate=config.options["fusion_learning_rate"],
            seed=config.seed, verbose=config.verbose,
        )

    def demo(self, config):
        """The preset's held-out BasicMotions score beside the random forest's, then 1-2 epochs of training.

        The preset (`fusionactnet_basicmotions`, trained by `make presets`) is scored on the test
        file it never saw; a model of the preset's width is then trained here for 2 epochs (the
        dynamic expert 1, then the fused model 1; smoke mode 1 + 1) to show that training runs.
        """
        preset = self.evaluate(RunConfig(output_dir=config.output_dir / "preset", seed=config.seed, preset=PRESET,
                                         verbose=config.verbose))
        defaults = self.resolve_options()
        if config.options["width"] == defaults["width"]:
            config.options["width"] = RECIPES[PRESET].options["width"]
        if config.options["expert_epochs"] == defaults["expert_epochs"]:
            config.options["expert_epochs"] = [0, 1]
        config.epochs = epochs = config.epochs or 1
        config.output_dir = config.output_dir / "training"
        trained = self.train(config)
        return {"result": f"preset {PRESET}: test accuracy {_scores(preset['metrics'])} on "
                          f"{preset['details']['n_test']} held-out BasicMotions windows",
                "baseline": _baselines(preset),
                "note": f"then trained here briefly (dynamic expert {config.options['expert_epochs'][1]} epoch, fused "
                        f"model {epochs}): test accuracy {_scores(trained['metrics'])}; the preset's recipe: "
                        f"{RECIPES[PRESET].train_command(PRESET)}"}


@register_task
class ResNet1DTask(_HARTask):
    """The baseline: a plain 1-D ResNet from `core` with a classification head."""

    name = "har.resnet1d"
    description = "Baseline: core ResNet-18 (rank 1, simple stem) classifier"
    model_class = Classifier
    inputs = ("data", "dataset", "model")  # no preset shipped
    options = (Option("depth", int, 18, "ResNet depth", choices=tuple(RESNET_SPECS)), *LENGTH_OPTIONS)

    def build_model(self, data, config):
        backbone = ResNetBackbone(rank=1, depth=config.options["depth"], input_channels=data.num_channels,
                                  input_spatial_shape=(data.window_length,), stem="simple")
        return Classifier(backbone, num_classes=data.num_classes, class_names=data.class_names), {}

    def train_model(self, model, data, config):
        model.compile()
        batch_size = config.batch_size
        validation = from_arrays(data.x_val, data.y_val, batch_size=batch_size, training=False)
        return fit(model, from_arrays(data.x_train, data.y_train, batch_size=batch_size, training=True, seed=config.seed),
                   epochs=config.epochs, output_dir=config.output_dir, validation_data=validation, seed=config.seed,
                   verbose=config.verbose, restore_best=True)
