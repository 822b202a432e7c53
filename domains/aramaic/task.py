"""`aramaic.letters` for the `resuite` CLI: train, evaluate, predict and demo.

    resuite train aramaic.letters --output runs/aramaic --epochs 40 --option time_minutes=30
    resuite evaluate aramaic.letters --model runs/aramaic/calibrated.keras             # synthetic test split
    resuite evaluate aramaic.letters --model runs/aramaic/calibrated.keras --data crops/test   # real crops
    resuite evaluate aramaic.letters --preset aramaic_letters_small --option ablation=true --output runs/aramaic_ablation
    resuite predict aramaic.letters --model runs/aramaic/calibrated.keras crop1.png crops/
    resuite predict aramaic.letters --preset aramaic_letters_small crop1.png     # a shipped preset
    resuite evaluate aramaic.letters --preset aramaic_letters_small \
        --option 'held_out_hands=["palmyrene:NotoSansPalmyrene", "phoenician:NotoSansPhoenician"]'   # other hands
    resuite train aramaic.letters --output runs/loho --option 'hands=["all"]' --option stroke_variation=0.5 \
        --option 'held_out_hands=["palmyrene:NotoSansPalmyrene"]' --option 'calibration_hands=["samaritan:*"]'

Training streams `AramaicSynth` letters (the Noto Sans Imperial Aramaic sample font, or
`--option fonts='["a.ttf", "b.otf"]'`); validation and test are fixed sets from their own seeds,
the test one with harder damage. `--data FOLDER` is a folder of real letter crops, one
sub-folder per letter (`Alef/`, `Bet/`, ..., `No Letter/`): `evaluate` scores on it, and `train`
scores the trained model on it too. A folder in the paper's layout, `FOLDER/train/<Letter>/`,
`FOLDER/valid/<Letter>/` (or `val/`) and optionally `FOLDER/test/<Letter>/`, makes `train`
fine-tune on the real crops instead (start from `--model` or `--preset`), choosing on `valid` and
scoring on `test`, with the same `--epochs` and `--batch-size` defaults and a tenth of the
learning rate:

    resuite train aramaic.letters --preset aramaic_letters_small --data crops/ --epochs 20 --batch-size 32 --output runs/finetune

`evaluate` returns the report of `evaluation.report` (metrics beside chance and the majority
class). `--option ablation=true` adds to it the accuracy per stage of the renderer and by quartile
of each drawn condition (`evaluation.stage_ablation`: `ablation.json`, `ablation.png`).

**Hands** (`hands.py`): `--option hands='["all"]'` trains on every installed font of the
Aramaic-derived scripts ('script:*' or hand names pick some); `held_out_hands` are never trained or
calibrated on and are each scored on their own test split beside the in-style one (one fold of
leave-one-hand-out; `generalisation.leave_one_hand_out` runs every fold); `calibration_hands` are not
trained on and set the temperature and the "illegible" threshold (`target_accuracy`), so that the
abstention is chosen under a shift. `--option stroke_variation=0.5` draws half the letters from
their varied strokes (`strokes.py`).

`resuite train aramaic.letters --help` lists the options; `--epochs` defaults to
40, `--batch-size` to 64 (`training.DEFAULT_EPOCHS`, `training.DEFAULT_BATCH_SIZE`).
"""

import pathlib
import time

from core.backbones.resnet import RESNET_SPECS
from core.evaluation import save_predictions
from core.model_files import load_model_file
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import set_seed
from domains.aramaic.damage import MIN_LEGIBILITY
from domains.aramaic.data import (
    TEST_SEVERITY,
    load_images,
    load_letter_folder,
    synthetic_splits,
    synthetic_test_split,
)
from domains.aramaic.evaluation import report, stage_ablation
from domains.aramaic.generalisation import calibrate_on_hands, hand_metrics, score_hands, split_hands
from domains.aramaic.hands import available_hands
from domains.aramaic.letters import DEFAULT_FONT_SAMPLE
from domains.aramaic.model import PAPER_ACCURACY, AramaicClassifier
from domains.aramaic.training import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_STEPS_PER_EPOCH,
    fine_tune_on_crops,
    train_aramaic_classifier,
)

