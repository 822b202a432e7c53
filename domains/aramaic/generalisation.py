"""Generalisation to other hands: leave-one-hand-out, and abstention calibrated on unseen hands.

The synthetic test split is drawn in the training hands (the "in-style" test); a carver is
another hand. Here the hands (`hands.HANDS`) are split three ways, never overlapping:

- **training hands**: the letters the model learns from (`AramaicSynth(fonts=...)`);
- **calibration hands**: not trained on; their validation letters (the validation stream's seeds)
  fit the temperature and the "illegible" threshold (`calibrate_on_hands`), so that the abstention
  is set on a shift like the one it must hold under;
- **held-out hands**: never trained or calibrated on; scored on their own test split (the test
  stream's seeds and damage), beside the in-style test (`score_hands`).

`leave_one_hand_out` trains one model per held-out hand (all the other hands but the calibration
ones) and tabulates both accuracies and the abstention on the held-out hand (`loho.json`, the
per-hand `report.json` and `accuracy_coverage.png`). The CLI does one fold per run:
`resuite train aramaic.letters --option hands='["all"]' --option held_out_hands='["palmyrene:NotoSansPalmyrene"]'
--option calibration_hands='["phoenician:Aegean_hint"]'`.

Example:
```python
from domains.aramaic.generalisation import leave_one_hand_out, split_hands
train, held_out, calibration = split_hands(["imperial_aramaic:*", "phoenician:*"],
                                           ["phoenician:NotoSansPhoenician"], ["phoenician:Aegean_hint"])
table = leave_one_hand_out(["imperial_aramaic:*", "phoenician:*"], ["phoenician:NotoSansPhoenician"], "runs/loho",
                           image_size=32, width=4, depth=10, epochs=1, steps_per_epoch=2, test_examples=23)
table["folds"][0]["held_out_accuracy"]
```
"""

import pathlib
import time

import numpy as np

from core import calibration as core_calibration
from core.evaluation import save_figure, save_report
from domains.aramaic.data import TEST_SEVERITY, split_seed, synthetic_splits, synthetic_test_split, to_float
from domains.aramaic.evaluation import report
from domains.aramaic.hands import available_hands
from domains.aramaic.synth import AramaicSynth


def split_hands(hands, held_out=(), calibration=()):
    """Training, held-out and calibration hands (installed ones, names), never overlapping.

    Args:
        hands: names for `hands.resolve` ('all', 'script:*', hand names): the hands to train on,
            before the held-out and calibration ones are taken out.
        held_out: names of hands never trained or calibrated on.
        calibration: names of hands never trained on, for the abstention's calibration.

    Returns:
        `(train, held_out, calibration)`: lists of hand names; hands whose font is absent are
        skipped (`hands.available_hands` logs which package installs them).

    Raises:
        ValueError: a hand both held out and used for calibration, or no training hand left.

    Example:
    ```python
    split_hands("phoenician:*", ["phoenician:Aegean_hint"])   # (['phoenician:NotoSansPhoenician'], ['phoenician:Aegean_hint'], [])
    ```
    """
    held = [h.name for h in available_hands(held_out)] if held_out else []
    calibrating = [h.name for h in available_hands(calibration)] if calibration else []
    both = sorted(set(held) & set(calibrating))
    if both:
        raise ValueError(f"generalisation.py: a hand is either held out or used for calibration, not both. "
                         f"Received: {both} in both")
    train = [h.name for h in available_hands(hands) if h.name not in held and h.name not in calibrating]
    if not train:
        raise ValueError(f"generalisation.py: no training hand left once the held-out and calibration hands are taken "
                         f"out (or none installed). Received: hands={hands!r}, held_out={list(held_out)}, "
                         f"calibration={list(calibration)}")
    return train, held, calibrating


