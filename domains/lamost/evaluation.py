"""Evaluation of RRNet-style models: errors and calibration per S/N bin, a constant baseline, repeated epochs.

- On labelled (SYNTHETIC) test spectra: MAE, bias and residual std per label, overall and per
  S/N bin, and the calibration of the predicted σ (std of z = (pred − true)/σ, ±1σ and ±2σ
  coverage) per bin (`core.regression.regression_report`), beside a constant predictor (the
  training labels' mean). `report` scores one model (RRNet, StarNet, an ensemble) and returns
  `core.evaluation.report_result`: its MAE / std(z) / ±1σ coverage per label at S/N ≥ 10 (the
  paper's headline cut) and the constant's MAE under the same keys; to compare models, call it
  once per model.
- On real files without labels: the predictions for repeated observations of one star (the
  shipped DR7 files hold four epochs of LAMOST J192814.09+435531.0) and their scatter against
  the predicted σ: a calibrated model scatters about as much as it claims.
- `float16_check`: the numbers of a model and of its copy with large weights stored in float16
  (how the `rrnet_synthetic` preset fits 10 MB).

The paper's precision at S/N ≥ 10 (LAMOST × APOGEE-Payne): Teff 88 K, log g 0.13 dex; SPEMR, a
later method: 47 K, 0.08 dex. Numbers measured here are on synthetic spectra and cannot be
compared one to one.

Example:
```python
from domains.lamost import RRNet
from domains.lamost.data import mrs_files, synthetic_splits
(test,) = synthetic_splits({"test": 200}, seed=0, splits=("test",))
result = report(RRNet.from_preset("rrnet_synthetic"), test, "runs/lamost-report", "preset, SYNTHETIC test",
                real_files=mrs_files())
result["metrics"]["Teff"]["mae"], result["baselines"]["constant (training mean)"]["Teff"]["mae"]
result["details"]["real_files"]["repeated_epochs"][0]["Teff_scatter_over_sigma"]
```
"""

import pathlib

import numpy as np

from core.evaluation import report_result, save_figure
from core.regression import bin_groups, regression_report
from domains.lamost.data import list_exposures, read_mrs
from domains.lamost.model import PAPER_PRECISION, inputs_for, uses_noise
from domains.lamost.preprocessing import preprocess
from domains.lamost.rv import measure_rv

SNR_EDGES = (5, 10, 20, 50, 150)
HEADLINE_GROUP = "S/N ≥ 10"
HEADLINE_METRICS = ("mae", "z_std", "coverage_1sigma")
CONSTANT = "constant (training mean)"
FLOAT16_TOLERANCE = 0.01  # relative change of each label's MAE allowed by the float16 storage
SPEMR_PRECISION = {"Teff": 47.0, "logg": 0.08}
SAME_STAR_ARCSEC = 3.0
# Blue-arm S/N below which a real spectrum's row is flagged: the synthetic training spectra start at 5.
SNR_FLOOR = 5.0
# The synthetic generator's label range: a first prediction is clipped to it for the RV template.
TEMPLATE_RANGE = {"Teff": (4000.0, 7000.0), "logg": (1.0, 5.0), "[Fe/H]": (-1.5, 0.5)}


def snr_groups(snr, edges=SNR_EDGES):
    """{"S/N a–b": mask} bins of the blue-arm S/N, plus "S/N ≥ 10" (the paper's headline cut)."""
    groups = bin_groups(snr, edges, "S/N")
    groups[HEADLINE_GROUP] = np.asarray(snr) >= 10
    return groups


