"""Evaluation of referable-DR screening: AUC with a bootstrap interval, operating points, ROC.

What a screening paper reports, from per-image probabilities of "referable" (ICDR grade >= 2):

- `auc_with_ci`: ROC AUC (`sklearn.metrics.roc_auc_score`) with a percentile-bootstrap 95 %
  interval over images;
- `operating_point`: sensitivity and specificity at a threshold, or at the threshold that reaches
  a target sensitivity or specificity; `screening_target` checks the usual 85 % / 80 %;
- `per_source_auc`: the AUC of each source data set (the `Dataset/` prefix of the file names);
- `patient_ids` / `patient_level`: both eyes of a patient pooled (referable if either eye is);
- the expected calibration error of P(referable) (`core.calibration.expected_calibration_error`,
  15 bins) and `referral_curve` (AUC of the images kept as the most uncertain 0-50 % are
  referred to a grader);
- `plot_roc`, `plot_referral_curve`; `report(model, data, output_dir, title)` (a model on a test
  split) and `report_predictions(labels, probabilities, output_dir, title)` (predictions already
  made, such as the paper's): the headline metrics beside the chance baseline
  (`core.evaluation.report_result`, written as `report.json` with the PNGs).

The paper's released per-image predictions (Castilla et al., SIPAIM 2022; `released/`) load with
`load_released_predictions`; run through `screening_report` they give the paper's AUC 0.955
[0.953-0.956] and its per-source AUCs (`PAPER`).

Example:
```python
from domains.fundus.evaluation import load_released_predictions, screening_report
released = load_released_predictions("test")
results = screening_report(released.labels, released.probabilities, filenames=released.filenames)
results["auc"], results["auc_ci"]          # 0.9546, (0.953, 0.956)
```
"""

import csv
import dataclasses
import gzip
import pathlib
import re
import textwrap

import numpy as np

from core.calibration import expected_calibration_error
from core.evaluation import report_result, save_figure
from domains.fundus.data import FundusData, FundusSplit, preprocessed_images

RELEASED_DIR = pathlib.Path(__file__).parent / "released"
RELEASED_FILES = {"test": "sipaim2022_resnet18_test_results.csv.gz",
                  "validation": "sipaim2022_resnet18_validation_results.csv.gz"}
RELEASED_COLUMNS = ("Filename", "Ground truth label", "Prediction", "Not Refereable", "Refereable", "Time")
# The paper (arXiv 2210.03180) and docs/papers.md §3, recomputed from the released predictions.
PAPER = {
    "test_auc": 0.955, "test_auc_ci": (0.953, 0.956), "validation_auc": 0.972,
    "per_source_auc": {"Kaggle": 0.952, "DDR": 0.965, "Messidor2": 0.973, "DR2": 0.974, "DeepDRID": 0.959,
                       "IDRID": 0.949, "DiaRetDB1": 0.982, "Paraguay": 0.987, "1000Fundus": 1.000},
}
SCREENING_SENSITIVITY = 0.85  # the usual screening target: 85 % sensitivity, 80 % specificity
SCREENING_SPECIFICITY = 0.80
REFERRAL_FRACTIONS = tuple(np.round(np.linspace(0.0, 0.5, 11), 2))
# Kaggle/EyePACS "<patient>_left|right"; DeepDRiD "<patient>_l1|l2|r1|r2".
_PATIENT_PATTERNS = {"Kaggle": re.compile(r"^(\d+)_(left|right)$"),
                     "DeepDRID": re.compile(r"^(\d+)_[lr]\d$", re.IGNORECASE)}


@dataclasses.dataclass
class Predictions:
    """Per-image predictions: `filenames` ("Dataset/imageid"), `labels` (0/1), `probabilities` (referable)."""

    filenames: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray
    seconds: np.ndarray

    @property
    def sources(self):
        """The source data set of each image: the part of its file name before the first "/"."""
        return sources_of(self.filenames)