def calibration_set(hands, image_size, examples, seed=0, severity=(0.0, 0.8), **synth_options):
    """Validation letters of the calibration hands (the validation stream's seeds): `(images float32, labels, params)`.

    Args:
        hands: list of hand names (or fonts) for `AramaicSynth(fonts=...)`.
        image_size: int.
        examples: int >= 1.
        seed: int. The run's seed. Defaults to 0.
        severity: (low, high). Defaults to the training damage (0, 0.8).
        **synth_options: other `AramaicSynth` settings.
    """
    synth = AramaicSynth(image_size=image_size, fonts=list(hands), severity=severity, **synth_options)
    images, labels, params = synth.arrays(examples, seed=split_seed(seed, "val"))
    return to_float(images), labels, params


def calibrate_on_hands(model, hands, examples=1150, target_accuracy=0.95, seed=0, severity=(0.0, 0.8),
                       **synth_options):
    """Fit `model`'s temperature and "illegible" threshold on validation letters of `hands` (not trained on).

    Args:
        model: AramaicClassifier.
        hands: list of hand names.
        examples: int. Calibration letters. Defaults to 1150.
        target_accuracy: float. Accuracy the answered calibration letters must reach. Defaults to 0.95.
        seed: int. Defaults to 0.
        severity: (low, high). Defaults to (0, 0.8).
        **synth_options: other `AramaicSynth` settings (not the fonts).

    Returns:
        dict: `AramaicClassifier.calibrate`'s, plus "hands", "examples", "answered_fraction" and
        "answered_accuracy" on the calibration set at the chosen threshold.

    Example:
    ```python
    chosen = calibrate_on_hands(model, ["phoenician:Aegean_hint"], examples=230, target_accuracy=0.95)
    chosen["answered_accuracy"] >= 0.95 or chosen["answered_fraction"] == 0
    ```
    """
    images, labels, _ = calibration_set(hands, model.image_size, examples, seed, severity, **synth_options)
    chosen = model.calibrate(images, labels, target_accuracy)
    probabilities = model.probabilities(images)
    answered = probabilities.max(axis=1) >= model.illegible_threshold
    correct = probabilities.argmax(axis=1) == labels
    return {**chosen, "hands": list(hands), "examples": int(examples), "answered_fraction": float(answered.mean()),
            "answered_accuracy": float(correct[answered].mean()) if answered.any() else None}


def score_hands(model, hands, output_dir, title, test_examples=2300, seed=0, severity=TEST_SEVERITY, **synth_options):
    """`evaluation.report` of `model` on each hand's own test split (the test stream's seeds and damage).

    Args:
        model: AramaicClassifier.
        hands: list of hand names.
        output_dir: str or Path; one sub-folder per hand (its name with ':' as '_').
        title: str. Names the model.
        test_examples: int. Letters per hand. Defaults to 2300.
        seed: int. Defaults to 0.
        severity: (low, high). Defaults to the test split's (0.3, 1.0).
        **synth_options: other `AramaicSynth` settings (not the fonts).

    Returns:
        dict hand name → the report (`evaluation.report`) with "curve" (its accuracy-coverage
        curve, `core.calibration.accuracy_coverage`) and "coverage" (`coverage_table`) added.

    Example:
    ```python
    scored = score_hands(model, ["palmyrene:NotoSansPalmyrene"], "runs/hands", "preset", test_examples=230)
    scored["palmyrene:NotoSansPalmyrene"]["metrics"]["accuracy"]
    ```
    """
    output_dir = pathlib.Path(output_dir)
    scored = {}
    for name in hands:
        _, test = synthetic_test_split(model.image_size, test_examples, seed, tuple(severity), fonts=[name],
                                       **synth_options)
        result = report(model, test, output_dir / name.replace(":", "_"),
                        f"{title}: held-out hand {name}, {test_examples} test letters")
        probabilities = model.probabilities(test[0])
        result["curve"] = core_calibration.accuracy_coverage(probabilities, test[1])
        result["coverage"] = coverage_table(probabilities, test[1])
        scored[name] = result
    return scored


def hand_metrics(scored, prefix="held_out"):
    """Flat metrics of `score_hands`' reports: '{prefix} {hand} accuracy', '... answered', '... answered accuracy'."""
    out = {}
    for name, result in scored.items():
        metrics = result["metrics"]
        out[f"{prefix} {name} accuracy"] = metrics["accuracy"]
        out[f"{prefix} {name} top3"] = metrics["top3_accuracy"]
        out[f"{prefix} {name} answered"] = metrics["answered_fraction"]
        out[f"{prefix} {name} answered accuracy"] = metrics["answered_accuracy"]
    return out


