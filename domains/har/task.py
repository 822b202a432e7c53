"""HAR tasks for the `resuite` CLI: FusionActNet and its ResNet-1D baseline.

    resuite train har.fusionactnet --output runs/har [--data MY_SET] [--option key=value ...]
    resuite train har.fusionactnet --dataset uci_har --data "UCI HAR Dataset"
    resuite evaluate har.fusionactnet --model runs/har/best.keras [--data MY_SET]
    resuite evaluate har.fusionactnet --preset fusionactnet_basicmotions
    resuite predict har.fusionactnet --preset fusionactnet_basicmotions windows.npy MySet_TEST.ts
    resuite demo har.fusionactnet

Default data: the real UEA BasicMotions sample (`--dataset pickupgesture`: the real UCR
PickupGestureWiimoteZ sample, univariate and of variable length; `--dataset watch`: the real
smartwatch shoulder-exercise recordings, 10 subjects, cut into 4-s windows and voted per
recording, test subjects 8-10). `--data MY_SET` (no
`--dataset`) is any UEA/UCR classification set: its `<Name>_TRAIN.ts` file or the folder of `<Name>_TRAIN.ts` and
`<Name>_TEST.ts`; channels, classes and class names come from the files, and series of another
length than the window are resampled (or padded: `--option resize=pad`), as the run's results
say; `--option window_seconds=4` (with `--option sampling_rate_hz=...` when the files do not say
it) cuts long series into windows instead, and the report votes them per series. `resuite train har.fusionactnet --help` lists the options.
"""

import pathlib

import numpy as np

from core.backbones import ResNetBackbone
from core.backbones.resnet import RESNET_SPECS
from core.data import from_arrays
from core.evaluation import save_predictions
from core.optimizers import AdamW
from core.registry import Option, RunConfig, TaskRunner, register_task
from core.smoke import budget
from core.tasks import Classifier
from core.training import fit, set_seed
from domains.har.augment import Augmentation, sensor_triplets
from domains.har.data import RESIZE_METHODS, fit_length, load_har, load_uea_series, validate_windows
from domains.har.data.lengths import describe_lengths
from domains.har.data.watch import WATCH_SAMPLING_RATE_HZ
from domains.har.data.windows import VOTES, cut_windows, vote
from domains.har.evaluation import as_probabilities, report
from domains.har.grouping import choose_grouping
from domains.har.model import EXPERT_FILTERS, GATE_STAGES, FusionActNet
from domains.har.presets import RECIPES
from domains.har.training import (BATCH_SIZE, FUSION_EPOCHS, SCHEDULES, SmoothedSparseCrossentropy, stage_rate,
                                  train_fusionactnet, train_stream)

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
    Option("window_seconds", float, None, "cut each recording into windows of this many seconds and vote them per "
                                          "recording (default: 4 for --dataset watch, a trained model's window in "
                                          "evaluate; whole series otherwise; 0: whole series)"),
    Option("step_seconds", float, None, "seconds between the starts of neighbouring windows (default: half a window)"),
    Option("sampling_rate_hz", float, None, "the rate of a UEA set's series, for windows in seconds (BasicMotions: "
                                            "10, watch: 50 are known)"),
    Option("vote", bool, False, "predict: cut each series into the model's windows (every step_seconds, default "
                                "half a window) and add one row per series with its windows' mean probability"),
)
# How the training windows are varied and scored (domains.har.augment; both tasks).
TRAINING_OPTIONS = (
    Option("rotation_degrees", float, 0.0, "augmentation: rotate every 3-axis sensor (accelerometer and gyroscope "
                                           "together) by a random angle up to this, about a random axis; 0: none"),
    Option("scale", float, 0.0, "augmentation: multiply each channel by a factor drawn from N(1, scale); 0: none"),
    Option("jitter", float, 0.0, "augmentation: Gaussian noise of this many channel standard deviations; 0: none"),
    Option("time_warp", float, 0.0, "augmentation: replay each window at a random speed within 1 +- this; 0: none"),
    Option("label_smoothing", float, 0.0, "label smoothing of the cross-entropy (every stage); 0: none"),
    Option("schedule", str, "constant", "learning rate: constant, or cosine decay to 0 over each stage",
           choices=SCHEDULES),
    Option("vote_method", str, "mean", "how a recording's windows vote: mean probability or mean log-probability",
           choices=VOTES),
)