def load_released_predictions(split="test", path=None):
    """The paper's released per-image predictions (ResNet-18, `released/README.md`).

    Args:
        split: "test" (61,007 images) or "validation" (9,569). Defaults to "test".
        path: str or Path or None. Another file in the same format (CSV, optionally gzipped).

    Returns:
        Predictions.

    Raises:
        ValueError: unknown split, or a file without the expected columns (naming the file).
    """
    if path is None:
        if split not in RELEASED_FILES:
            raise ValueError(f"split must be one of {sorted(RELEASED_FILES)}. Received: split={split!r}")
        path = RELEASED_DIR / RELEASED_FILES[split]
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("Filename", "Ground truth label", "Refereable") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: expected the columns {list(RELEASED_COLUMNS)}. Missing: {missing}. "
                             f"Received: {reader.fieldnames}")
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path}: no predictions (an empty table)")
    return Predictions(
        filenames=np.array([row["Filename"] for row in rows]),
        labels=np.array([int(float(row["Ground truth label"])) for row in rows]),
        probabilities=np.array([float(row["Refereable"]) for row in rows]),
        seconds=np.array([float(row.get("Time") or "nan") for row in rows]),
    )


def sources_of(filenames):
    """The source data set of each "Dataset/imageid" name (an empty string where there is no "/")."""
    return np.array([name.split("/", 1)[0] if "/" in name else "" for name in filenames])


def _check_scores(labels, probabilities):
    y = np.asarray(labels).ravel()
    p = np.asarray(probabilities, dtype="float64").ravel()
    if y.shape != p.shape or y.size == 0:
        raise ValueError(f"labels and probabilities must be equal-length and non-empty. "
                         f"Received: {y.shape} and {p.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels must be 0 (non-referable) or 1 (referable). Received: {np.unique(y)[:10]}")
    if not np.all(np.isfinite(p)):
        raise ValueError("probabilities contain NaN or infinite values")
    return y.astype(int), p


def _weighted_aucs(labels, scores, weights):
    """ROC AUC for each row of `weights` (bootstrap counts), ties counted half (= sklearn's).

    The scores are sorted once; each replicate is then a weighted Mann-Whitney statistic in O(n).
    """
    order = np.argsort(scores, kind="mergesort")
    s, y = scores[order], labels[order]
    w = weights[:, order].astype("float64")
    # Group tied scores: within a group, a positive beats half of the negatives.
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * (1 - y), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    pairs = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a replicate with one class: NaN, dropped by the caller
        return (pos * (below + 0.5 * neg)).sum(axis=1) / pairs


def auc_with_ci(labels, probabilities, n_bootstrap=2000, confidence=0.95, seed=0):
    """ROC AUC (scikit-learn) with a percentile-bootstrap interval over images.

    Args:
        labels: (n,) 0/1 (1 = referable).
        probabilities: (n,) scores of the positive class (any monotone score works).
        n_bootstrap: int. Bootstrap replicates (resampling images with replacement). Defaults to 2000.
        confidence: float. Defaults to 0.95.
        seed: int. Defaults to 0.

    Returns:
        (auc, low, high).
    """
    from sklearn.metrics import roc_auc_score

    y, p = _check_scores(labels, probabilities)
    if y.min() == y.max():
        raise ValueError("the AUC needs both classes among the labels. Received: only class "
                         f"{int(y[0])} ({len(y)} images)")
    auc = float(roc_auc_score(y, p))
    rng = np.random.default_rng(seed)
    replicates = []
    for start in range(0, n_bootstrap, 50):  # 50 replicates at a time bounds the memory
        counts = np.stack([np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y))
                           for _ in range(min(50, n_bootstrap - start))])
        replicates.append(_weighted_aucs(y, p, counts))
    replicates = np.concatenate(replicates)
    replicates = replicates[np.isfinite(replicates)]  # a replicate with one class has no AUC
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return auc, float(low), float(high)