def compare_models(models, x, y, snr, label_names=None, constant=None):
    """`regression_report` of each model (and of a constant predictor) on the same test set, per S/N bin.

    Args:
        models: dict {name: model with `predict_gaussian` and `label_names`} (RRNet, StarNet,
            `core.tasks.GaussianEnsemble`).
        x: (n, 7200, 2) inputs.
        y: (n, labels) truths.
        snr: (n,) S/N.
        label_names: list or None (the first model's).
        constant: (labels,) or None. A constant prediction to score beside them (the training
            mean): the baseline that sees no spectrum.

    Returns:
        dict {name: report} (+ "constant (training mean)").
    """
    label_names = list(label_names or next(iter(models.values())).label_names)
    groups = snr_groups(snr)
    results = {}
    for name, model in models.items():
        mean, sigma = model.predict_gaussian(inputs_for(model, x))
        results[name] = regression_report(y, mean, sigma, label_names, groups)
        results[name]["predictions"] = {"mean": mean, "sigma": sigma}
    if constant is not None:
        prediction = np.broadcast_to(np.asarray(constant, "float64"), np.shape(y))
        results[CONSTANT] = regression_report(y, prediction, None, label_names, groups)
    return results


def _angular_distance_arcsec(ra1, dec1, ra2, dec2):
    ra1, dec1, ra2, dec2 = map(np.radians, (ra1, dec1, ra2, dec2))
    cos = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(ra1 - ra2)
    return np.degrees(np.arccos(np.clip(cos, -1, 1))) * 3600


def measured_snr(spectrum):
    """The blue arm's S/N measured from the data: the median of flux · √IVAR over its good pixels.

    An arm with no star in it (flux at the sky-subtracted zero, only noise) gives ≈ 0 whatever its
    header says.

    Args:
        spectrum: MRSSpectrum.
    """
    arm = spectrum.blue
    good = ~arm.masked
    return float(np.median(arm.flux[good] * np.sqrt(arm.ivar[good]))) if good.any() else 0.0


def _template_labels(row):
    """A first prediction's Teff, logg, [Fe/H] as template labels, inside the generator's range."""
    return {"Teff": float(np.clip(row["Teff"], *TEMPLATE_RANGE["Teff"])),
            "logg": float(np.clip(row["logg"], *TEMPLATE_RANGE["logg"])),
            "[Fe/H]": float(np.clip(row["[Fe/H]"], *TEMPLATE_RANGE["[Fe/H]"]))}


