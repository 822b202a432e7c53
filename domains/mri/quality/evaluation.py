"""Evaluation of SSIM regression: residuals, SSIM-range accuracy, and the plots a reader checks.

The paper's headline numbers (arXiv 2206.06725, ResNet-18 with contrast augmentation) are in
`domains.mri.quality.model.PAPER`: residuals (predicted - true SSIM) mu = -0.0009 and
sigma = 0.0139; accuracy 97 / 95 / 89 % for 3 / 5 / 10 SSIM-range classes.
"""

import pathlib

import numpy as np

from core.evaluation import classification_report, plot_confusion_matrix, report_result, save_figure
from core.training import ScoreEvery
from domains.mri.quality.data.corruption import corrupt_slices
from domains.mri.quality.data.slices import ORIENTATION_NAMES
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
        "pearson_r", "label_std" (σ of the true SSIM: a constant predictor's residual σ), and per
        k in `bin_counts`: "accuracy_k", "macro_f1_k", "confusion_k" (rows = true class;
        `core.evaluation.classification_report`) and "edges_k".
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
        "label_std": float(y_true.std()),  # the residual σ of a constant predictor (the mean SSIM)
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
    return save_figure(_scatter_figure(panels, ssim_range, suptitle), path)


def _scatter_figure(panels, ssim_range, suptitle=None):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.6 * len(panels), 4.4))
    axes = figure.subplots(1, len(panels), squeeze=False)
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


def group_reports(data, corrupted, predictions, ssim_range, slices=None):
    """`ssim_report` of each volume and each orientation of an evaluation set (`{"name": report}`).

    Args:
        data: QualityData.
        corrupted: CorruptedSet (e.g. `data.test_set`).
        predictions: (n,) predicted SSIM of `corrupted.x`.
        ssim_range: (low, high) of the classes.
        slices: the SliceSet `corrupted` was made from. Defaults to `data.test`.

    Returns:
        dict {"volume FILE" or "axis NAME": report}; an orientation only when several are used.
    """
    slices = data.test if slices is None else slices
    sources = slices.sources[corrupted.slice_index]
    axes = slices.axes[corrupted.slice_index]
    groups = {f"volume {pathlib.Path(source).name}": sources == source for source in data.sources}
    if len(set(axes.tolist())) > 1:
        groups.update({f"axis {ORIENTATION_NAMES[a]}": axes == a for a in sorted(set(axes.tolist()))})
    return {name: ssim_report(corrupted.y[rows], np.asarray(predictions)[rows], ssim_range)
            for name, rows in groups.items() if rows.any()}


SUMMARY_KEYS = ("n", "residual_mean", "residual_std", *(f"accuracy_{k}" for k in BIN_COUNTS))


def _short(report):
    return {key: report[key] for key in SUMMARY_KEYS}


class TestCurve(ScoreEvery):
    """A learning curve: the test set scored every `every` epochs of one run (`learning_curve.json`/`.png`).

    The weights at each checkpoint are those of the epoch just ended (not the best so far); the
    test set is scored for the curve only, never to choose a model (`best.keras` is chosen on
    validation). The last epoch is always scored, and a resumed run continues the file
    (`core.training.ScoreEvery`).

    Args:
        data: QualityData.
        output_dir: str or Path.
        steps_per_epoch: int. For the x axis (training steps).
        every: int. Epochs between evaluations. Defaults to 1.
        batch_size: int. Training batch size, for the x axis label. Defaults to 16.

    Example:
    ```python
    train_ssim_regressor(model, data, "runs/x", callbacks=[TestCurve(data, "runs/x", 30, every=5)])
    ```
    """

    def __init__(self, data, output_dir, steps_per_epoch, every=1, batch_size=16):
        self.data, self.output_dir, self.batch_size = data, pathlib.Path(output_dir), int(batch_size)
        super().__init__(self._point, self.output_dir / "learning_curve.json", every, steps_per_epoch,
                         on_write=self._plot)

    def _point(self, model):
        point = {}
        for key, corrupted in (("test", self.data.test_set), ("test_remap", self.data.test_remap_set)):
            predictions = model.predict(corrupted.x, batch_size=64, verbose=0)[:, 0]
            point[key] = _short(ssim_report(corrupted.y, predictions, model.ssim_range))
            if key == "test":
                point["groups"] = {name: _short(r) for name, r in
                                   group_reports(self.data, corrupted, predictions, model.ssim_range).items()}
        return point

    def _plot(self, rows):
        plot_curve([p["step"] for p in rows], {
            "test": [p["test"] for p in rows],
            "test, other contrasts (remapped)": [p["test_remap"] for p in rows],
            **{name: [p["groups"].get(name, {}) for p in rows] for name in rows[-1]["groups"]},
        }, self.output_dir / "learning_curve.png", f"training steps (batches of {self.batch_size})",
            "Learning curve: held-out test set at checkpoints of one run")