def operating_point(labels, probabilities, threshold=None, sensitivity=None, specificity=None):
    """Sensitivity and specificity at a threshold, or at the threshold reaching a target.

    Exactly one of `threshold`, `sensitivity`, `specificity` is given. A target sensitivity picks
    the highest threshold whose sensitivity reaches it (the most specific such point of
    `sklearn.metrics.roc_curve`); a target specificity the lowest threshold whose specificity
    reaches it. An image is called referable when its probability is >= the threshold.

    Args:
        labels: (n,) 0/1.
        probabilities: (n,) probabilities of referable.
        threshold: float or None.
        sensitivity: float or None. Target sensitivity, e.g. 0.85.
        specificity: float or None. Target specificity, e.g. 0.80.

    Returns:
        dict: "threshold", "sensitivity", "specificity", "ppv", "npv", "referred_fraction".
    """
    from sklearn.metrics import roc_curve

    y, p = _check_scores(labels, probabilities)
    if sum(v is not None for v in (threshold, sensitivity, specificity)) != 1:
        raise ValueError("give exactly one of threshold, sensitivity, specificity. Received: "
                         f"threshold={threshold}, sensitivity={sensitivity}, specificity={specificity}")
    if threshold is None:
        fpr, tpr, thresholds = roc_curve(y, p, drop_intermediate=False)
        if sensitivity is not None:
            threshold = thresholds[np.flatnonzero(tpr >= sensitivity)[0]]
        else:
            threshold = thresholds[np.flatnonzero(1 - fpr >= specificity)[-1]]
        threshold = float(min(threshold, 1.0)) if np.isfinite(threshold) else 1.0
    called = p >= threshold
    tp, fn = int(np.sum(called & (y == 1))), int(np.sum(~called & (y == 1)))
    tn, fp = int(np.sum(~called & (y == 0))), int(np.sum(called & (y == 0)))
    ratio = lambda a, b: float(a / (a + b)) if a + b else float("nan")  # noqa: E731
    return {"threshold": float(threshold), "sensitivity": ratio(tp, fn), "specificity": ratio(tn, fp),
            "ppv": ratio(tp, fp), "npv": ratio(tn, fn), "referred_fraction": float(called.mean())}


def screening_target(labels, probabilities, sensitivity=SCREENING_SENSITIVITY, specificity=SCREENING_SPECIFICITY):
    """Whether one threshold reaches both the target sensitivity and specificity (85 % / 80 %).

    Returns:
        dict: "at_sensitivity" (the `operating_point` at the target sensitivity), "at_specificity",
        and "meets_target" (True when the specificity at the target sensitivity reaches its target).
    """
    at_sensitivity = operating_point(labels, probabilities, sensitivity=sensitivity)
    at_specificity = operating_point(labels, probabilities, specificity=specificity)
    return {"target": {"sensitivity": sensitivity, "specificity": specificity},
            "at_sensitivity": at_sensitivity, "at_specificity": at_specificity,
            "meets_target": bool(at_sensitivity["specificity"] >= specificity)}


def per_source_auc(labels, probabilities, sources):
    """{source: {"auc", "n", "positives"}}: the AUC of each source (None where it has one class)."""
    from sklearn.metrics import roc_auc_score

    y, p = _check_scores(labels, probabilities)
    sources = np.asarray(sources)
    results = {}
    for source in sorted(set(sources.tolist())):
        chosen = sources == source
        both = 0 < y[chosen].sum() < chosen.sum()
        results[source] = {"auc": float(roc_auc_score(y[chosen], p[chosen])) if both else None,
                           "n": int(chosen.sum()), "positives": int(y[chosen].sum())}
    return results


def patient_ids(filenames):
    """The patient of each "Dataset/imageid": shared by both eyes where the set's names say so.

    Kaggle/EyePACS names its images "<patient>_left" / "<patient>_right" and DeepDRiD
    "<patient>_l1" ... "<patient>_r2"; every other image is its own patient (its names carry no
    patient). Patients are prefixed with their data set so that ids never collide across sets.
    """
    patients = []
    for name in filenames:
        source, _, image = name.partition("/") if "/" in name else ("", "", name)
        pattern = _PATIENT_PATTERNS.get(source)
        match = pattern.match(image) if pattern else None
        patients.append(f"{source}/patient_{match.group(1)}" if match else name)
    return np.array(patients)