def coverage_table(probabilities, labels, coverages=(1.0, 0.8, 0.6, 0.4, 0.2)):
    """Accuracy of the most confident answers at each coverage: list of {"coverage", "accuracy", "threshold"}.

    Example:
    ```python
    coverage_table(np.array([[0.9, 0.1], [0.6, 0.4]]), np.array([0, 1]), (1.0, 0.5))
    # [{'coverage': 1.0, 'accuracy': 0.5, ...}, {'coverage': 0.5, 'accuracy': 1.0, ...}]
    ```
    """
    curve = core_calibration.accuracy_coverage(probabilities, labels)
    rows = []
    for coverage in coverages:
        index = min(int(np.searchsorted(curve["coverage"], coverage - 1e-9)), len(curve["coverage"]) - 1)
        rows.append({"coverage": float(curve["coverage"][index]), "accuracy": float(curve["accuracy"][index]),
                     "threshold": float(curve["threshold"][index])})
    return rows


def leave_one_hand_out(hands, held_out, output_dir, calibration_hands=(), image_size=64, width=16, depth=18,
                       epochs=1, steps_per_epoch=200, batch_size=64, learning_rate=2e-3, val_examples=230,
                       test_examples=460, calibration_examples=460, target_accuracy=0.95, seed=0,
                       stroke_variation=0.0, time_budget=None, verbose=0, **synth_options):
    """Train one model per held-out hand, without it (nor the calibration hands); score it on it and in style.

    Args:
        hands: names for `hands.resolve`: the hands of every fold's training (less the held-out one).
        held_out: hand names, one fold each.
        output_dir: str or Path: `fold_<i>/` per fold, and `loho.json`.
        calibration_hands: hand names for the abstention (`calibrate_on_hands`); none: the
            training hands' validation set calibrates, as before. Defaults to ().
        image_size, width, depth: the `AramaicClassifier`'s shape. Defaults to 64, 16, 18.
        epochs, steps_per_epoch, batch_size, learning_rate: the training (`training.train_aramaic_classifier`).
        val_examples, test_examples, calibration_examples: letters of each fixed set.
        target_accuracy: float. Accuracy of the answered calibration letters. Defaults to 0.95.
        seed: int. Defaults to 0.
        stroke_variation: float in [0, 1]. `AramaicSynth`'s. Defaults to 0.
        time_budget: float or None. Seconds of training per fold. Defaults to None.
        verbose: int. Defaults to 0.
        **synth_options: other `AramaicSynth` settings (rotation, min_legibility...).

    Returns:
        dict: "folds" (list of {"held_out", "train_hands", "calibration_hands", "in_style_accuracy",
        "held_out_accuracy", "held_out_top3", "held_out_answered", "held_out_answered_accuracy",
        "held_out_coverage" (`coverage_table`), "calibration" (answered fraction and accuracy on the
        calibration set), "train_seconds"}), the settings, and "loho_json".

    Raises:
        ValueError: see `split_hands`; a fold's training hands would include its held-out hand.
    """
    from domains.aramaic.model import AramaicClassifier
    from domains.aramaic.training import train_aramaic_classifier

    output_dir = pathlib.Path(output_dir)
    options = dict(stroke_variation=stroke_variation, **synth_options)
    folds = []
    for index, name in enumerate(held_out):
        train, held, calibrating = split_hands(hands, [name], calibration_hands)
        if name in train or not held:
            raise ValueError(f"generalisation.py: fold {index} would train on (or cannot find) its held-out hand. "
                             f"Received: held_out={name!r}, train={train}")
        folder = output_dir / f"fold_{index}"
        model = AramaicClassifier(image_size=image_size, depth=depth, width=width)
        splits = synthetic_splits(image_size=image_size, batch_size=batch_size, val_examples=val_examples,
                                  test_examples=test_examples, seed=seed, fonts=train, **options)
        start = time.time()
        train_aramaic_classifier(model, splits, folder, epochs=epochs, steps_per_epoch=steps_per_epoch,
                                 learning_rate=learning_rate, target_accuracy=target_accuracy,
                                 time_budget=time_budget, seed=seed, verbose=verbose)
        seconds = time.time() - start
        chosen = None
        if calibrating:
            chosen = calibrate_on_hands(model, calibrating, calibration_examples, target_accuracy, seed, **options)
            model.save(folder / "calibrated.keras")
        title = f"LOHO fold {index} (without {name})"
        in_style = report(model, splits.test, folder / "in_style", f"{title}: in-style test")
        held_report = score_hands(model, held, folder / "held_out", title, test_examples, seed, **options)[name]
        curves = {"in-style test": (core_calibration.accuracy_coverage(model.probabilities(splits.test[0]),
                                                                        splits.test[1]), model.illegible_threshold),
                  f"held-out {name}": (held_report["curve"], model.illegible_threshold)}
        if calibrating:
            images, labels, _ = calibration_set(calibrating, image_size, calibration_examples, seed, **options)
            curves["calibration hands"] = (core_calibration.accuracy_coverage(model.probabilities(images), labels),
                                           model.illegible_threshold)
        figure = plot_coverage(curves, folder / "coverage.png", f"{title}: accuracy against coverage", target_accuracy)
        folds.append({
            "held_out": name, "train_hands": train, "calibration_hands": calibrating,
            "in_style_accuracy": in_style["metrics"]["accuracy"],
            "in_style_answered": in_style["metrics"]["answered_fraction"],
            "in_style_answered_accuracy": in_style["metrics"]["answered_accuracy"],
            "held_out_accuracy": held_report["metrics"]["accuracy"],
            "held_out_top3": held_report["metrics"]["top3_accuracy"],
            "held_out_answered": held_report["metrics"]["answered_fraction"],
            "held_out_answered_accuracy": held_report["metrics"]["answered_accuracy"],
            "held_out_coverage": held_report["coverage"],
            "held_out_report_json": held_report["report_json"],
            "coverage_png": str(figure),
            "calibration": None if chosen is None else {key: chosen[key] for key in (
                "hands", "examples", "target_accuracy", "illegible_threshold", "temperature", "answered_fraction",
                "answered_accuracy")},
            "train_seconds": round(seconds, 1),
        })
    results = {"hands": hands if isinstance(hands, str) else list(hands), "held_out": list(held_out),
               "calibration_hands": list(calibration_hands), "image_size": image_size, "width": width, "depth": depth,
               "epochs": epochs, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size, "seed": seed,
               "stroke_variation": stroke_variation, "target_accuracy": target_accuracy, "folds": folds}
    output_dir.mkdir(parents=True, exist_ok=True)
    results["loho_json"] = str(save_report(results, output_dir / "loho.json"))
    return results


