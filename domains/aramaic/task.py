"""`aramaic.letters` for the `resuite` CLI: train, evaluate, predict and demo.

    resuite train aramaic.letters --output runs/aramaic --epochs 40 --option time_minutes=30
    resuite evaluate aramaic.letters --model runs/aramaic/calibrated.keras             # synthetic test split
    resuite evaluate aramaic.letters --model runs/aramaic/calibrated.keras --data crops/test   # real crops
    resuite evaluate aramaic.letters --preset aramaic_letters_small --option ablation=true --output runs/aramaic_ablation
    resuite predict aramaic.letters --model runs/aramaic/calibrated.keras crop1.png crops/
    resuite predict aramaic.letters --preset aramaic_letters_small crop1.png     # a shipped preset

Training streams `AramaicSynth` letters (the Noto Sans Imperial Aramaic sample font, or
`--option fonts='["a.ttf", "b.otf"]'`); validation and test are fixed sets from their own seeds,
the test one with harder damage. `--data FOLDER` is a folder of real letter crops, one
sub-folder per letter (`Alef/`, `Bet/`, ..., `No Letter/`): `evaluate` scores on it, and `train`
scores the trained model on it too. A folder in the paper's layout, `FOLDER/train/<Letter>/`,
`FOLDER/valid/<Letter>/` (or `val/`) and optionally `FOLDER/test/<Letter>/`, makes `train`
fine-tune on the real crops instead (start from `--model`), choosing on `valid` and scoring on `test`:

    resuite train aramaic.letters --option preset=aramaic_letters_small --data crops/ --epochs 20 --output runs/finetune

`--option ablation=true` adds to `evaluate` the accuracy per stage of the renderer and by quartile
of each drawn condition (`evaluation.stage_ablation`: `ablation.json`, `ablation.png`).

`resuite train aramaic.letters --help` lists the options; `--epochs` defaults to
40, `--batch-size` to 64.
"""

import csv
import pathlib
import time

from core.backbones.resnet import RESNET_SPECS
from core.model_files import load_model_file
from core.presets import list_presets
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import set_seed
from domains.aramaic.data import TEST_SEVERITY, load_images, load_letter_folder, synthetic_splits
from domains.aramaic.evaluation import report, stage_ablation
from domains.aramaic.letters import DEFAULT_FONT_SAMPLE
from domains.aramaic.model import PAPER_ACCURACY, AramaicClassifier
from domains.aramaic.damage import MIN_LEGIBILITY
from domains.aramaic.training import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_STEPS_PER_EPOCH,
    fine_tune_on_crops,
    train_aramaic_classifier,
)

PACKAGE = "domains.aramaic"
DEFAULT_PRESET = "aramaic_letters_small"
# `demo` trains this small configuration briefly, to show that training runs.
DEMO_OPTIONS = {"image_size": budget(64, smoke=32), "width": budget(16, smoke=4), "depth": budget(18, smoke=10),
                "steps_per_epoch": budget(20, smoke=2), "val_examples": budget(230, smoke=23),
                "test_examples": budget(230, smoke=23)}

OPTIONS = (
    Option("image_size", int, 64, "side of the square letter images (the paper: 224)"),
    Option("depth", int, 18, "ResNet depth", choices=tuple(RESNET_SPECS)),
    Option("width", int, 16, "first-stage width of the ResNet (64: the standard ResNet)"),
    Option("steps_per_epoch", int, DEFAULT_STEPS_PER_EPOCH, "batches of freshly rendered letters per epoch"),
    Option("learning_rate", float, DEFAULT_LEARNING_RATE, "peak AdamW rate (cosine decay)"),
    Option("time_minutes", float, 0.0, "stop training after this many minutes, then validate and calibrate (0: no limit)"),
    Option("target_accuracy", float, 0.99, "validation accuracy of the answered letters that sets the 'illegible' threshold"),
    Option("val_examples", int, 1150, "validation letters (fixed; 50 per class)"),
    Option("test_examples", int, 2300, "synthetic test letters (unseen seeds, harder damage; 100 per class)"),
    Option("severity_max", float, 0.8, "largest damage severity in training and validation"),
    Option("test_severity", list, list(TEST_SEVERITY), "damage severity range [low, high] of the test split"),
    Option("rotation", float, 20.0, "largest rotation in degrees either way (the paper: 180)"),
    Option("min_legibility", float, MIN_LEGIBILITY, "least contrast of a letter against the stone (0: letters may be lost)"),
    Option("fonts", list, [], f"font files to mix (default: the {DEFAULT_FONT_SAMPLE} sample)"),
    Option("ablation", bool, False, "evaluate: also score per renderer stage and by condition quartile (ablation.json)"),
    Option("ablation_examples", int, 460, "evaluate with ablation: test letters per stage variant"),
    Option("preset", str, None, "start from (train) or use (evaluate/predict: also --preset NAME) a shipped preset"),
)