def patient_level(labels, probabilities, patients):
    """Pool the eyes of each patient: referable if either eye is; the patient's score is the highest.

    Returns:
        (patient ids, labels, probabilities), one entry per patient in sorted order.
    """
    y, p = _check_scores(labels, probabilities)
    patients = np.asarray(patients)
    unique, index = np.unique(patients, return_inverse=True)
    pooled_y = np.zeros(len(unique), int)
    pooled_p = np.zeros(len(unique))
    np.maximum.at(pooled_y, index, y)
    np.maximum.at(pooled_p, index, p)
    return unique, pooled_y, pooled_p


def binary_entropy(probabilities):
    """Predictive entropy (nats) of a referable probability: 0 when certain, log 2 at 0.5."""
    p = np.clip(np.asarray(probabilities, dtype="float64"), 1e-12, 1 - 1e-12)
    return -(p * np.log(p) + (1 - p) * np.log(1 - p))


def referral_curve(labels, probabilities, uncertainty, fractions=REFERRAL_FRACTIONS):
    """AUC of the retained images as the most uncertain fraction is referred to a human grader.

    Args:
        labels: (n,) 0/1.
        probabilities: (n,) probabilities of referable.
        uncertainty: (n,) larger = less sure (MC-dropout spread, TTA spread, entropy...).
        fractions: referred fractions. Defaults to 0, 0.05, ..., 0.5.

    Returns:
        dict: "fractions", "auc" (None where the retained images have one class), "retained".
    """
    from sklearn.metrics import roc_auc_score

    y, p = _check_scores(labels, probabilities)
    u = np.asarray(uncertainty, dtype="float64").ravel()
    if u.shape != y.shape:
        raise ValueError(f"uncertainty needs one value per image. Received: {u.shape} for {y.shape[0]} images")
    order = np.argsort(u, kind="mergesort")  # most certain first
    aucs, retained = [], []
    for fraction in fractions:
        keep = order[: int(round(len(y) * (1 - fraction)))]
        both = 0 < y[keep].sum() < len(keep)
        aucs.append(float(roc_auc_score(y[keep], p[keep])) if both else None)
        retained.append(int(len(keep)))
    return {"fractions": [float(f) for f in fractions], "auc": aucs, "retained": retained}


def screening_report(labels, probabilities, filenames=None, uncertainty=None, n_bootstrap=2000, seed=0):
    """Everything a screening evaluation reports, as one JSON-ready dict.

    Args:
        labels: (n,) 0/1 (1 = referable).
        probabilities: (n,) probabilities of referable.
        filenames: (n,) "Dataset/imageid" or None: adds the per-source AUC and the patient level.
        uncertainty: (n,) or None. None uses the predictive entropy of `probabilities`.
        n_bootstrap: int. Defaults to 2000.
        seed: int. Defaults to 0.

    Returns:
        dict: "n", "positives", "auc", "auc_ci", "accuracy" (at 0.5), "at_0.5", "screening"
        (`screening_target`), "ece" (15 bins), "referral", and with filenames "per_source" and
        "patient_level".

    Example:
    ```python
    released = load_released_predictions("validation")
    results = screening_report(released.labels, released.probabilities, filenames=released.filenames)
    results["auc"], results["ece"], results["patient_level"]["auc"]
    ```
    """
    y, p = _check_scores(labels, probabilities)
    auc, low, high = auc_with_ci(y, p, n_bootstrap=n_bootstrap, seed=seed)
    uncertainty = binary_entropy(p) if uncertainty is None else uncertainty
    results = {
        "n": int(len(y)), "positives": int(y.sum()), "auc": auc, "auc_ci": (low, high),
        "accuracy": float(np.mean((p >= 0.5) == y)), "at_0.5": operating_point(y, p, threshold=0.5),
        "screening": screening_target(y, p), "ece": expected_calibration_error(p, y),
        "referral": referral_curve(y, p, uncertainty),
    }
    if filenames is not None:
        filenames = np.asarray(filenames)
        results["per_source"] = per_source_auc(y, p, sources_of(filenames))
        patients, patient_y, patient_p = patient_level(y, p, patient_ids(filenames))
        results["patient_level"] = {"n": int(len(patients)), "positives": int(patient_y.sum()),
                                    "auc": auc_with_ci(patient_y, patient_p, n_bootstrap, seed=seed)[0],
                                    "screening": screening_target(patient_y, patient_p)}
    return results


