"""Evaluation of SSIM regression: residuals, SSIM-range accuracy, and the plots a reader checks.

The paper's headline numbers (arXiv 2206.06725, ResNet-18 with contrast augmentation) are in
`domains.mri.quality.model.PAPER`: residuals (predicted - true SSIM) mu = -0.0009 and
sigma = 0.0139; accuracy 97 / 95 / 89 % for 3 / 5 / 10 SSIM-range classes.
"""

import pathlib

import numpy as np

from core.evaluation import classification_report, plot_confusion_matrix, save_report
from domains.mri.quality.model import BIN_COUNTS, PAPER, ssim_bins, ssim_to_class


def ssim_report(y_true, y_pred, ssim_range, bin_counts=BIN_COUNTS):
    """Residual statistics and SSIM-range classification of predicted vs true SSIM.

    Args:
        y_true: (n,) true SSIM.
        y_pred: (n,) predicted SSIM.
        ssim_range: (low, high) of the classes (the model's `ssim_range`).
        bin_counts: numbers of classes. Defaults to (3, 5, 10).

    Returns:
        dict: "n", "residual_mean", "residual_std" (population, ddof 0), "mae", "rmse",
        "pearson_r", and per k in `bin_counts`: "accuracy_k", "macro_f1_k", "confusion_k" (rows =
        true class; `core.evaluation.classification_report`) and "edges_k".
    """
    y_true = np.asarray(y_true, dtype="float64").ravel()
    y_pred = np.asarray(y_pred, dtype="float64").ravel()
    if y_true.shape != y_pred.shape or len(y_true) == 0:
        raise ValueError(f"y_true and y_pred must be equal-length, non-empty. Received: {y_true.shape}, {y_pred.shape}")
    residual = y_pred - y_true
    report = {
        "n": int(len(y_true)),
        "residual_mean": float(residual.mean()),
        "residual_std": float(residual.std()),
        "mae": float(np.abs(residual).mean()),
        "rmse": float(np.sqrt(np.mean(residual ** 2))),
        "pearson_r": float(np.corrcoef(y_true, y_pred)[0, 1]) if np.std(y_true) > 0 and np.std(y_pred) > 0 else None,
    }
    for k in bin_counts:
        classes = classification_report(ssim_to_class(y_true, k, ssim_range), ssim_to_class(y_pred, k, ssim_range),
                                        class_names=[str(i) for i in range(k)])
        report[f"accuracy_{k}"] = classes["accuracy"]
        report[f"macro_f1_{k}"] = classes["macro_f1"]
        report[f"confusion_{k}"] = classes["confusion_matrix"]
        report[f"edges_{k}"] = [round(float(e), 4) for e in ssim_bins(k, ssim_range)]
    return report


def paper_rows(results, bin_counts=BIN_COUNTS):
    """Table rows: each configuration's residual mu/sigma and accuracies beside the paper's.

    Args:
        results: dict {configuration name: `ssim_report` dict}.
        bin_counts: Defaults to (3, 5, 10).

    Returns:
        list of dicts (one per configuration, then one "paper (ResNet-18 + contrast aug.)").
    """
    def row(name, report):
        out = {"configuration": name, "n": report.get("n", ""),
               "residual mean": f"{report['residual_mean']:+.4f}", "residual std": f"{report['residual_std']:.4f}"}
        for k in bin_counts:
            out[f"acc {k} cls"] = f"{100 * report[f'accuracy_{k}']:.1f} %"
        return out

    rows = [row(name, report) for name, report in results.items()]
    rows.append(row("paper: ResNet-18 + contrast aug.", {**PAPER, "n": "?"}))
    return rows


def plot_scatter(panels, path, ssim_range, suptitle=None):
    """Predicted vs true SSIM, one panel per configuration, with the identity and class edges.

    Args:
        panels: dict {title: (y_true, y_pred)}.
        path: str or Path of the PNG.
        ssim_range: (low, high): the 5-class edges are drawn as a grid.
        suptitle: str or None.

    Returns:
        Path of the PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = _scatter_figure(plt, panels, ssim_range, suptitle)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _scatter_figure(plt, panels, ssim_range, suptitle=None):
    figure, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.4), squeeze=False)
    low = min(min(float(np.min(t)), float(np.min(p))) for t, p in panels.values())
    low = min(low, ssim_range[0]) - 0.02
    for axis, (title, (y_true, y_pred)) in zip(axes[0], panels.items()):
        residual = np.asarray(y_pred) - np.asarray(y_true)
        for edge in ssim_bins(5, ssim_range)[1:-1]:
            axis.axvline(edge, color="0.85", lw=0.8)
            axis.axhline(edge, color="0.85", lw=0.8)
        axis.plot([low, 1.0], [low, 1.0], color="0.4", lw=1, ls="--", label="identity")
        axis.scatter(y_true, y_pred, s=9, alpha=0.6)
        axis.set_xlim(low, 1.005)
        axis.set_ylim(low, 1.005)
        axis.set_aspect("equal")
        axis.set_xlabel("true SSIM (vs motion-free slice)")
        axis.set_ylabel("predicted SSIM (no reference)")
        axis.set_title(f"{title}\nresidual {residual.mean():+.4f} ± {residual.std():.4f}", fontsize=10)
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout()
    return figure


def report(model, data, output_dir, title):
    """Evaluate once on the test set (original contrast, and with a contrast change): JSON + PNGs.

    Args:
        model: SSIMRegressor.
        data: QualityData (`load_quality_data`), with its fixed test sets.
        output_dir: str or Path. Gets `test_report.json`, `scatter.png`, `confusion_matrix_10.png`.
        title: str. Title of the plots.

    Returns:
        dict of flat results (residual mean/std, 3/5/10-class accuracy, both test variants) and paths.
    """
    output_dir = pathlib.Path(output_dir)
    results, panels = {}, {}
    for key, name, corrupted in (("test", "test", data.test_set),
                                 ("test_contrast", "test, contrast changed", data.test_contrast_set)):
        predictions = model.predict_ssim(corrupted.x)
        results[key] = ssim_report(corrupted.y, predictions, model.ssim_range)
        panels[name] = (corrupted.y, predictions)
    scatter = plot_scatter(panels, output_dir / "scatter.png", model.ssim_range, suptitle=title)
    confusion = plot_confusion_matrix(
        results["test"]["confusion_10"], [str(i) for i in range(10)], output_dir / "confusion_matrix_10.png",
        title=f"{title}: 10 SSIM classes, accuracy {results['test']['accuracy_10']:.1%}",
    )
    results["paper"] = PAPER
    results["data"] = {**data.config, "sources": data.sources, "splits": data.summary()}
    results["model"] = {"slice_size": model.slice_size, "ssim_range": list(model.ssim_range),
                        "contrast_augmentation": model.contrast_augmentation}
    save_report(results, output_dir / "test_report.json")
    flat = {"n_test": results["test"]["n"]}
    for key in ("test", "test_contrast"):
        prefix = "" if key == "test" else "contrast_changed_"
        flat[f"{prefix}residual_mean"] = results[key]["residual_mean"]
        flat[f"{prefix}residual_std"] = results[key]["residual_std"]
        for k in BIN_COUNTS:
            flat[f"{prefix}accuracy_{k}"] = results[key][f"accuracy_{k}"]
    flat.update(scatter_png=str(scatter), confusion_matrix_png=str(confusion),
                report_json=str(output_dir / "test_report.json"))
    return flat