def _splits(config, image_size):
    options = config.options
    test_severity = options["test_severity"]
    if len(test_severity) != 2:
        raise ValueError(f"test_severity is [low, high]. Received: test_severity={test_severity}")
    return synthetic_splits(image_size=image_size, batch_size=config.batch_size or DEFAULT_BATCH_SIZE,
                            val_examples=options["val_examples"], test_examples=options["test_examples"],
                            seed=config.seed, severity=(0.0, options["severity_max"]),
                            test_severity=tuple(test_severity), fonts=options["fonts"] or None,
                            rotation=options["rotation"], min_legibility=options["min_legibility"])


def load_classifier(path):
    """A saved `AramaicClassifier` from a `.keras` file; clear errors otherwise."""
    presets_hint = f"; a shipped preset is given with --preset NAME: {', '.join(list_presets(PACKAGE)) or 'none shipped'}"
    return load_model_file(path, AramaicClassifier, hint=presets_hint)


def format_answer(answer):
    """'Bet 91.2% | Kaf 5.1% | Pe 1.0%', or 'illegible (best: Bet 31.0% | ...)'."""
    top = " | ".join(f"{name} {p:.1%}" for name, p in answer["top3"])
    return top if answer["answer"] != "illegible" else f"illegible (best: {top})"


@register_task
class AramaicLettersTask(TaskRunner):
    """Deep Aramaic: a ResNet over the 22 Old Aramaic letters + No Letter, trained on synthetic carved letters."""

    name = "aramaic.letters"
    description = "Deep Aramaic: 22 Old Aramaic letters + No Letter from synthetic carved-stone images; top-3, illegible"
    samples = (DEFAULT_FONT_SAMPLE,)
    options = OPTIONS
    saved_models = ("AramaicClassifier",)

    def _model(self, config):
        if config.options["preset"]:
            return AramaicClassifier.from_preset(config.options["preset"])
        if not config.model_path:
            raise ValueError("Give a model: --model PATH (a saved AramaicClassifier .keras) or --preset NAME")
        return load_classifier(config.model_path)

    def train(self, config):
        set_seed(config.seed)
        if config.data and (pathlib.Path(config.data) / "train").is_dir():
            return self._fine_tune(config)
        options = config.options
        image_size = options["image_size"]
        with config.scope():
            if config.model_path or config.options["preset"]:  # fine-tune a saved model on the stream
                model = self._model(config)
                image_size = model.image_size
            else:
                model = AramaicClassifier(image_size=image_size, depth=options["depth"], width=options["width"])
            splits = _splits(config, image_size)
            trained = train_aramaic_classifier(
                model, splits, config.output_dir, epochs=config.epochs or DEFAULT_EPOCHS,
                steps_per_epoch=options["steps_per_epoch"], learning_rate=options["learning_rate"],
                target_accuracy=options["target_accuracy"], time_budget=60.0 * options["time_minutes"] or None,
                seed=config.seed, verbose=config.verbose)
        title = f"ResNet-{model.depth} (width {model.width}), {image_size} px"
        results = {"best_model": str(config.output_dir / "best.keras"),
                   "calibrated_model": str(config.output_dir / "calibrated.keras"),
                   "train_steps": trained["steps"], "train_seconds": trained["train_seconds"],
                   "train_images_per_second": trained["images_per_second"],
                   "val_accuracy": max(trained["history"]["val_accuracy"]),
                   "nll_before_calibration": trained["calibration"]["nll_before"],
                   "nll_after_calibration": trained["calibration"]["nll_after"],
                   **report(model, splits.test[0], splits.test[1], config.output_dir / "test", title, params=splits.test[2])}
        if config.data:
            real = self._real(config, model, config.output_dir / "real", title)
            results.update({f"real_{key}": value for key, value in real.items()})
        return results

    def _fine_tune(self, config):
        root = pathlib.Path(config.data)
        val_dir = next((root / name for name in ("valid", "val") if (root / name).is_dir()), None)
        if val_dir is None:
            raise ValueError(f"{root}: a fine-tuning folder needs valid/ (or val/) beside train/, one sub-folder per letter")
        with config.scope():
            if config.model_path or config.options["preset"]:
                model = self._model(config)
            else:
                options = config.options
                model = AramaicClassifier(image_size=options["image_size"], depth=options["depth"], width=options["width"])
            train = load_letter_folder(root / "train", model.image_size)[:2]
            val = load_letter_folder(val_dir, model.image_size)[:2]
            tuned = fine_tune_on_crops(model, train, val, config.output_dir, epochs=config.epochs or 20,
                                       batch_size=config.batch_size or 32, learning_rate=config.options["learning_rate"] / 10,
                                       target_accuracy=config.options["target_accuracy"], seed=config.seed,
                                       verbose=config.verbose)
        results = {"calibrated_model": str(config.output_dir / "calibrated.keras"), "train_crops": len(train[0]),
                   "val_crops": len(val[0]), "val_accuracy": max(tuned["history"]["val_accuracy"]),
                   "temperature": tuned["calibration"]["temperature"],
                   "illegible_threshold": tuned["calibration"]["illegible_threshold"]}
        if (root / "test").is_dir():
            images, labels, _ = load_letter_folder(root / "test", model.image_size)
            results.update(report(model, images, labels, config.output_dir / "test", f"fine-tuned on {root.name}"))
        return results

    def _real(self, config, model, output_dir, title):
        images, labels, _ = load_letter_folder(config.data, model.image_size)
        return report(model, images, labels, output_dir, f"{title}, real crops {pathlib.Path(config.data).name}")

    def evaluate(self, config):
        options = config.options
        if config.data and options["ablation"]:
            raise ValueError(f"ablation switches stages of the synthetic letters off; it does not apply to real crops "
                             f"(--data). Received: data={config.data!r}, ablation=True")
        model = self._model(config)
        title = options["preset"] or pathlib.Path(config.model_path).name
        if config.data:
            return self._real(config, model, config.output_dir, title)
        splits = _splits(config, model.image_size)
        results = report(model, splits.test[0], splits.test[1], config.output_dir, title, params=splits.test[2])
        if options["ablation"]:
            table = stage_ablation(model, config.output_dir, num_examples=options["ablation_examples"],
                                   quartile_examples=options["test_examples"], seed=config.seed,
                                   severity=tuple(options["test_severity"]), title=title, fonts=options["fonts"] or None,
                                   rotation=options["rotation"], min_legibility=options["min_legibility"])
            results.update({f"ablation: {row['name']}": row["accuracy"] for row in table["variants"]},
                           ablation_json=table["ablation_json"], ablation_png=table["ablation_png"])
        return results

    def predict(self, config, inputs):
        """Top-3 letters with calibrated probabilities (or "illegible") per image → `predictions.csv`."""
        model = self._model(config)
        images, files = load_images(inputs, model.image_size)  # every file read (and checked) first
        answers = model.answer(images)
        out = pathlib.Path(config.output_dir) / "predictions.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "answer", "confidence", "top1", "p1", "top2", "p2", "top3", "p3"])
            for path, answer in zip(files, answers):
                writer.writerow([str(path), answer["answer"], f"{answer['confidence']:.4f}",
                                 *[v for name, p in answer["top3"] for v in (name, f"{p:.4f}")]])
        results = {str(path): format_answer(answer) for path, answer in zip(files, answers)}
        return {**results, "images": len(files), "illegible_threshold": round(model.illegible_threshold, 4),
                "predictions_csv": str(out)}

    def demo(self, config):
        """The shipped preset on held-out synthetic letters beside chance, then a brief training run."""
        preset = AramaicClassifier.from_preset(DEFAULT_PRESET)
        config.options = self.resolve_options({"test_examples": DEMO_OPTIONS["test_examples"],
                                               "val_examples": DEMO_OPTIONS["val_examples"]})
        splits = _splits(config, preset.image_size)
        scored = report(preset, splits.test[0], splits.test[1], config.output_dir / "preset", f"preset {DEFAULT_PRESET}",
                        params=splits.test[2])
        config.options = self.resolve_options(DEMO_OPTIONS)
        config.epochs = config.epochs or 1
        start = time.time()
        self.train(config)
        return {
            "result": (f"preset {DEFAULT_PRESET}: accuracy {scored['accuracy']:.1%}, top-3 {scored['top3_accuracy']:.1%} "
                       f"on {scored['n_test']} held-out synthetic letters (harder damage); answers "
                       f"{scored['answered_fraction']:.0%}, of which {scored['answered_accuracy'] or 0:.1%} right"),
            "baseline": f"chance {scored['chance_accuracy']:.1%} (23 classes); the paper: {PAPER_ACCURACY:.0%} on real letters",
            "note": (f"then trained a {DEMO_OPTIONS['image_size']} px ResNet-{DEMO_OPTIONS['depth']} for "
                     f"{config.epochs} epoch(s) of {DEMO_OPTIONS['steps_per_epoch']} steps ({time.time() - start:.0f} s) "
                     "to show training runs (not scored)"),
        }