def predict_files(model, paths, rv=None, exposures=False, snr_floor=SNR_FLOOR, refine_rv=True, calibration=None,
                  ood=None):
    """Predict labels ± σ for real MRS files (co-adds, or also every single exposure), at their measured RV.

    Unless `rv` is given, each spectrum's radial velocity is measured from its own two arms
    (`domains.lamost.rv.measure_rv`, template at `TEMPLATE_LABELS`); with `refine_rv` and a model
    that predicts Teff, log g and [Fe/H], the RV is measured again against the template at the
    first prediction's labels, and the spectrum predicted again at that RV. A spectrum whose S/N
    (header, or measured when the header has none) is below `snr_floor`, whose arms' RVs disagree or
    whose RV could not be measured is still predicted, and its row's "flag" says why it should not
    be trusted.

    Args:
        model: RRNet, StarNet or an ensemble.
        paths: list of file paths.
        rv: None (measure), float or one per spectrum (km/s: given, e.g. the catalogue's `rv_ku0`).
            Defaults to None.
        exposures: bool. Also each exposure of each file. Defaults to False.
        snr_floor: float. Blue-arm S/N below which a row is flagged. Defaults to 5 (the lowest S/N
            of the synthetic training spectra).
        refine_rv: bool. Second RV pass at the predicted labels. Defaults to True.
        calibration: `domains.lamost.calibration.SNRCalibration` or None. Scales each σ by the
            spectrum's S/N bin (`scripts/lamost_snr_calibration.py` fits one). Defaults to None.
        ood: `domains.lamost.ood.OODScore` (calibrated) or None. Adds each row's "ood_score" and
            flags the spectra above its threshold (`scripts/lamost_ood.py` fits one). Defaults to None.

    Returns:
        list of dicts: "file", "source", "designation", "mjd", "ra", "dec", "snr", "snr_red",
        "snr_measured", "masked_pixels", "rv_source" ("measured" or "given"), "rv", "rv_error",
        "rv_blue", "rv_blue_error", "rv_red", "rv_red_error", "rv_arms_agree" (NaN / None when given),
        per label "<label>" and "<label>_sigma", and "flag" ("" when nothing is wrong).

    Example:
    ```python
    rows = predict_files(RRNet.from_preset("rrnet_synthetic"), mrs_files())
    rows[1]["rv"], rows[1]["rv_error"], rows[1]["Teff"], rows[1]["flag"]
    ```
    """
    spectra = []
    for path in paths:
        spectra.append(read_mrs(path))
        if exposures:
            spectra.extend(read_mrs(path, exposure=lmjm) for lmjm in list_exposures(path))
    given = rv is not None
    if given:
        velocities = np.broadcast_to(np.asarray(rv, "float64"), (len(spectra),))
        measurements = [None] * len(spectra)
    else:
        measurements = [measure_rv(spectrum) for spectrum in spectra]
        velocities = np.array([m.rv for m in measurements])
    batch = preprocess(spectra, rv=velocities, noise=uses_noise(model))
    mean, sigma = model.predict_gaussian(batch.model_input(noise=uses_noise(model)))
    labels = list(model.label_names)
    if not given and refine_rv and all(name in labels for name in TEMPLATE_RANGE):
        first = [dict(zip(labels, row)) for row in mean]
        measurements = [measure_rv(spectrum, labels=_template_labels(row)) for spectrum, row in zip(spectra, first)]
        velocities = np.array([m.rv for m in measurements])
        batch = preprocess(spectra, rv=velocities, noise=uses_noise(model))
        mean, sigma = model.predict_gaussian(batch.model_input(noise=uses_noise(model)))
    measured = [measured_snr(spectrum) for spectrum in spectra]
    snrs = np.array([s.snr[0] if np.isfinite(s.snr[0]) else m for s, m in zip(spectra, measured)])
    if calibration is not None:
        if list(calibration.label_names) != labels:
            raise ValueError(f"the S/N calibration is for {calibration.label_names}, the model predicts {labels}. "
                             f"Received: calibration.label_names={calibration.label_names}")
        sigma = calibration.apply(sigma, snrs)
    scores = ood.score(model, batch.model_input(noise=uses_noise(model))) if ood is not None else None
    ood_flags = ood.flags(scores) if ood is not None else None
    rows = []
    for i, spectrum in enumerate(spectra):
        snr = snrs[i]
        row = {"file": pathlib.Path(spectrum.path).name, "source": spectrum.source, "designation": spectrum.designation,
               "mjd": spectrum.mjd, "ra": spectrum.ra, "dec": spectrum.dec, "snr": spectrum.snr[0],
               "snr_red": spectrum.snr[1], "snr_measured": round(measured[i], 2),
               "masked_pixels": int(batch.masked_counts[i])}
        if given:
            row.update({"rv_source": "given", "rv": float(velocities[i])})
        else:
            row.update({"rv_source": "measured", **measurements[i].as_row()})
        flags = []
        if not snr >= snr_floor:
            flags.append(f"S/N {snr:.1f} below the floor {snr_floor:g}")
        if not given and not np.isfinite(measurements[i].rv_error):
            flags.append("RV not measured")
        elif not given and not measurements[i].arms_agree:
            m = measurements[i]
            lost = [name for name, arm in (("blue", m.blue), ("red", m.red)) if not np.isfinite(arm.error)]
            flags.append(f"no RV from the {lost[0]} arm" if lost else
                         f"the arms' RVs disagree (blue {m.blue.rv:.1f} ± {m.blue.error:.1f}, "
                         f"red {m.red.rv:.1f} ± {m.red.error:.1f} km/s)")
        if ood is not None:
            row["ood_score"] = round(float(scores[i]), 3)
            flags += [ood_flags[i]] if ood_flags[i] else []
        for j, name in enumerate(labels):
            row[name], row[f"{name}_sigma"] = float(mean[i, j]), float(sigma[i, j])
        row["flag"] = "; ".join(flags)
        rows.append(row)
    return rows