def augmentation_from(options, data):
    """The `Augmentation` the run's options ask for, on `data`'s 3-axis sensors and channel scales.

    Args:
        options: dict. The task's resolved options (`rotation_degrees`, `scale`, `jitter`, `time_warp`).
        data: domains.har.data.HARData. Its `channel_names` give the sensors, its training windows the
            channels' standard deviations (for `jitter`).

    Returns:
        `domains.har.augment.Augmentation` (`.enabled` False when every strength is 0).

    Example:
    ```python
    augmentation_from({"rotation_degrees": 30, "scale": 0, "jitter": 0, "time_warp": 0}, load_har("watch")).describe()
    ```
    """
    triplets = sensor_triplets(data.channel_names)
    if options["rotation_degrees"] and not triplets:
        raise ValueError(f"rotation_degrees needs 3-axis sensors (channels named <sensor>_x, _y, _z). Received: "
                         f"channels {list(data.channel_names)} of {data.name}")
    return Augmentation(options["rotation_degrees"], options["scale"], options["jitter"], options["time_warp"],
                        triplets=triplets, channel_std=data.x_train.std(axis=(0, 1)))


def _training_summary(options, data):
    keys = ("label_smoothing", "schedule", "vote_method")
    return {"augmentation": augmentation_from(options, data).describe(), **{key: options[key] for key in keys}}


# The sets that are cut into windows unless --option window_seconds=0 says otherwise.
WINDOWED_BY_DEFAULT = ("watch",)
KNOWN_RATES = {"watch": WATCH_SAMPLING_RATE_HZ, "basicmotions": 10.0}


