"""HAR tasks for the `resuite` CLI: FusionActNet and its ResNet-1D baseline.

    resuite train har.fusionactnet --output runs/har [--dataset uci_har --data PATH] [--option key=value ...]
    resuite evaluate har.fusionactnet --model runs/har/best.keras
    resuite predict har.fusionactnet --model runs/har/best.keras windows.npy BasicMotions_TEST.ts
    resuite demo har.fusionactnet

Default data: the real UEA BasicMotions sample. `resuite train har.fusionactnet --help` lists the options.
"""

import pathlib

import keras
import numpy as np

from core.backbones import ResNetBackbone
from core.backbones.resnet import RESNET_SPECS
from core.data import from_arrays
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.tasks import Classifier
from core.training import fit, set_seed
from domains.har.data import load_har, load_uea_ts, validate_windows
from domains.har.evaluation import report
from domains.har.model import FusionActNet
from domains.har.training import train_fusionactnet

# The static (postural) activities of each supported data set; the rest are dynamic.
STATIC_CLASSES = {
    "basicmotions": ["Standing"],
    "uci_har": ["SITTING", "STANDING", "LAYING"],
    "motionsense": ["sit", "std"],
}
BASICMOTIONS_SAMPLES = ("har.basicmotions_train", "har.basicmotions_test")


def _load(config):
    name = config.dataset or "basicmotions"
    data = load_har(name, root=config.data, seed=config.seed)
    for split in ("train", "val", "test"):
        x = getattr(data, f"x_{split}")
        if len(x):
            validate_windows(x, data.num_channels, name=f"{name} {split} windows")
    return name, data


def _read_windows(path, num_channels):
    path = pathlib.Path(path)
    if path.suffix == ".ts":
        x, _, _ = load_uea_ts(path)
    elif path.suffix == ".npy":
        x = np.load(path).astype("float32")
    else:
        raise ValueError(f"{path}: expected a UEA .ts file or a .npy array of shape (windows, time, channels)")
    validate_windows(x, num_channels, name=str(path))
    return x


class _HARTask(TaskRunner):
    samples = BASICMOTIONS_SAMPLES
    default_epochs = 60
    batch_size = 10  # the paper's

    def build_model(self, data, dataset, config):
        raise NotImplementedError

    def train_model(self, model, data, config, epochs):
        """Train `model` in place, ending with the weights of its best validation epoch."""
        raise NotImplementedError

    def train(self, config):
        set_seed(config.seed)
        dataset, data = _load(config)
        with config.scope():
            model = self.build_model(data, dataset, config)
            self.train_model(model, data, config, config.epochs or self.default_epochs)
        return {"dataset": dataset, "best_model": str(config.output_dir / "best.keras"),
                **report(model, data, config.output_dir, self.name)}

    def evaluate(self, config):
        dataset, data = _load(config)
        model = keras.saving.load_model(config.model_path)
        return {"dataset": dataset, **report(model, data, config.output_dir, self.name)}

    def predict(self, config, inputs):
        model = keras.saving.load_model(config.model_path)
        class_names = getattr(model, "class_names", None)
        rows = []
        for path in inputs:
            probabilities = model.predict(_read_windows(path, model.input_shape[-1]), verbose=0)
            for i, p in enumerate(probabilities):
                label = int(np.argmax(p))
                rows.append((str(path), i, class_names[label] if class_names else label, float(np.max(p))))
        out = config.output_dir / "predictions.csv"
        out.write_text("file,window,prediction,score\n" + "".join(f"{f},{i},{c},{s:.4f}\n" for f, i, c, s in rows))
        return {"windows": len(rows), "predictions_csv": str(out)}

    def demo(self, config):
        """Train on the real BasicMotions sample (a short budget) and score the held-out test file."""
        config.epochs = config.epochs or budget(20, smoke=1)
        results = self.train(config)
        return {"result": f"test accuracy {results['accuracy']:.3f} on {results['n_test']} held-out windows",
                "baseline": "chance 0.250 (4 balanced classes)",
                "note": f"trained here for {config.epochs} epochs"}


@register_task
class FusionActNetTask(_HARTask):
    """FusionActNet on accelerometer + gyroscope windows (default data: real BasicMotions)."""

    name = "har.fusionactnet"
    description = "FusionActNet: static/dynamic residual 1-D experts + residual MobileNet gate"
    options = (
        Option("static_classes", list, None, "names of the static classes (default: known per data set)"),
        Option("expert_epochs", list, [50, 15], "[static, dynamic] expert epochs before the fused stage"),
        Option("fusion_learning_rate", float, 1e-4, "Adam rate of the fused stage (the paper: 1e-6)"),
        Option("expert_learning_rate", float, 1e-4, "Adam rate of the expert stage (the paper's)"),
    )

    def build_model(self, data, dataset, config):
        static = config.options["static_classes"] or STATIC_CLASSES.get(dataset)
        if not static:
            raise ValueError(f"Say which classes of {dataset} are static: --option static_classes='[...]'")
        return FusionActNet(data.num_channels, data.class_names, static, window_length=data.window_length)

    def train_model(self, model, data, config, epochs):
        expert_epochs = config.options["expert_epochs"]
        if len(expert_epochs) != 2:
            raise ValueError(f"expert_epochs is [static, dynamic]. Received: expert_epochs={expert_epochs}")
        return train_fusionactnet(
            model, data, config.output_dir, expert_epochs=tuple(expert_epochs), fusion_epochs=epochs,
            batch_size=config.batch_size or self.batch_size,
            expert_learning_rate=config.options["expert_learning_rate"],
            fusion_learning_rate=config.options["fusion_learning_rate"],
            seed=config.seed, verbose=config.verbose,
        )

    def demo(self, config):
        if config.options["expert_epochs"] == self.resolve_options()["expert_epochs"]:
            config.options["expert_epochs"] = budget([10, 10], smoke=[1, 1])
        return super().demo(config)


@register_task
class ResNet1DTask(_HARTask):
    """The baseline: a plain 1-D ResNet from `core` with a classification head."""

    name = "har.resnet1d"
    description = "Baseline: core ResNet-18 (rank 1, simple stem) classifier"
    options = (Option("depth", int, 18, "ResNet depth", choices=tuple(RESNET_SPECS)),)

    def build_model(self, data, dataset, config):
        backbone = ResNetBackbone(rank=1, depth=config.options["depth"], input_channels=data.num_channels,
                                  input_spatial_shape=(data.window_length,), stem="simple")
        return Classifier(backbone, num_classes=data.num_classes, class_names=data.class_names)

    def train_model(self, model, data, config, epochs):
        model.compile()
        batch_size = config.batch_size or self.batch_size
        validation = from_arrays(data.x_val, data.y_val, batch_size=batch_size, training=False)
        return fit(model, from_arrays(data.x_train, data.y_train, batch_size=batch_size, training=True, seed=config.seed),
                   epochs=epochs, output_dir=config.output_dir, validation_data=validation, seed=config.seed,
                   verbose=config.verbose, restore_best=True)