def repeated_epochs(rows, label_names):
    """Scatter of the predictions of each star observed more than once, against the predicted σ.

    Stars are matched by position (within 3″: a target may change designation between plans).

    Args:
        rows: `predict_files` rows (co-adds).
        label_names: list of str.

    Returns:
        list of dicts per star: "designation", "epochs", and per label "<label>_mean",
        "<label>_scatter" (std over epochs, ddof 1), "<label>_mean_sigma" and
        "<label>_scatter_over_sigma".
    """
    stars = []
    for row in rows:
        for star in stars:
            if _angular_distance_arcsec(star[0]["ra"], star[0]["dec"], row["ra"], row["dec"]) < SAME_STAR_ARCSEC:
                star.append(row)
                break
        else:
            stars.append([row])
    out = []
    for star in stars:
        if len(star) < 2:
            continue
        entry = {"designation": star[0]["designation"], "epochs": len(star)}
        for name in label_names:
            values = np.array([r[name] for r in star])
            sigmas = np.array([r[f"{name}_sigma"] for r in star])
            entry[f"{name}_mean"] = float(values.mean())
            entry[f"{name}_scatter"] = float(values.std(ddof=1))
            entry[f"{name}_mean_sigma"] = float(sigmas.mean())
            entry[f"{name}_scatter_over_sigma"] = float(values.std(ddof=1) / sigmas.mean())
        out.append(entry)
    return out


def _figure(rows, cols, size):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(size[0] * cols, size[1] * rows), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    return figure, axes


def plot_predictions(y, results, snr, label_names, path, title=""):
    """Predicted vs true per label (colour: S/N), one row per model; returns the PNG path."""
    models = [name for name in results if "predictions" in results[name]]
    figure, axes = _figure(len(models), len(label_names), (3.6, 3.4))
    for r, name in enumerate(models):
        mean = results[name]["predictions"]["mean"]
        for j, label in enumerate(label_names):
            axis = axes[r, j]
            low, high = np.percentile(y[:, j], [0.5, 99.5])
            axis.plot([low, high], [low, high], color="0.4", lw=1, ls="--")
            points = axis.scatter(y[:, j], mean[:, j], c=np.log10(snr), s=4, cmap="viridis", alpha=0.7)
            m = results[name]["labels"][label]
            axis.set_title(f"{name}: {label}\nMAE {m['mae']:.3g}, σ_res {m['residual_std']:.3g}", fontsize=9)
            axis.set_xlabel(f"true {label}")
            axis.set_ylabel(f"predicted {label}")
    figure.colorbar(points, ax=axes[:, -1].tolist(), label="log10 S/N")
    figure.suptitle(title)
    return save_figure(figure, path, dpi=100)


def plot_snr_curves(results, label_names, path, title=""):
    """MAE and ±1σ coverage per S/N bin, every model on the same axes; returns the PNG path."""
    figure, axes = _figure(2, len(label_names), (3.6, 3.0))
    for name, report in results.items():
        bins = [g for g in report["groups"] if "–" in g]
        centres = [np.sqrt(np.prod([float(v) for v in g.split()[-1].split("–")])) for g in bins]
        for j, label in enumerate(label_names):
            axes[0, j].plot(centres, [report["groups"][g][label].get("mae", np.nan) for g in bins], "o-", label=name)
            if "coverage_1sigma" in report["labels"][label]:
                axes[1, j].plot(centres, [report["groups"][g][label].get("coverage_1sigma", np.nan) for g in bins],
                                "o-", label=name)
    for j, label in enumerate(label_names):
        axes[0, j].set_title(f"{label}: MAE by S/N", fontsize=9)
        axes[1, j].axhline(0.683, color="0.5", ls="--", lw=1)
        axes[1, j].set_title(f"{label}: ±1σ coverage (calibrated: 68.3 %)", fontsize=9)
        for axis in axes[:, j]:
            axis.set_xscale("log")
            axis.set_xticks(SNR_EDGES, [str(edge) for edge in SNR_EDGES])
            axis.minorticks_off()
            axis.set_xlabel("S/N (blue arm)")
    axes[0, 0].legend(fontsize=8)
    figure.suptitle(title)
    return save_figure(figure, path, dpi=100)


