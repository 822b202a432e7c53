"""Regression reports with uncertainties: errors per label, calibration, and both per group (bin).

For predictions with a σ per label, calibration is read from z = (prediction − truth)/σ: a
calibrated model has std(z) ≈ 1 and covers the truth within ±1σ 68.3 % and within ±2σ 95.4 %
of the time.

Example:
```python
rng = np.random.default_rng(0)
truth = rng.normal(size=(1000, 2))
sigma = np.full_like(truth, 0.5)
prediction = truth + rng.normal(size=truth.shape) * sigma
report = regression_report(truth, prediction, sigma, ["teff", "logg"],
                           groups=bin_groups(rng.uniform(5, 100, 1000), [5, 20, 50, 100], "S/N"))
report["labels"]["teff"]["z_std"], report["labels"]["teff"]["coverage_1sigma"]   # ≈ 1.0, ≈ 0.68
report["groups"]["S/N 20–50"]["logg"]["mae"]
```
"""

import numpy as np

GAUSSIAN_COVERAGE = {"coverage_1sigma": 0.6827, "coverage_2sigma": 0.9545}


def label_metrics(y_true, y_pred, sigma=None):
    """Errors of one label (and its calibration when `sigma` is given).

    Args:
        y_true: (n,) truths.
        y_pred: (n,) predictions.
        sigma: (n,) predicted standard deviations, or None.

    Returns:
        dict: "n", "mae" (scikit-learn), "bias" (mean residual), "residual_std", "rmse"; with
        sigma: "mean_sigma", "z_std", "coverage_1sigma", "coverage_2sigma".
    """
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    y_true, y_pred = np.asarray(y_true, "float64"), np.asarray(y_pred, "float64")
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be equal (n,) arrays. Received: {y_true.shape}, {y_pred.shape}")
    if len(y_true) == 0:
        return {"n": 0}
    residual = y_pred - y_true
    out = {"n": int(len(y_true)), "mae": float(mean_absolute_error(y_true, y_pred)), "bias": float(residual.mean()),
           "residual_std": float(residual.std()), "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred)))}
    if sigma is not None:
        sigma = np.asarray(sigma, "float64")
        if sigma.shape != y_true.shape or np.any(~(sigma > 0)):
            raise ValueError(f"sigma must be (n,) positive values. Received: shape {sigma.shape}, "
                             f"min {np.min(sigma) if sigma.size else None}")
        z = residual / sigma
        out.update(mean_sigma=float(sigma.mean()), z_std=float(z.std()),
                   coverage_1sigma=float(np.mean(np.abs(z) <= 1)), coverage_2sigma=float(np.mean(np.abs(z) <= 2)))
    return out


def bin_groups(values, edges, name):
    """{"NAME a–b": boolean mask} of `values` in each [a, b) bin of `edges` (the last bin closed).

    Args:
        values: (n,) the binned quantity (e.g. S/N).
        edges: increasing bin edges.
        name: str. Prefix of the group names.
    """
    values = np.asarray(values, "float64")
    groups = {}
    for i, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        upper = values <= high if i == len(edges) - 2 else values < high
        groups[f"{name} {low:g}–{high:g}"] = (values >= low) & upper
    return groups


def regression_report(y_true, y_pred, sigma, label_names, groups=None):
    """Per-label errors and calibration, overall and per group.

    Args:
        y_true: (n, labels).
        y_pred: (n, labels).
        sigma: (n, labels) predicted σ, or None.
        label_names: list of str.
        groups: dict {name: (n,) bool mask} or None (e.g. `bin_groups(snr, [10, 20, 50], "S/N")`).

    Returns:
        dict: "n", "labels" {label: `label_metrics`}, "groups" {group: {label: `label_metrics`}}
        and "gaussian_coverage" (the calibrated values, for reference).
    """
    y_true, y_pred = np.asarray(y_true, "float64"), np.asarray(y_pred, "float64")
    if y_true.ndim != 2 or y_true.shape != y_pred.shape or y_true.shape[1] != len(label_names):
        raise ValueError(f"y_true and y_pred must be (n, {len(label_names)}). "
                         f"Received: {y_true.shape} and {y_pred.shape}")
    sigma = None if sigma is None else np.asarray(sigma, "float64")

    def metrics(mask):
        return {name: label_metrics(y_true[mask, j], y_pred[mask, j], None if sigma is None else sigma[mask, j])
                for j, name in enumerate(label_names)}

    everything = np.ones(len(y_true), bool)
    return {"n": int(len(y_true)), "labels": metrics(everything),
            "groups": {group: metrics(np.asarray(mask, bool)) for group, mask in (groups or {}).items()},
            "gaussian_coverage": dict(GAUSSIAN_COVERAGE)}