def plot_coverage(curves, path, title, target=0.95):
    """Accuracy against coverage, one line per named curve (`core.calibration.accuracy_coverage`), as a PNG.

    Args:
        curves: dict label → (curve dict, threshold or None): the threshold is marked on its curve.
        path: str or Path.
        title: str.
        target: float. The goal's accuracy, drawn as a line. Defaults to 0.95.

    Returns:
        pathlib.Path of the PNG.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4.2))
    axis = figure.subplots()
    for label, (curve, threshold) in curves.items():
        coverage, accuracy = np.asarray(curve["coverage"]), np.asarray(curve["accuracy"])
        line, = axis.plot(coverage, accuracy, label=label)
        if threshold is not None:
            at = np.asarray(curve["threshold"]) >= threshold
            if at.any():
                k = np.flatnonzero(at)[-1]
                axis.plot(coverage[k], accuracy[k], "o", color=line.get_color())
    axis.axhline(target, color="grey", linestyle="--", linewidth=0.8, label=f"goal {target:.0%}")
    axis.set_xlabel("coverage (fraction answered)")
    axis.set_ylabel("accuracy of the answered")
    axis.set_ylim(0, 1.02)
    axis.set_xlim(0, 1)
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=7)
    figure.tight_layout()
    return save_figure(figure, path, dpi=100)