def _flat_row(name, report, label_names):
    row = {"model": name}
    for label in label_names:
        m = report["groups"][HEADLINE_GROUP][label]
        row[f"{label} MAE"] = f"{m['mae']:.3g}" if "mae" in m else "—"
        if "z_std" in m:
            row[f"{label} std(z)"] = f"{m['z_std']:.2f}"
            row[f"{label} ±1σ"] = f"{100 * m['coverage_1sigma']:.0f} %"
    return row


def training_mean(model):
    """The training labels' mean a model keeps (`target_mean`; an ensemble: its first member's), or None.

    Args:
        model: RRNet, StarNet or a `core.tasks.GaussianEnsemble` of them.

    Example:
    ```python
    training_mean(RRNet())   # the paper's label means (5055.2, 3.397, -0.193) until trained
    ```
    """
    for candidate in (model, *getattr(model, "members", ())[:1]):
        mean = getattr(candidate, "target_mean", None)
        if mean is not None:
            return np.asarray(mean, "float64")
    return None


def report(model, data, output_dir, title, name=None, constant=None, real_files=(), rv=None):
    """Score one model on labelled test spectra beside a constant predictor, and predict real files.

    Args:
        model: RRNet, StarNet or an ensemble (`predict_gaussian`, `label_names`).
        data: (x, y, snr) labelled test spectra (SYNTHETIC here).
        output_dir: str or Path. Gets `report.json`, `predictions.png`, `snr_curves.png`.
        title: str.
        name: str or None. The model's name in the plots and tables. Defaults to None (its class).
        constant: (labels,) or None. The constant baseline's prediction; None takes the training
            labels' mean the model keeps (`training_mean`). Defaults to None.
        real_files: paths of MRS files to predict (their repeated epochs are compared). Defaults to ().
        rv: radial velocities for the real files (km/s). Defaults to None (0).

    Returns:
        dict of `core.evaluation.report_result`: "metrics" {label: {"mae", "z_std",
        "coverage_1sigma"}} at S/N ≥ 10, "baselines" {"constant (training mean)": {label:
        {"mae"}}}, "figures" (the two PNGs), "details" (per-bin reports of both, a table beside
        the paper's precision, the real files' predictions and repeated epochs), "report_json".

    Raises:
        ValueError: no constant given and the model keeps no training mean.

    Example:
    ```python
    (test,) = synthetic_splits({"test": 200}, seed=0, splits=("test",))
    result = report(RRNet.from_preset("rrnet_synthetic"), test, "runs/report", "preset", real_files=mrs_files())
    result["metrics"]["logg"]["coverage_1sigma"], result["baselines"]["constant (training mean)"]["logg"]
    ```
    """
    output_dir = pathlib.Path(output_dir)
    x, y, snr = data
    name = name or type(model).__name__
    label_names = list(model.label_names)
    constant = training_mean(model) if constant is None else np.asarray(constant, "float64")
    if constant is None:
        raise ValueError(f"Give the constant baseline (the training labels' mean): {name} keeps none. "
                         f"Received: constant=None")
    results = compare_models({name: model}, x, y, snr, label_names, constant)
    figures = [plot_predictions(y, results, snr, label_names, output_dir / "predictions.png", title),
               plot_snr_curves(results, label_names, output_dir / "snr_curves.png", title)]
    headline, flat = results[name]["groups"][HEADLINE_GROUP], results[CONSTANT]["groups"][HEADLINE_GROUP]
    metrics = {label: {key: headline[label].get(key) for key in HEADLINE_METRICS} for label in label_names}
    baselines = {CONSTANT: {label: {"mae": flat[label].get("mae")} for label in label_names}}
    table = [_flat_row(row_name, r, label_names) for row_name, r in results.items()]
    table.append({"model": "paper RRNet (real LAMOST × APOGEE, S/N ≥ 10)",
                  **{f"{k} MAE": f"{v:g}" for k, v in PAPER_PRECISION.items() if k in label_names}})
    real = {}
    if real_files:
        rows = predict_files(model, list(real_files), rv=rv)
        real = {"predictions": rows, "repeated_epochs": repeated_epochs(rows, label_names)}
    details = {"data": "SYNTHETIC spectra (domains.lamost.synthetic)", "model": name, "n_test": int(len(y)),
               "headline_group": HEADLINE_GROUP, "constant": constant.tolist(), "table": table,
               "reports": {key: {k: v for k, v in r.items() if k != "predictions"} for key, r in results.items()},
               "real_files": real, "paper": PAPER_PRECISION, "spemr": SPEMR_PRECISION}
    return report_result(title, metrics, baselines, figures, output_dir, details)