def _load(config, min_length=1, window_length=None):
    """The run's `HARData`: `--dataset NAME`, else `--data` as a UEA/UCR set, else BasicMotions.

    UEA sets get one window length: `window_length` (a trained model's), else the option's, else
    the longest training series and at least `min_length`. A windowed set (`--dataset watch`, or
    `--option window_seconds`) is cut into windows of `window_seconds`; given a trained model's
    `window_length` and no `window_seconds`, its windows are the model's.
    """
    name = config.dataset or ("uea" if config.data else "basicmotions")
    options = config.options
    seconds, rate = options["window_seconds"], options["sampling_rate_hz"] or KNOWN_RATES.get(name)
    windowed = seconds != 0 and (seconds is not None or name in WINDOWED_BY_DEFAULT)
    if windowed and options["window_length"]:
        raise ValueError(f"window_length (whole series) and window_seconds (windows) exclude each other. Received: "
                         f"--option window_length={options['window_length']} with windows of {name}")
    if windowed and seconds is None and window_length:
        if not rate:
            raise ValueError(f"{name}: give --option sampling_rate_hz to cut the model's {window_length}-step windows. "
                             f"Received: sampling_rate_hz=None")
        seconds = window_length / rate
    if windowed:
        lengths = {"window_seconds": seconds, "step_seconds": options["step_seconds"], "min_length": min_length}
        if options["sampling_rate_hz"]:
            lengths["sampling_rate_hz"] = options["sampling_rate_hz"]
    else:
        lengths = {"window_length": window_length or options["window_length"], "min_length": min_length,
                   "resize": options["resize"] or "resample"}
        if name == "watch":
            lengths["window_seconds"] = 0
    if name in ("uea", "basicmotions", "pickupgesture", "watch"):
        data = load_har(name, root=config.data, seed=config.seed, **lengths)
    else:
        if any(options[key] for key in ("window_length", "resize", "window_seconds", "step_seconds", "sampling_rate_hz")):
            raise ValueError(f"window_length, resize, window_seconds, step_seconds and sampling_rate_hz apply to UEA .ts "
                             f"sets and the watch set; {name} has fixed windows. Received: --dataset {name} with "
                             f"--option window_length / resize / window_seconds / step_seconds / sampling_rate_hz")
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
    if data.windowed:
        summary["windows"] = {split: int(len(getattr(data, f"x_{split}"))) for split in ("train", "val", "test")}
        summary["recordings"] = {split: int(len(np.unique(getattr(data, f"recordings_{split}"))))
                                 for split in ("train", "val", "test")}
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
        results = {**_data_summary(data), **configured, **_training_summary(config.options, data),
                   "best_model": str(config.output_dir / "best.keras")}
        if history is not None and history.history.get("val_loss"):
            best = int(np.argmin(history.history["val_loss"]))
            results.update({"best_epoch": best + 1, "best_val_loss": float(history.history["val_loss"][best])})
            if "val_accuracy" in history.history:
                results["best_val_accuracy"] = float(history.history["val_accuracy"][best])
        # The test score of the model chosen on validation (nothing here is chosen on it).
        return {**report(model, data, config.output_dir, f"{self.name} trained {config.epochs} epochs",
                         vote_method=config.options["vote_method"]), **results}

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
        if model.input_shape[1] is not None and model.input_shape[1] != data.window_length:
            raise ValueError(f"{config.model_path or config.preset} takes windows of {model.input_shape[1]} steps. "
                             f"Received: windows of {data.window_length} steps ({data.preprocessing})")
        return model, data

    def evaluate(self, config):
        model, data = self._checked_model(config)
        source = f"preset {config.preset}" if config.preset else str(config.model_path)
        return {**report(model, data, config.output_dir, f"{self.name}: {source} on {data.name} test",
                         vote_method=config.options["vote_method"]), **_data_summary(data)}

    def predict(self, config, inputs):
        model = self.load_model(config)
        class_names = getattr(model, "class_names", None)
        # Read (and check) every file before predicting any.
        if config.options["vote"]:
            rows = self._voted_rows(model, config, inputs, class_names)
            out = save_predictions(rows, config.output_dir)
            return {"windows": sum(row["window"] != "vote" for row in rows), "predictions_csv": str(out)}
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

    def _voted_rows(self, model, config, inputs, class_names):
        """`--option vote=true`: each series cut into the model's windows, a row per window and one voted row."""
        window = model.input_shape[1]
        if window is None:
            raise ValueError("--option vote needs a model of one window length. Received: a model of any length")
        step = max(1, window // 2)
        if config.options["step_seconds"]:
            if not config.options["sampling_rate_hz"]:
                raise ValueError("step_seconds needs --option sampling_rate_hz in predict. Received: sampling_rate_hz=None")
            step = max(1, int(round(config.options["step_seconds"] * config.options["sampling_rate_hz"])))
        read = []
        for path in map(pathlib.Path, inputs):
            if path.suffix == ".ts":
                series = load_uea_series(path)[0]
            elif path.suffix == ".npy":
                array = np.load(path).astype("float32")
                series = [array] if array.ndim == 2 else list(array)
            else:
                raise ValueError(f"{path}: expected a UEA .ts file or a .npy array of shape (time, channels) or "
                                 f"(series, time, channels)")
            for s in series:
                validate_windows(s[None], model.input_shape[-1], name=str(path))
            read.append((path, series))
        rows = []
        name = (lambda label: class_names[label] if class_names else label)
        for path, series in read:
            x, _, recording = cut_windows(series, np.zeros(len(series), int), window, step)
            probabilities = as_probabilities(model.predict(x, verbose=0))
            for i, p in enumerate(probabilities):
                rows.append({"file": str(path), "series": int(recording[i]), "window": int(np.sum(recording[:i] == recording[i])),
                             "prediction": name(int(np.argmax(p))), "score": f"{float(np.max(p)):.4f}"})
            for r, mean in zip(*vote(probabilities, recording, config.options["vote_method"])):
                rows.append({"file": str(path), "series": int(r), "window": "vote",
                             "prediction": name(int(np.argmax(mean))), "score": f"{float(np.max(mean)):.4f}"})
        return rows

    def demo(self, config):
        """Train briefly on the real BasicMotions sample and score the held-out test file beside the forest."""
        config.epochs = epochs = config.epochs or budget(2, smoke=1)
        result = self.train(config)
        return {"result": f"test accuracy {_scores(result['metrics'])} on {result['details']['n_test']} held-out "
                          f"windows after {epochs} epochs",
                "baseline": _baselines(result),
                "note": f"trained here for {epochs} epochs only, to show that training runs"}


def _scores(metrics):
    text = f"{metrics['accuracy']:.3f} (macro-F1 {metrics['macro_f1']:.3f})"
    if "recording_accuracy" in metrics:
        text = (f"{metrics['recording_accuracy']:.3f} of recordings (macro-F1 {metrics['recording_macro_f1']:.3f}), "
                f"{metrics['accuracy']:.3f} of windows")
    return text


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
        Option("static_classes", list, None, "names of the static classes (default: known per data set, else the "
                                             "best separated grouping on the training split, or one expert; "
                                             "[]: one expert)"),
        Option("expert_epochs", list, [50, 15], "[static, dynamic] expert epochs before the fused stage"),
        Option("fusion_learning_rate", float, 1e-4, "Adam rate of the fused stage (the paper: 1e-6)"),
        Option("expert_learning_rate", float, 1e-4, "Adam rate of the expert stage (the paper's)"),
        Option("width", float, 1.0, "multiplier of every expert and gate width (1: the paper's 7.6M parameters "
                                    "on UCI HAR; smaller for small sets)"),
        *LENGTH_OPTIONS,
        *TRAINING_OPTIONS,
    )

    def build_model(self, data, config):
        static = config.options["static_classes"]
        grouping = "--option static_classes" if static else "--option static_classes=[]: one expert"
        if static is None and data.name.lower() in STATIC_CLASSES:
            static, grouping = STATIC_CLASSES[data.name.lower()], f"the known postures of {data.name}"
        elif static is None:
            folds_by = data.subjects_train if data.subjects_train is not None else data.recordings_train
            chosen = choose_grouping(data.x_train, data.y_train, data.class_names, folds_by=folds_by, seed=config.seed)
            static, grouping = chosen.static_classes, f"chosen on the training split (domains.har.grouping): {chosen.reason}"
        if config.options["width"] <= 0:
            raise ValueError(f"width must be positive. Received: width={config.options['width']}")

        def scaled(filters):
            return max(1, round(filters * config.options["width"]))

        model = FusionActNet(data.num_channels, data.class_names, static, window_length=data.window_length,
                             expert_filters=[scaled(f) for f in EXPERT_FILTERS], gate_stem_filters=scaled(32),
                             gate_stages=[(scaled(f), blocks) for f, blocks in GATE_STAGES])
        return model, {"static_classes": ", ".join(static) or "none (one expert)", "grouping": grouping,
                       "parameters": model.count_params()}

    def train_model(self, model, data, config):
        expert_epochs = config.options["expert_epochs"]
        if len(expert_epochs) != 2:
            raise ValueError(f"expert_epochs is [static, dynamic]. Received: expert_epochs={expert_epochs}")
        return train_fusionactnet(
            model, data, config.output_dir, expert_epochs=tuple(expert_epochs), fusion_epochs=config.epochs,
            batch_size=config.batch_size,
            expert_learning_rate=config.options["expert_learning_rate"],
            fusion_learning_rate=config.options["fusion_learning_rate"],
            seed=config.seed, verbose=config.verbose, augmentation=augmentation_from(config.options, data),
            label_smoothing=config.options["label_smoothing"], schedule=config.options["schedule"],
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
    options = (Option("depth", int, 18, "ResNet depth", choices=tuple(RESNET_SPECS)), *LENGTH_OPTIONS, *TRAINING_OPTIONS)

    def build_model(self, data, config):
        backbone = ResNetBackbone(rank=1, depth=config.options["depth"], input_channels=data.num_channels,
                                  input_spatial_shape=(data.window_length,), stem="simple")
        return Classifier(backbone, num_classes=data.num_classes, class_names=data.class_names), {}

    def train_model(self, model, data, config):
        options, batch_size = config.options, config.batch_size
        steps = -(-len(data.x_train) // batch_size)
        # Classifier's own optimizer (AdamW 1e-3) unless a schedule is asked for.
        optimizer = ("auto" if options["schedule"] == "constant"
                     else AdamW(stage_rate(1e-3, options["schedule"], config.epochs, steps), weight_decay=1e-4))
        model.compile(optimizer=optimizer, loss=(SmoothedSparseCrossentropy(options["label_smoothing"], from_logits=True)
                                                 if options["label_smoothing"] else "auto"))
        validation = (from_arrays(data.x_val, data.y_val, batch_size=batch_size, training=False) if len(data.x_val)
                      else None)
        return fit(model, train_stream(data.x_train, data.y_train, batch_size, config.seed,
                                        augmentation_from(options, data)),
                   epochs=config.epochs, output_dir=config.output_dir, validation_data=validation, seed=config.seed,
                   verbose=config.verbose, restore_best=True)