DEFAULT_PRESET = "aramaic_letters_small"
# `demo` trains this small configuration briefly, to show that training runs.
DEMO_OPTIONS = {"image_size": budget(64, smoke=32), "width": budget(16, smoke=4), "depth": budget(18, smoke=10),
                "steps_per_epoch": budget(20, smoke=2), "val_examples": budget(230, smoke=23),
                "test_examples": budget(230, smoke=23)}
# The training figures a preset records beside its score (`AramaicLettersTask.make_preset`).
PRESET_TRAINING = ("train_steps", "train_seconds", "train_images_per_second", "val_accuracy",
                   "nll_before_calibration", "nll_after_calibration")

OPTIONS = (
    Option("image_size", int, 64, "side of the square letter images (the paper: 224)"),
    Option("depth", int, 18, "ResNet depth", choices=tuple(RESNET_SPECS)),
    Option("width", int, 16, "first-stage width of the ResNet (64: the standard ResNet)"),
    Option("steps_per_epoch", int, DEFAULT_STEPS_PER_EPOCH, "batches of freshly rendered letters per epoch"),
    Option("learning_rate", float, DEFAULT_LEARNING_RATE, "peak AdamW rate (cosine decay)"),
    Option("time_minutes", float, None, "stop training after this many minutes, then validate and calibrate "
                                        "(default: no limit)"),
    Option("target_accuracy", float, 0.99, "validation accuracy of the answered letters that sets the 'illegible' threshold"),
    Option("val_examples", int, 1150, "validation letters (fixed; 50 per class)"),
    Option("test_examples", int, 2300, "synthetic test letters (unseen seeds, harder damage; 100 per class)"),
    Option("severity_max", float, 0.8, "largest damage severity in training and validation"),
    Option("test_severity", list, list(TEST_SEVERITY), "damage severity range [low, high] of the test split"),
    Option("rotation", float, 20.0, "largest rotation in degrees either way (the paper: 180)"),
    Option("min_legibility", float, MIN_LEGIBILITY, "least contrast of a letter against the stone (0: letters may be lost)"),
    Option("fonts", list, [], f"font files to mix (default: the {DEFAULT_FONT_SAMPLE} sample)"),
    Option("hands", list, [], "hands to train on and test in style: 'all', 'script:*' or names of hands.HAND_NAMES "
                              "(default: the fonts option); the held-out and calibration hands are taken out"),
    Option("held_out_hands", list, [], "hands never trained or calibrated on, each scored on its own test split"),
    Option("calibration_hands", list, [], "hands not trained on whose validation letters set the temperature and "
                                          "the 'illegible' threshold (default: the training hands' validation)"),
    Option("calibration_examples", int, 1150, "letters of the calibration hands' set"),
    Option("stroke_variation", float, 0.0, "chance that a letter is drawn from its varied strokes (strokes.py)"),
    Option("ablation", bool, False, "evaluate: also score per renderer stage and by condition quartile (ablation.json)"),
    Option("ablation_examples", int, 460, "evaluate with ablation: test letters per stage variant"),
)


def _test_severity(options):
    test_severity = options["test_severity"]
    if len(test_severity) != 2:
        raise ValueError(f"test_severity is [low, high]. Received: test_severity={test_severity}")
    return tuple(test_severity)


def _synth_options(options):
    """`AramaicSynth` settings of the in-style data: the training hands (less the held-out and calibration ones)."""
    fonts = _hand_split(options)[0] if options["hands"] else options["fonts"] or None
    return dict(fonts=fonts, rotation=options["rotation"], min_legibility=options["min_legibility"],
                stroke_variation=options["stroke_variation"])


def _hand_split(options):
    """(training hands or [], held-out hands, calibration hands) of the options (`generalisation.split_hands`)."""
    held, calibrating = options["held_out_hands"], options["calibration_hands"]
    if options["hands"]:
        return split_hands(options["hands"], held, calibrating)
    held = [h.name for h in available_hands(held)] if held else []
    calibrating = [h.name for h in available_hands(calibrating)] if calibrating else []
    if set(held) & set(calibrating):
        raise ValueError(f"task.py: a hand is either held out or used for calibration, not both. "
                         f"Received: {sorted(set(held) & set(calibrating))} in both")
    return [], held, calibrating