def float16_check(model, data, folder, float16_from, tolerance=FLOAT16_TOLERANCE):
    """MAE per label of `model` and of its float16-stored copy on `data`; raises if they differ.

    The copy is `model` saved with its float32 weight arrays of >= `float16_from` values stored
    in float16 (`core.presets.store_float16`, as the preset ships), loaded back.

    Args:
        model: a trained RRNet or StarNet.
        data: (x, y, snr) held-out spectra.
        folder: str or Path. Scratch folder for the two `.keras` files.
        float16_from: int. Size from which an array is stored in float16.
        tolerance: float. Largest relative change of each label's MAE. Defaults to 0.01.

    Returns:
        dict: per label the two MAEs, and the largest change of a prediction (mean and σ).

    Raises:
        ValueError: a label's MAE moves by more than `tolerance` (relative).

    Example:
    ```python
    (test,) = synthetic_splits({"test": 200}, seed=0, splits=("test",))
    float16_check(trained_rrnet, test, "runs/scratch", float16_from=65536)["Teff"]["mae_float16"]
    ```
    """
    import keras

    from core.presets import store_float16

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    float32, float16 = folder / "float32.keras", folder / "float16.keras"
    model.save(float32)
    model.save(float16)
    store_float16(float16, float16_from)
    stored = keras.saving.load_model(float16, compile=False)
    x, y, _ = data
    x = inputs_for(model, x)
    (mean32, sigma32), (mean16, sigma16) = model.predict_gaussian(x), stored.predict_gaussian(x)
    check = {"tolerance": f"each label's MAE within {tolerance:.0%} of the float32 model's", "n_test": int(len(y))}
    for j, name in enumerate(model.label_names):
        mae32, mae16 = np.abs(mean32[:, j] - y[:, j]).mean(), np.abs(mean16[:, j] - y[:, j]).mean()
        check[name] = {"mae_float32": float(mae32), "mae_float16": float(mae16),
                       "max_mean_change": float(np.abs(mean16[:, j] - mean32[:, j]).max()),
                       "max_sigma_change": float(np.abs(sigma16[:, j] - sigma32[:, j]).max())}
        if abs(mae16 - mae32) > tolerance * mae32:
            raise ValueError(f"The float16 storage changes the {name} MAE from {mae32:.4g} to {mae16:.4g}, "
                             f"more than {tolerance:.0%}: not shipped. Received: float16_from={float16_from}")
    return check