def plot_curve(xs, series, path, xlabel, title, log_x=False):
    """Residual σ and 3/5/10-class accuracy against a budget (steps or training volumes), two panels.

    Args:
        xs: list of x values.
        series: dict {label: list of `ssim_report`-like dicts (one per x; {} where missing)}.
            The first series is drawn bold with its accuracies; the others with σ only.
        path: str or Path of the PNG.
        xlabel, title: str.
        log_x: bool. Logarithmic x axis. Defaults to False.

    Returns:
        Path of the PNG.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4))
    left, right = figure.subplots(1, 2)
    for index, (label, reports) in enumerate(series.items()):
        points = [(x, r["residual_std"]) for x, r in zip(xs, reports) if r]
        if points:
            left.plot(*zip(*points), "o-" if index == 0 else ".--", lw=2 if index == 0 else 1, label=label)
    left.axhline(PAPER["residual_std"], color="k", ls=":", lw=1, label="paper σ 0.0139")
    left.set_ylabel("residual σ (predicted − true SSIM)")
    first = next(iter(series.values()))
    for k, color in zip(BIN_COUNTS, ("tab:blue", "tab:orange", "tab:green")):
        right.plot(xs, [100 * r[f"accuracy_{k}"] for r in first], "o-", color=color, label=f"{k} classes")
        right.axhline(100 * PAPER[f"accuracy_{k}"], color=color, ls=":", lw=1)
    right.set_ylabel(f"accuracy, {next(iter(series))} (%); dotted: paper")
    for axis in (left, right):
        axis.set_xlabel(xlabel)
        if len(xs) <= 6:
            axis.set_xticks(xs)
        if log_x:
            axis.set_xscale("log")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path)


def plot_skull_example(data, path):
    """One test slice: skull-stripped, wrapped in a SYNTHETIC skull, and that with simulated motion.

    Args:
        data: QualityData loaded with `skull=True`.
        path: str or Path of the PNG.

    Returns:
        Path of the PNG.
    """
    from matplotlib.figure import Figure

    skulls, corrupted = data.test_skull, data.test_skull_set
    axial = np.flatnonzero(skulls.axes == skulls.axes.max())
    index = int(axial[len(axial) // 2])
    twin = np.flatnonzero((data.test.sources == skulls.sources[index]) & (data.test.axes == skulls.axes[index])
                          & (data.test.positions == skulls.positions[index]))
    draws = np.flatnonzero(corrupted.slice_index == index)
    draw = int(draws[np.argmax(corrupted.severity[draws])])
    panels = [(data.test.images[twin[0]] if len(twin) else None, "skull-stripped (real template)"),
              (skulls.images[index], "with a SYNTHETIC skull"),
              (corrupted.x[draw], f"+ motion (severity {corrupted.severity[draw]:.2f}): SSIM {corrupted.y[draw]:.3f}")]
    figure = Figure(figsize=(11, 4))
    for axis, (image, title) in zip(figure.subplots(1, 3), panels):
        if image is not None:
            axis.imshow(np.rot90(image[..., 0]), cmap="gray", vmin=0, vmax=1.1)
        axis.set_title(title, fontsize=9)
        axis.axis("off")
    figure.suptitle(f"{pathlib.Path(skulls.sources[index]).name}, {ORIENTATION_NAMES[int(skulls.axes[index])]} "
                    f"slice {int(skulls.positions[index])} (SYNTHETIC skull: not real anatomy)")
    figure.tight_layout()
    return save_figure(figure, path, dpi=100)


HEADLINE_KEYS = ("residual_mean", "residual_std", "mae", "rmse", *(f"accuracy_{k}" for k in BIN_COUNTS))
# The evaluation sets a report scores: (report key, prefix of its headline metrics, plot title, QualityData field).
EVALUATION_SETS = (("test", "", "test", "test_set"),
                   ("test_contrast", "contrast_changed_", "test, contrast changed", "test_contrast_set"),
                   ("test_remap", "remapped_", "test, other contrasts (remapped)", "test_remap_set"))
SKULL_SETS = (("test_stripped", "stripped_", None, "test_stripped_set"),
              ("test_skull", "skull_", "test, SYNTHETIC skull", "test_skull_set"))
TRAIN_LABEL_SEED = 7  # `data.config["seed"] + 7`: the training slices' seeded motions of the constant baseline


def training_label_mean(data):
    """The constant baseline's answer: the mean SSIM label of the training slices under seeded motions.

    Training examples are drawn on the fly, so the training labels are simulated here once, as the
    validation set is (`corrupt_slices`, `val_draws` motions per training slice, seed
    `seed + TRAIN_LABEL_SEED`, the data's severity range and motions, no contrast change): no
    validation or test label is read.

    Args:
        data: QualityData.

    Returns:
        float.

    Example:
    ```python
    data = load_quality_data(slice_size=64)
    training_label_mean(data)   # about 0.8 with the default simulation
    ```
    """
    config = data.config
    labels = corrupt_slices(data.train, config["val_draws"], config["seed"] + TRAIN_LABEL_SEED,
                            severity_range=tuple(config["severity_range"]),
                            motion_kwargs=config["motion_kwargs"] or None).y
    return float(np.mean(labels))


def report(model, data, output_dir, title, **options):
    """Score the model on the fixed test sets beside a constant predictor: `core.evaluation.report_result`.

    The test set is scored as simulated (`data.test_set`), after a contrast change
    (`data.test_contrast_set`) and remapped to other contrasts (`data.test_remap_set`); with
    `data.test_skull_set` (`load_quality_data(skull=True)`) also the skull-stripped volumes' test
    slices ("test_stripped") beside the same positions and motions with a SYNTHETIC skull
    ("test_skull"). The baseline sees no image: it always answers the mean SSIM of the training
    labels (`training_label_mean`), scored on the same sets under the same keys.

    Args:
        model: SSIMRegressor.
        data: QualityData (`load_quality_data`), with its fixed test sets.
        output_dir: str or Path. Gets `report.json`, `scatter.png`, `confusion_matrix_10.png`
            (and `skull_example.png` with the skull sets).
        title: str. What was evaluated (the plots' title).
        **options: none are read; accepted so that every domain's report is called alike.

    Returns:
        dict (`core.evaluation.report_result`): "metrics" — residual mean and σ, MAE, RMSE and
        3/5/10-class accuracy of each scored set, prefixed "" (test), "contrast_changed_",
        "remapped_" (and "stripped_", "skull_"); "baselines" — {"constant_train_mean": the same
        keys}; "figures"; "details" — every set's full `ssim_report` (F1, confusion matrices,
        Pearson r), per-volume and per-orientation groups, the constant, the paper's numbers, the
        data and the model.

    Example:
    ```python
    data = load_quality_data(slice_size=128)
    result = report(SSIMRegressor.from_preset("ssim_mni_small"), data, "runs/eval", "ssim_mni_small")
    result["metrics"]["residual_std"], result["baselines"]["constant_train_mean"]["residual_std"]
    ```
    """
    output_dir = pathlib.Path(output_dir)
    constant = training_label_mean(data)
    details, panels, metrics, baseline = {}, {}, {}, {}
    sets = EVALUATION_SETS
    if data.test_skull_set is not None and len(data.test_skull_set):
        sets += SKULL_SETS
    for key, prefix, name, field in sets:
        corrupted = getattr(data, field)
        predictions = model.predict_ssim(corrupted.x)
        details[key] = ssim_report(corrupted.y, predictions, model.ssim_range)
        constant_report = ssim_report(corrupted.y, np.full_like(corrupted.y, constant), model.ssim_range)
        metrics.update({prefix + metric: details[key][metric] for metric in HEADLINE_KEYS})
        baseline.update({prefix + metric: constant_report[metric] for metric in HEADLINE_KEYS})
        if key in ("test", "test_contrast", "test_remap"):
            details[f"{key}_groups"] = {group: _short(r) for group, r in
                                        group_reports(data, corrupted, predictions, model.ssim_range).items()}
        if name:
            panels[name] = (corrupted.y, predictions)
    figures = [plot_scatter(panels, output_dir / "scatter.png", model.ssim_range, suptitle=title),
               plot_confusion_matrix(details["test"]["confusion_10"], [str(i) for i in range(10)],
                                     output_dir / "confusion_matrix_10.png",
                                     title=f"{title}: 10 SSIM classes, accuracy {details['test']['accuracy_10']:.1%}")]
    if "test_skull" in details:
        figures.append(plot_skull_example(data, output_dir / "skull_example.png"))
    details.update(
        n_test=details["test"]["n"], paper=PAPER,
        baseline={"constant_train_mean": constant, "how": "the mean SSIM label of the training slices under "
                  f"seeded motions (seed + {TRAIN_LABEL_SEED}, val_draws per slice), predicted for every slice"},
        data={**data.config, "sources": data.sources, "splits": data.summary()},
        model={"slice_size": model.slice_size, "ssim_range": list(model.ssim_range),
               "contrast_augmentation": model.contrast_augmentation},
    )
    return report_result(title, metrics, {"constant_train_mean": baseline}, figures, output_dir, details)


HELDOUT_KEYS = ("residual_mean", "residual_std", "mae", "pearson_r")


def _heldout_groups(heldout_set):
    """{"all": rows, orientation name: rows} of a held-out set's examples ("all" only with several axes)."""
    axes = heldout_set.slices.axes[heldout_set.corrupted.slice_index]
    groups = {"all": np.ones(len(axes), bool)} if len(set(axes.tolist())) > 1 else {}
    groups.update({ORIENTATION_NAMES[a]: axes == a for a in sorted(set(axes.tolist()))})
    return groups


def heldout_report(model, heldout, output_dir, title, training_sources=None):
    """Score the model on whole held-out volumes beside the constant training mean: `core.evaluation.report_result`.

    Each held-out set (`domains.mri.quality.data.heldout.load_heldout_data`: a volume, or a
    skull-stripped volume wrapped in a SYNTHETIC skull) is scored over all its axes together
    ("all") and per orientation: residual mean and σ (predicted − true SSIM), MAE and Pearson r,
    beside a constant predictor that always answers `heldout.constant` (the mean SSIM label of the
    sample training slices), scored on the same examples.

    Args:
        model: SSIMRegressor.
        heldout: HeldOutData.
        output_dir: str or Path. Gets `report.json` and `scatter.png`.
        title: str. What was evaluated (the plots' title).
        training_sources: list of the file names (or paths) the model was trained on, or None
            (unknown). Each set's row says whether its file is among them. Defaults to None.

    Returns:
        dict (`core.evaluation.report_result`): "metrics" — `"{volume}.{axes}.{metric}"` for
        every set, axes "all" / "sagittal" / "coronal" / "axial", metric in `HELDOUT_KEYS`;
        "baselines" — {"constant_train_mean": the same keys}; "table" — one row per set and axes;
        "details" — every set's full `ssim_report` per axes group, the constant and the data.

    Example:
    ```python
    heldout = load_heldout_data(["colin.nii.gz"], constant=0.8, slice_size=128, axis="all")
    result = heldout_report(SSIMRegressor.from_preset(), heldout, "runs/heldout", "best preset")
    result["metrics"]["colin.nii.gz.axial.residual_std"]
    ```
    """
    output_dir = pathlib.Path(output_dir)
    trained = None if training_sources is None else {pathlib.Path(str(s)).name for s in training_sources}
    metrics, baseline, details, panels, table = {}, {}, {}, {}, []
    for label, heldout_set in heldout.sets.items():
        corrupted = heldout_set.corrupted
        predictions = model.predict_ssim(corrupted.x)
        constant = np.full_like(corrupted.y, heldout.constant)
        name = pathlib.Path(heldout_set.source).name
        seen = "unknown" if trained is None else ("yes" if name in trained else "no")
        details[label] = {"source": heldout_set.source, "skull": heldout_set.skull, "in_training": seen, "groups": {}}
        for group, rows in _heldout_groups(heldout_set).items():
            scored = ssim_report(corrupted.y[rows], predictions[rows], model.ssim_range)
            flat = ssim_report(corrupted.y[rows], constant[rows], model.ssim_range)
            details[label]["groups"][group] = {"model": scored, "constant_train_mean": flat}
            metrics.update({f"{label}.{group}.{key}": scored[key] for key in HELDOUT_KEYS})
            baseline.update({f"{label}.{group}.{key}": flat[key] for key in HELDOUT_KEYS})
            table.append({"volume": label, "skull": heldout_set.skull, "trained on": seen, "axes": group,
                          "n": scored["n"], "residual σ": round(scored["residual_std"], 4),
                          "MAE": round(scored["mae"], 4),
                          "r": None if scored["pearson_r"] is None else round(scored["pearson_r"], 3),
                          "residual μ": round(scored["residual_mean"], 4),
                          "constant σ": round(flat["residual_std"], 4), "constant MAE": round(flat["mae"], 4)})
        panels[f"{label} ({heldout_set.skull})"] = (corrupted.y, predictions)
    figures = [plot_scatter(panels, output_dir / "scatter.png", model.ssim_range, suptitle=f"{title}: held-out volumes")]
    details.update(baseline={"constant_train_mean": heldout.constant, "how": "the mean SSIM label of the sample "
                             f"volumes' training slices under seeded motions (seed + {TRAIN_LABEL_SEED}, 8 per slice)"},
                   data=heldout.config, paper=PAPER, table=table)
    result = report_result(title, metrics, {"constant_train_mean": baseline}, figures, output_dir, details)
    result["table"] = table
    return result