def _other_options(options):
    return dict(rotation=options["rotation"], min_legibility=options["min_legibility"],
                stroke_variation=options["stroke_variation"])


def _splits(config, image_size):
    options = config.options
    return synthetic_splits(image_size=image_size, batch_size=config.batch_size, val_examples=options["val_examples"],
                            test_examples=options["test_examples"], seed=config.seed,
                            severity=(0.0, options["severity_max"]), test_severity=_test_severity(options),
                            **_synth_options(options))


def _test_split(config, image_size):
    """The synthetic test split alone (as `_splits(...).test`), and a title naming it."""
    options = config.options
    severity = _test_severity(options)
    _, test = synthetic_test_split(image_size, options["test_examples"], config.seed, severity, **_synth_options(options))
    return test, f"{len(test[1])} synthetic test letters (severity {severity[0]:g}-{severity[1]:g}, seed {config.seed})"


def format_answer(answer):
    """'Bet 91.2% | Kaf 5.1% | Pe 1.0%', or 'illegible (best: Bet 31.0% | ...)'.

    Args:
        answer: dict. One of `AramaicClassifier.answer`'s answers ("answer", "top3").

    Example:
    ```python
    format_answer({"answer": "Bet", "top3": [("Bet", 0.912), ("Kaf", 0.051), ("Pe", 0.01)]})
    # 'Bet 91.2% | Kaf 5.1% | Pe 1.0%'
    ```
    """
    top = " | ".join(f"{name} {p:.1%}" for name, p in answer["top3"])
    return top if answer["answer"] != "illegible" else f"illegible (best: {top})"


def demo_row(scored, trained_epochs, seconds):
    """The demo's row: the preset's report (`evaluation.report`) beside its baselines, then the brief training run.

    Args:
        scored: dict. The preset's `evaluation.report` result on held-out synthetic letters.
        trained_epochs: int. Epochs of the brief training run.
        seconds: float. Its duration.

    Returns:
        dict with "result", "baseline" and "note".

    Example:
    ```python
    row = demo_row(report(preset, test, "runs/demo", "preset"), 1, 12.0)
    row["baseline"]   # 'chance 4.3%, majority class 4.3% (23 classes); the paper: 95% on real letters'
    ```
    """
    metrics, baselines = scored["metrics"], scored["baselines"]
    return {
        "result": (f"preset {DEFAULT_PRESET}: accuracy {metrics['accuracy']:.1%}, top-3 {metrics['top3_accuracy']:.1%} "
                   f"on {scored['details']['n_test']} held-out synthetic letters (harder damage); answers "
                   f"{metrics['answered_fraction']:.0%}, of which {metrics['answered_accuracy'] or 0:.1%} right"),
        "baseline": (f"chance {baselines['chance']['accuracy']:.1%}, majority class "
                     f"{baselines['majority class']['accuracy']:.1%} (23 classes); the paper: {PAPER_ACCURACY:.0%} "
                     "on real letters"),
        "note": (f"then trained a {DEMO_OPTIONS['image_size']} px ResNet-{DEMO_OPTIONS['depth']} for "
                 f"{trained_epochs} epoch(s) of {DEMO_OPTIONS['steps_per_epoch']} steps ({seconds:.0f} s) "
                 "to show training runs (not scored)"),
    }


