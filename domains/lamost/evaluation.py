"""Evaluation of RRNet-style models: errors and calibration per S/N bin, models side by side, repeated epochs.

- On labelled (SYNTHETIC) test spectra: MAE, bias and residual std per label, overall and per
  S/N bin, and the calibration of the predicted σ (std of z = (pred − true)/σ, ±1σ and ±2σ
  coverage) per bin (`core.regression.regression_report`), for each model given (RRNet, StarNet,
  an ensemble) beside a constant predictor (the training labels' mean).
- On real files without labels: the predictions for repeated observations of one star (the
  fixtures hold four epochs of LAMOST J192814.09+435531.0) and their scatter against the
  predicted σ: a calibrated model scatters about as much as it claims.

The paper's precision at S/N ≥ 10 (LAMOST × APOGEE-Payne): Teff 88 K, log g 0.13 dex; SPEMR, a
later method: 47 K, 0.08 dex. Numbers measured here are on synthetic spectra and cannot be
compared one to one.

Example:
```python
results = compare_models({"RRNet": rrnet, "StarNet": starnet}, x_test, y_test, snr_test)
results["RRNet"]["groups"]["S/N 10–20"]["Teff"]["mae"]
```
"""

import pathlib

import numpy as np

from core.evaluation import save_figure, save_report
from core.regression import bin_groups, regression_report
from domains.lamost.io import read_mrs
from domains.lamost.model import PAPER_PRECISION
from domains.lamost.preprocessing import preprocess

SNR_EDGES = (5, 10, 20, 50, 150)
SPEMR_PRECISION = {"Teff": 47.0, "logg": 0.08}
SAME_STAR_ARCSEC = 3.0


def snr_groups(snr, edges=SNR_EDGES):
    """{"S/N a–b": mask} bins of the blue-arm S/N, plus "S/N ≥ 10" (the paper's headline cut)."""
    groups = bin_groups(snr, edges, "S/N")
    groups["S/N ≥ 10"] = np.asarray(snr) >= 10
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
        mean, sigma = model.predict_gaussian(x)
        results[name] = regression_report(y, mean, sigma, label_names, groups)
        results[name]["predictions"] = {"mean": mean, "sigma": sigma}
    if constant is not None:
        prediction = np.broadcast_to(np.asarray(constant, "float64"), np.shape(y))
        results["constant (training mean)"] = regression_report(y, prediction, None, label_names, groups)
    return results


def _angular_distance_arcsec(ra1, dec1, ra2, dec2):
    ra1, dec1, ra2, dec2 = map(np.radians, (ra1, dec1, ra2, dec2))
    cos = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(ra1 - ra2)
    return np.degrees(np.arccos(np.clip(cos, -1, 1))) * 3600


def predict_files(model, paths, rv=None, exposures=False):
    """Predict labels ± σ for real MRS files (co-adds, or also every single exposure).

    Args:
        model: RRNet, StarNet or an ensemble.
        paths: list of file paths.
        rv: None, float or one per spectrum (km/s). Defaults to None (0).
        exposures: bool. Also each exposure of each file. Defaults to False.

    Returns:
        list of dicts: "file", "source", "designation", "mjd", "ra", "dec", "snr", "masked_pixels",
        and per label "<label>" and "<label>_sigma".
    """
    from domains.lamost.io import list_exposures

    spectra = []
    for path in paths:
        spectra.append(read_mrs(path))
        if exposures:
            spectra.extend(read_mrs(path, exposure=lmjm) for lmjm in list_exposures(path))
    batch = preprocess(spectra, rv=rv)
    mean, sigma = model.predict_gaussian(batch.model_input())
    rows = []
    for i, spectrum in enumerate(spectra):
        row = {"file": pathlib.Path(spectrum.path).name, "source": spectrum.source, "designation": spectrum.designation,
               "mjd": spectrum.mjd, "ra": spectrum.ra, "dec": spectrum.dec, "snr": spectrum.snr[0],
               "masked_pixels": int(batch.masked_counts[i])}
        for j, name in enumerate(model.label_names):
            row[name], row[f"{name}_sigma"] = float(mean[i, j]), float(sigma[i, j])
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
        m = report["groups"]["S/N ≥ 10"][label]
        row[f"{label} MAE"] = f"{m['mae']:.3g}" if "mae" in m else "—"
        if "z_std" in m:
            row[f"{label} std(z)"] = f"{m['z_std']:.2f}"
            row[f"{label} ±1σ"] = f"{100 * m['coverage_1sigma']:.0f} %"
    return row


def report(models, test, output_dir, title, constant=None, real_files=(), rv=None):
    """Evaluate on labelled test spectra and on real files: JSON, PNGs and a flat dict.

    Args:
        models: dict {name: model or ensemble}; the first is the headline.
        test: (x, y, snr) labelled test spectra (SYNTHETIC here).
        output_dir: str or Path. Gets `test_report.json`, `predictions.png`, `snr_curves.png`.
        title: str.
        constant: (labels,) or None. The constant baseline (training mean).
        real_files: paths of MRS files to predict (repeated epochs are compared). Defaults to ().
        rv: radial velocities for the real files (km/s). Defaults to None (0).

    Returns:
        dict: the headline model's MAE / std(z) / coverage at S/N ≥ 10 per label, a "table"
        (one row per model), paths.
    """
    output_dir = pathlib.Path(output_dir)
    x, y, snr = test
    headline = next(iter(models))
    label_names = list(models[headline].label_names)
    results = compare_models(models, x, y, snr, label_names, constant)
    predictions_png = plot_predictions(y, results, snr, label_names, output_dir / "predictions.png", title)
    curves_png = plot_snr_curves(results, label_names, output_dir / "snr_curves.png", title)
    table = [_flat_row(name, r, label_names) for name, r in results.items()]
    table.append({"model": "paper RRNet (real LAMOST × APOGEE, S/N ≥ 10)",
                  **{f"{k} MAE": f"{v:g}" for k, v in PAPER_PRECISION.items() if k in label_names}})
    saved = {name: {k: v for k, v in r.items() if k != "predictions"} for name, r in results.items()}
    real = {}
    if real_files:
        rows = predict_files(models[headline], list(real_files), rv=rv)
        real = {"predictions": rows, "repeated_epochs": repeated_epochs(rows, label_names)}
    save_report({"title": title, "data": "SYNTHETIC spectra (domains.lamost.synthetic)", "reports": saved,
                 "table": table, "real_files": real, "paper": PAPER_PRECISION, "spemr": SPEMR_PRECISION},
                output_dir / "test_report.json")
    flat = {"n_test": int(len(y))}
    for label in label_names:
        m = results[headline]["groups"]["S/N ≥ 10"][label]
        flat[f"{label}_mae_snr10"] = m.get("mae")
        flat[f"{label}_z_std_snr10"] = m.get("z_std")
        flat[f"{label}_coverage_1sigma_snr10"] = m.get("coverage_1sigma")
    for star in real.get("repeated_epochs", []):
        for label in label_names:
            flat[f"{star['designation']} {label} scatter/σ"] = round(star[f"{label}_scatter_over_sigma"], 2)
    flat.update(table=table, predictions_png=str(predictions_png), snr_curves_png=str(curves_png),
                report_json=str(output_dir / "test_report.json"))
    return flat