def _figure(size=(5.0, 4.6), columns=1):
    # A bare Figure (no pyplot): works headless and leaves a notebook's inline backend alone.
    from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    return figure, figure.subplots(1, columns)


def _save(figure, path):
    figure.tight_layout()
    return save_figure(figure, path, dpi=120)


def roc_figure(curves, title="ROC", operating_points=None):
    """A matplotlib Figure of ROC curves: `curves` = {name: (labels, probabilities)}.

    Args:
        curves: dict {name: (labels, probabilities)}; the legend gives each AUC.
        title: str.
        operating_points: dict {name: `operating_point` dict} or None: marked on the plot.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    figure, axis = _figure()
    for name, (labels, probabilities) in curves.items():
        fpr, tpr, _ = roc_curve(labels, probabilities)
        label = textwrap.fill(f"{name} (AUC {roc_auc_score(labels, probabilities):.3f})", 48)
        axis.plot(fpr, tpr, lw=1.5, label=label)
    for name, point in (operating_points or {}).items():
        axis.plot(1 - point["specificity"], point["sensitivity"], "o", label=name)
    axis.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="chance (AUC 0.5)")
    axis.axhline(SCREENING_SENSITIVITY, color="0.85", lw=0.8)
    axis.axvline(1 - SCREENING_SPECIFICITY, color="0.85", lw=0.8)
    axis.set_xlabel("1 - specificity")
    axis.set_ylabel("sensitivity (referable DR)")
    axis.set_title(textwrap.fill(title, 60), fontsize=10)
    axis.legend(fontsize=7, loc="lower right")
    return figure


def plot_roc(curves, path, title="ROC", operating_points=None):
    """Save `roc_figure(curves, title, operating_points)` as a PNG; returns the path."""
    return _save(roc_figure(curves, title, operating_points), path)


def referral_figure(curves, title="Referral curve"):
    """A Figure of referral curves: `curves` = {name: `referral_curve` dict}."""
    figure, axis = _figure()
    for name, curve in curves.items():
        points = [(f, a) for f, a in zip(curve["fractions"], curve["auc"]) if a is not None]
        axis.plot([100 * f for f, _ in points], [a for _, a in points], "o-", ms=3, label=textwrap.fill(name, 48))
    axis.set_xlabel("referred to a grader: most uncertain images (%)")
    axis.set_ylabel("AUC of the retained images")
    axis.set_title(textwrap.fill(title, 60), fontsize=10)
    axis.legend(fontsize=8)
    return figure


def plot_referral_curve(curves, path, title="Referral curve"):
    """Save `referral_figure(curves, title)` as a PNG; returns the path."""
    return _save(referral_figure(curves, title), path)


CHANCE = "chance"  # P(referable) = 0.5 for every image


def headline_metrics(results):
    """The scalar metrics of a `screening_report`: what `report` puts beside the baselines.

    Args:
        results: dict. A `screening_report` result.

    Returns:
        dict: "n", "positives", "auc", "auc_ci_low", "auc_ci_high", "accuracy" (at 0.5),
        "specificity_at_85_sensitivity", "sensitivity_at_80_specificity", "ece",
        "auc_20pct_referred" (the AUC once the 20 % most uncertain images are referred).

    Example:
    ```python
    results = screening_report([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9], n_bootstrap=20)
    headline_metrics(results)["auc"]   # 0.75
    ```
    """
    screening = results["screening"]
    referral = results["referral"]
    return {"n": results["n"], "positives": results["positives"], "auc": results["auc"],
            "auc_ci_low": results["auc_ci"][0], "auc_ci_high": results["auc_ci"][1],
            "accuracy": results["accuracy"],
            "specificity_at_85_sensitivity": screening["at_sensitivity"]["specificity"],
            "sensitivity_at_80_specificity": screening["at_specificity"]["sensitivity"],
            "ece": results["ece"], "auc_20pct_referred": referral["auc"][referral["fractions"].index(0.2)]}


def chance_baseline(labels, n_bootstrap=2000, seed=0):
    """The non-learned baseline: P(referable) = 0.5 for every image, scored like a model.

    A constant ranks no image above another: AUC 0.5 (its interval too), 0 specificity at 85 %
    sensitivity (every image must be referred), 0 sensitivity at 80 % specificity, calibration
    error |prevalence - 0.5|, accuracy at 0.5 the prevalence (every image called referable).

    Args:
        labels: (n,) 0/1 with both classes.
        n_bootstrap: int. Defaults to 2000.
        seed: int. Defaults to 0.

    Returns:
        dict with the keys of `headline_metrics`.

    Example:
    ```python
    chance_baseline([0, 0, 0, 1], n_bootstrap=20)["ece"]   # 0.25
    ```
    """
    y = np.asarray(labels)
    return headline_metrics(screening_report(y, np.full(y.shape, 0.5), n_bootstrap=n_bootstrap, seed=seed))


def report_predictions(labels, probabilities, output_dir, title, filenames=None, uncertainty=None, n_bootstrap=2000,
                       seed=0, figures=(), details=None):
    """Per-image predictions already made (the paper's released ones, a model's) scored beside chance.

    Writes `roc.png`, `referral_curve.png` and `report.json` (`core.evaluation.report_result`) in
    `output_dir`.

    Args:
        labels: (n,) 0/1 (1 = referable), both classes present.
        probabilities: (n,) P(referable).
        output_dir: str or Path.
        title: str. What was evaluated on what (the plots' title too).
        filenames: (n,) "Dataset/imageid" or None: adds the per-source and patient-level results.
        uncertainty: (n,) or None (the predictive entropy): orders the referral curve.
        n_bootstrap: int. Replicates of the AUC's 95 % interval. Defaults to 2000.
        seed: int. Defaults to 0.
        figures: sequence of paths. More PNGs already written (e.g. a Grad-CAM). Defaults to ().
        details: dict or None. More details to keep in the JSON. Defaults to None.

    Returns:
        dict (`report_result`): "metrics" (`headline_metrics`), "baselines" ({CHANCE: the same
        metrics of `chance_baseline`}), "figures", "details" (the whole `screening_report`:
        operating points, referral curve, per source, patient level), "report_json".

    Example:
    ```python
    released = load_released_predictions("validation")
    result = report_predictions(released.labels, released.probabilities, "runs/released",
                                "released validation predictions", filenames=released.filenames)
    result["metrics"]["auc"], result["baselines"][CHANCE]["auc"]   # 0.972, 0.5
    ```
    """
    output_dir = pathlib.Path(output_dir)
    results = screening_report(labels, probabilities, filenames, uncertainty, n_bootstrap, seed)
    roc = plot_roc({title: (labels, probabilities)}, output_dir / "roc.png", title=title, operating_points={
        "at 85 % sensitivity": results["screening"]["at_sensitivity"]})
    referral = plot_referral_curve({title: results["referral"]}, output_dir / "referral_curve.png",
                                   title=f"{title}: referral by uncertainty")
    return report_result(title, headline_metrics(results), {CHANCE: chance_baseline(labels, n_bootstrap, seed)},
                         [roc, referral, *figures], output_dir, details={**results, **(details or {})})


def _test_split(data):
    if isinstance(data, FundusData):
        return data.test, data.source + (" — SYNTHETIC photographs" if data.synthetic else "")
    if isinstance(data, FundusSplit):
        return data, None
    raise ValueError(f"report needs a FundusData (its test split is scored) or a FundusSplit. "
                     f"Received: data={type(data).__name__}")


def gradcam_figure(photograph, heat, title="Grad-CAM", probability=None):
    """A Figure: the photograph beside it with the Grad-CAM heat overlaid inside its field of view.

    Args:
        photograph: uint8 `(H, W, 3)` (or float in [0, 1]).
        heat: `(H, W)` in [0, 1], 0 outside the field of view (`explain`).
        title: str.
        probability: float or None: shown in the title.
    """
    image = np.asarray(photograph)
    image = image / 255.0 if image.dtype == np.uint8 else np.clip(image, 0, 1)
    figure, (left, right) = _figure(size=(8.0, 4.2), columns=2)
    left.imshow(image)
    left.set_title("photograph", fontsize=10)
    right.imshow(image)
    # The heat's colour, opaque in proportion to the heat: the photograph shows through where it is cold.
    from matplotlib import colormaps

    heat = np.clip(np.asarray(heat, np.float32), 0, 1)
    overlay = colormaps["jet"](heat)
    overlay[..., 3] = 0.6 * heat
    right.imshow(overlay)
    suffix = f": P(referable) {probability:.2f}" if probability is not None else ""
    right.set_title(textwrap.fill(f"{title}{suffix}", 48), fontsize=10)
    for axis in (left, right):
        axis.axis("off")
    return figure


def explain(model, photograph):
    """Grad-CAM of a `DRClassifier` on one photograph, inside the eye, drawn onto the photograph.

    The photograph is preprocessed as `predict` does; the heat is computed on the model's input
    inside the field of view only (`preprocessing.input_fov_mask`: not Graham's grey, not the
    padding, not the dark border) and mapped back onto the photograph's pixels.

    Args:
        model: DRClassifier.
        photograph: uint8 `(H, W, 3)` (`read_fundus`).

    Returns:
        (probability, heat): P(referable) (float) and the heat `(H, W)` in [0, 1], 0 outside the FOV.

    Example:
    ```python
    p, heat = explain(DRClassifier.from_preset("dr_synthetic_small"), read_fundus("retina.jpg"))
    gradcam_figure(read_fundus("retina.jpg"), heat, probability=p).savefig("overlay.png")
    ```
    """
    from domains.fundus.preprocessing import input_fov_mask, input_to_photograph, preprocess

    x = np.asarray(preprocess(photograph, model.image_size, radius=model.graham_radius))
    mask = input_fov_mask(photograph, model.image_size, model.graham_radius)
    heat = model.grad_cam(x, mask=mask)
    probability = float(model.referable_probability(x[np.newaxis])[0])
    on_photo = input_to_photograph(heat, photograph, radius=model.graham_radius)
    top = float(on_photo.max())
    return probability, (on_photo / top if top > 0 else on_photo)


def save_gradcam(model, photograph, path, title="Grad-CAM", probability=None):
    """`explain` a photograph and write its overlay PNG (at most 1024 px a side) to `path`; returns P(referable).

    Args:
        model: DRClassifier.
        photograph: uint8 `(H, W, 3)`.
        path: str or Path of the PNG.
        title: str.
        probability: float or None: the P(referable) to show (e.g. the TTA mean `predict` prints);
            None: the model's single pass, `explain`'s.
    """
    single, heat = explain(model, photograph)
    probability = single if probability is None else float(probability)
    step = max(1, int(np.ceil(max(np.shape(photograph)[:2]) / 1024)))
    _save(gradcam_figure(np.asarray(photograph)[::step, ::step], heat[::step, ::step], title, probability), path)
    return probability


def _read(path):
    from domains.fundus.preprocessing import read_fundus

    return read_fundus(path)


def report(model, data, output_dir, title, uncertainty="tta", samples=8, n_bootstrap=2000, seed=0):
    """A `DRClassifier` on a test split: `report_predictions` with its uncertainty, plus a Grad-CAM PNG.

    Args:
        model: DRClassifier.
        data: FundusData (its test split is scored) or FundusSplit; preprocessed here at the
            model's input size and Graham radius.
        output_dir: str or Path. Gets `report.json`, `roc.png`, `referral_curve.png`, `gradcam.png`.
        title: str. What was evaluated on what.
        uncertainty: "tta", "mc_dropout" or "none" (the predictive entropy). Defaults to "tta".
        samples: int. Passes of the uncertainty method. Defaults to 8.
        n_bootstrap: int. Defaults to 2000.
        seed: int. Defaults to 0.

    Returns:
        dict (`report_result`): "metrics" (AUC, its 95 % interval, specificity at 85 % sensitivity,
        sensitivity at 80 % specificity, ECE, AUC with 20 % referred, ...), "baselines" (chance),
        "figures", "details" (the `screening_report`, the data, the uncertainty method).

    Example:
    ```python
    from domains.fundus import DRClassifier, synthetic_data
    model = DRClassifier.from_preset("dr_synthetic_small")
    result = report(model, synthetic_data(0, 0, 200), "runs/fundus", "preset on 200 SYNTHETIC drawings")
    result["metrics"]["auc"], result["baselines"][CHANCE]["auc"]   # 0.995, 0.5
    ```
    """
    split, source = _test_split(data)
    if uncertainty not in ("tta", "mc_dropout", "none"):
        raise ValueError(f"uncertainty must be tta, mc_dropout or none. Received: uncertainty={uncertainty!r}")
    images = preprocessed_images(split, model.image_size, model.graham_radius)
    labels = np.asarray(split.labels)
    if uncertainty == "none":
        probabilities, spread = model.referable_probability(images), None
    else:
        probabilities, spread = model.predict_with_uncertainty(images, method=uncertainty, samples=samples, seed=seed)
    # Explain the most confident referable prediction among the referable images (else the first image).
    positives = np.flatnonzero(labels == 1)
    index = int(positives[np.argmax(probabilities[positives])]) if len(positives) else 0
    photograph = split.images[index] if split.images is not None else _read(split.paths[index])
    gradcam = pathlib.Path(output_dir) / "gradcam.png"
    save_gradcam(model, photograph, gradcam, title=f"{title}: Grad-CAM")
    details = {"uncertainty": uncertainty, "samples": samples if uncertainty != "none" else None}
    if source is not None:
        details["data"] = source
    return report_predictions(labels, probabilities, output_dir, title, filenames=split.filenames, uncertainty=spread,
                              n_bootstrap=n_bootstrap, seed=seed, figures=[gradcam], details=details)


def main(argv=None):
    """`python -m domains.fundus.evaluation [test|validation] [OUTPUT_DIR]`: the fidelity check, printed and saved.

    Args:
        argv: list of str or None (the command line).

    Example:
    ```python
    main(["validation", "runs/released_validation"])   # prints the AUC beside the paper's; returns 0
    ```
    """
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    split = args[0] if args else "test"
    released = load_released_predictions(split)
    result = report_predictions(released.labels, released.probabilities,
                                args[1] if len(args) > 1 else f"runs/released_{split}",
                                f"Castilla et al. 2022, released {split} predictions", filenames=released.filenames)
    metrics, details = result["metrics"], result["details"]
    print(f"{split}: AUC {metrics['auc']:.4f} [{metrics['auc_ci_low']:.4f}, {metrics['auc_ci_high']:.4f}] "
          f"(paper: test {PAPER['test_auc']} {list(PAPER['test_auc_ci'])}, validation {PAPER['validation_auc']})")
    for source, values in details["per_source"].items():
        paper = PAPER["per_source_auc"].get(source)
        print(f"  {source:10s} n={values['n']:6d}  AUC {values['auc']:.4f}" + (f"  (paper {paper})" if paper else ""))
    print(f"  specificity at 85 % sensitivity {metrics['specificity_at_85_sensitivity']:.3f}; sensitivity at 80 % "
          f"specificity {metrics['sensitivity_at_80_specificity']:.3f}; ECE {metrics['ece']:.3f}; "
          f"patient-level AUC {details['patient_level']['auc']:.4f}; files in {result['report_json']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