@register_task
class AramaicLettersTask(TaskRunner):
    """Deep Aramaic: a ResNet over the 22 Old Aramaic letters + No Letter, trained on synthetic carved letters."""

    name = "aramaic.letters"
    description = "Deep Aramaic: 22 Old Aramaic letters + No Letter from synthetic carved-stone images; top-3, illegible"
    samples = (DEFAULT_FONT_SAMPLE,)
    model_class = AramaicClassifier
    epochs = DEFAULT_EPOCHS
    batch_size = DEFAULT_BATCH_SIZE
    inputs = ("data", "model", "preset")
    options = OPTIONS

    def _start_model(self, config):
        """`--model` or `--preset` to continue training from, else a new model of the options' shape."""
        if config.model_path or config.preset:
            return self.load_model(config)
        options = config.options
        return AramaicClassifier(image_size=options["image_size"], depth=options["depth"], width=options["width"])

    def train(self, config):
        set_seed(config.seed)
        if config.data and (pathlib.Path(config.data) / "train").is_dir():
            return self._fine_tune(config)
        options = config.options
        minutes = options["time_minutes"]
        with config.scope():
            model = self._start_model(config)  # a saved model keeps its image size
            splits = _splits(config, model.image_size)
            trained = train_aramaic_classifier(
                model, splits, config.output_dir, epochs=config.epochs,
                steps_per_epoch=options["steps_per_epoch"], learning_rate=options["learning_rate"],
                target_accuracy=options["target_accuracy"], time_budget=None if minutes is None else 60.0 * minutes,
                seed=config.seed, verbose=config.verbose)
            train_hands, held, calibrating = _hand_split(options)
            if set(train_hands) & set(held):  # split_hands never lets this happen; a fold must not see its hand
                raise ValueError(f"task.py: the training hands include held-out ones. Received: {sorted(set(train_hands) & set(held))}")
            chosen = None
            if calibrating:
                chosen = calibrate_on_hands(model, calibrating, options["calibration_examples"], options["target_accuracy"],
                                            config.seed, (0.0, options["severity_max"]), **_other_options(options))
                model.save(config.output_dir / "calibrated.keras")
        title = f"ResNet-{model.depth} (width {model.width}), {model.image_size} px"
        scored = report(model, splits.test, config.output_dir / "test", f"{title}: synthetic test split")
        results = {"best_model": str(config.output_dir / "best.keras"),
                   "calibrated_model": str(config.output_dir / "calibrated.keras"),
                   "train_steps": trained["steps"], "train_seconds": trained["train_seconds"],
                   "train_images_per_second": trained["images_per_second"],
                   "val_accuracy": max(trained["history"]["val_accuracy"]),
                   "nll_before_calibration": trained["calibration"]["nll_before"],
                   "nll_after_calibration": trained["calibration"]["nll_after"],
                   "temperature": model.temperature, "illegible_threshold": model.illegible_threshold,
                   **{f"test_{key}": value for key, value in scored["metrics"].items()},
                   "test_report_json": scored["report_json"]}
        if train_hands:
            results["train_hands"] = train_hands
        if chosen is not None:
            results.update(calibration_hands=calibrating, calibration_answered=chosen["answered_fraction"],
                           calibration_answered_accuracy=chosen["answered_accuracy"])
        if held:
            results.update(hand_metrics(score_hands(model, held, config.output_dir / "held_out", title,
                                                    options["test_examples"], config.seed, _test_severity(options),
                                                    **_other_options(options))))
        if config.data:
            real = self._real(config, model, config.output_dir / "real", title)
            results.update({f"real_{key}": value for key, value in real["metrics"].items()},
                           real_report_json=real["report_json"])
        return results

    def _fine_tune(self, config):
        root = pathlib.Path(config.data)
        val_dir = next((root / name for name in ("valid", "val") if (root / name).is_dir()), None)
        if val_dir is None:
            raise ValueError(f"{root}: a fine-tuning folder needs valid/ (or val/) beside train/, one sub-folder per "
                             f"letter. Received: {sorted(p.name for p in root.iterdir())}")
        with config.scope():
            model = self._start_model(config)
            train = load_letter_folder(root / "train", model.image_size)[:2]
            val = load_letter_folder(val_dir, model.image_size)[:2]
            tuned = fine_tune_on_crops(model, train, val, config.output_dir, epochs=config.epochs,
                                       batch_size=config.batch_size, learning_rate=config.options["learning_rate"] / 10,
                                       target_accuracy=config.options["target_accuracy"], seed=config.seed,
                                       verbose=config.verbose)
        results = {"calibrated_model": str(config.output_dir / "calibrated.keras"), "train_crops": len(train[0]),
                   "val_crops": len(val[0]), "val_accuracy": max(tuned["history"]["val_accuracy"]),
                   "temperature": tuned["calibration"]["temperature"],
                   "illegible_threshold": tuned["calibration"]["illegible_threshold"]}
        if (root / "test").is_dir():
            test = load_letter_folder(root / "test", model.image_size)[:2]
            scored = report(model, test, config.output_dir / "test", f"fine-tuned on {root.name}: real test crops")
            results.update({f"test_{key}": value for key, value in scored["metrics"].items()},
                           test_report_json=scored["report_json"])
        return results

    def _real(self, config, model, output_dir, title):
        crops = load_letter_folder(config.data, model.image_size)[:2]
        return report(model, crops, output_dir, f"{title}: real crops {pathlib.Path(config.data).name}")

    def preset_from_results(self, config, results):
        """Ship the calibrated model of a run (temperature and threshold), record its training figures.

        Args:
            config: RunConfig of the recipe's training run (`core.presets.make_preset`).
            results: dict. What `train` returned.

        Returns:
            (AramaicClassifier, {"training": {...}}): `PRESET_TRAINING`'s figures of the run.

        Example:
        ```python
        from core.presets import make_preset
        from domains.aramaic.presets import RECIPES
        make_preset("aramaic_letters_small", RECIPES["aramaic_letters_small"], AramaicLettersTask())
        ```
        """
        model = load_model_file(results["calibrated_model"], self.model_class)
        return model, {"training": {key: results[key] for key in PRESET_TRAINING}}

    def evaluate(self, config):
        options = config.options
        if config.data and options["ablation"]:
            raise ValueError(f"ablation switches stages of the synthetic letters off; it does not apply to real crops "
                             f"(--data). Received: data={config.data!r}, ablation=True")
        model = self.load_model(config)
        title = config.preset or pathlib.Path(config.model_path).name
        if config.data:
            return self._real(config, model, config.output_dir, title)
        test, described = _test_split(config, model.image_size)
        results = report(model, test, config.output_dir, f"{title}: {described}")
        held = _hand_split(options)[1]
        if held:
            results.update(hand_metrics(score_hands(
                model, held, config.output_dir / "held_out", title, options["test_examples"], config.seed,
                _test_severity(options), **_other_options(options))))
        if options["ablation"]:
            table = stage_ablation(model, config.output_dir, num_examples=options["ablation_examples"],
                                   quartile_examples=options["test_examples"], seed=config.seed,
                                   severity=_test_severity(options), title=title, **_synth_options(options))
            results.update({f"ablation: {row['name']}": row["accuracy"] for row in table["variants"]},
                           ablation_json=table["ablation_json"], ablation_png=table["ablation_png"])
        return results

    def predict(self, config, inputs):
        """Top-3 letters with calibrated probabilities (or "illegible") per image → `predictions.csv`."""
        model = self.load_model(config)
        images, files = load_images(inputs, model.image_size)  # every file read (and checked) first
        answers = model.answer(images)
        rows = [{"file": str(path), "answer": answer["answer"], "confidence": f"{answer['confidence']:.4f}",
                 **{key: value for rank, (name, p) in enumerate(answer["top3"], 1)
                    for key, value in ((f"top{rank}", name), (f"p{rank}", f"{p:.4f}"))}}
                for path, answer in zip(files, answers)]
        out = save_predictions(rows, config.output_dir)
        results = {str(path): format_answer(answer) for path, answer in zip(files, answers)}
        return {**results, "images": len(files), "illegible_threshold": round(model.illegible_threshold, 4),
                "predictions_csv": str(out)}

    def demo(self, config):
        """The shipped preset on held-out synthetic letters beside chance, then a brief training run."""
        preset = AramaicClassifier.from_preset(DEFAULT_PRESET)
        config.options = self.resolve_options({"test_examples": DEMO_OPTIONS["test_examples"]})
        test, described = _test_split(config, preset.image_size)
        scored = report(preset, test, config.output_dir / "preset", f"preset {DEFAULT_PRESET}: {described}")
        config.options = self.resolve_options(DEMO_OPTIONS)
        config.epochs = config.epochs or 1
        start = time.time()
        self.train(config)
        return demo_row(scored, config.epochs, time.time() - start)
