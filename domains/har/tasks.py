"""HAR tasks for the `resuite` CLI: FusionActNet and its ResNet-1D baseline."""

import pathlib

import keras
import numpy as np

from core.backbones import ResNetBackbone
from core.data import from_arrays
from core.evaluation import classification_report, plot_confusion_matrix, save_report
from core.registry import TaskRunner, register_task
from core.tasks import Classifier
from core.training import fit, set_seed
from domains.har.data import load_har, load_uea_ts, validate_windows
from domains.har.models.fusionactnet import FusionActNet
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


def report(model, data, output_dir, title):
    """Evaluate on the test split: accuracy, macro-F1, confusion matrix (JSON + PNG)."""
    output_dir = pathlib.Path(output_dir)
    results = classification_report(data.y_test, model.predict(data.x_test, verbose=0), data.class_names)
    plot = plot_confusion_matrix(results["confusion_matrix"], data.class_names, output_dir / "confusion_matrix.png",
                                 title=f"{title}: test accuracy {results['accuracy']:.1%}")
    save_report(results, output_dir / "test_report.json")
    return {"accuracy": results["accuracy"], "macro_f1": results["macro_f1"], "n_test": results["n"],
            "confusion_matrix_png": str(plot), "confusion_matrix": results["confusion_matrix"]}


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
    demo_epochs = 20
    demo_expert_epochs = (10, 10)

    def build_model(self, data, dataset, config):
        raise NotImplementedError

    def train_model(self, model, data, config, epochs):
        raise NotImplementedError

    def train(self, config):
        set_seed(config.seed)
        dataset, data = _load(config)
        with config.scope():
            model = self.build_model(data, dataset, config)
            self.train_model(model, data, config, config.epochs or self.default_epochs)
        best = keras.saving.load_model(config.output_dir / "best.keras")
        return {"dataset": dataset, "best_model": str(config.output_dir / "best.keras"),
                **report(best, data, config.output_dir, self.name)}

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
        config.epochs = config.epochs or self.demo_epochs
        config.options.setdefault("expert_epochs", self.demo_expert_epochs)
        results = self.train(config)
        return {"dataset": results["dataset"], "test_accuracy": results["accuracy"], "macro_f1": results["macro_f1"]}


@register_task
class FusionActNetTask(_HARTask):
    """FusionActNet on accelerometer + gyroscope windows (default data: real BasicMotions).

    Options (`--option key=value`): static_classes (list of names), expert_epochs
    ([static, dynamic], default [50, 15]), fusion_learning_rate (default 1e-4),
    batch size via --batch-size (default 10, as the paper).
    """

    name = "har.fusionactnet"
    description = "FusionActNet: static/dynamic residual 1-D experts + residual MobileNet gate"

    def build_model(self, data, dataset, config):
        static = config.options.get("static_classes") or STATIC_CLASSES.get(dataset)
        if not static:
            raise ValueError(f"Say which classes of {dataset} are static: --option static_classes='[...]'")
        return FusionActNet(data.num_channels, data.class_names, static, window_length=data.window_length)

    def train_model(self, model, data, config, epochs):
        expert_epochs = config.options.get("expert_epochs", (50, 15))
        return train_fusionactnet(
            model, data, config.output_dir, expert_epochs=tuple(expert_epochs), fusion_epochs=epochs,
            batch_size=config.batch_size or 10,
            fusion_learning_rate=float(config.options.get("fusion_learning_rate", 1e-4)),
            seed=config.seed, verbose=config.verbose,
        )


@register_task
class ResNet1DTask(_HARTask):
    """The baseline: a plain 1-D ResNet-18 from `core` with a classification head."""

    name = "har.resnet1d"
    description = "Baseline: core ResNet-18 (rank 1, simple stem) classifier"

    def build_model(self, data, dataset, config):
        backbone = ResNetBackbone(rank=1, depth=int(config.options.get("depth", 18)), input_channels=data.num_channels,
                                  input_spatial_shape=(data.window_length,), stem="simple")
        return Classifier(backbone, num_classes=data.num_classes, class_names=data.class_names)

    def train_model(self, model, data, config, epochs):
        model.compile()
        batch_size = config.batch_size or 10
        validation = from_arrays(data.x_val, data.y_val, batch_size=batch_size, training=False)
        return fit(model, from_arrays(data.x_train, data.y_train, batch_size=batch_size, training=True, seed=config.seed),
                   epochs=epochs, output_dir=config.output_dir, validation_data=validation, seed=config.seed,
                   verbose=config.verbose)
