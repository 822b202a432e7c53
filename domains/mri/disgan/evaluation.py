"""DISGAN evaluation: PSNR / SSIM / NRMSE of super-resolved volumes beside interpolation baselines.

- The LR volume is the HR volume's every second voxel (`decimate`, the paper's
  nearest-neighbour ×2 degradation, applied to the whole volume), or the whole volume's 2×2×2
  block average, k-space truncation or blur + decimation (`data.degrade`). The model reads it
  on the 2i grid (LR voxel i on HR voxel 2i; a block average moved there by `data.regrid`); the
  interpolation baselines read each degradation on its own grid (a block average's voxels on
  2i + 0.5, `data.native_offset`), the best they can do.
- The input's exact background stays background in every method's output
  (`inference.background_mask`), as `resuite predict` writes it.
- Baselines: trilinear and tricubic spline interpolation (`scipy.ndimage`, order 1 and 3) back to
  the HR grid. They use the decimation's own geometry (LR voxel i sits on HR voxel 2i), like
  `scipy.ndimage.zoom` on that grid; `zoom`'s default corner-aligned grid would shift the result
  by up to half an LR voxel and penalise the baselines unfairly.
- Metrics (`core.metrics`, DISGAN's conventions): PSNR with the data range max − min of the
  ground truth, SSIM by 2-D slices (axial by default: 11×11 Gaussian window), NRMSE normalised by
  the same min-max range; computed over a region (e.g. a held-out slab) of the volume.
- Denoising: the same table from an LR input with Rician noise (σ a fraction of the
  foreground's 99th intensity percentile), against the clean HR volume.
- `report(model, data, output_dir, title)`: the suite's report (`core.evaluation.report_result`):
  the model's PSNR / SSIM / NRMSE per noise level beside those of the interpolations.
"""

import pathlib

import numpy as np

from core.evaluation import report_result, save_figure
from core.metrics import nrmse, psnr, ssim
from domains.mri.disgan.data import DEGRADATIONS, add_rician_noise, degrade, native_offset, regrid
from domains.mri.disgan.inference import background_mask, normalize_for_inference, super_resolve
from domains.mri.io import load_volume

INTERPOLATIONS = {"trilinear": 1, "tricubic": 3}


def even_crop(volume, scale=2):
    """Crop every axis to a multiple of `scale` (drop the last voxels)."""
    return volume[tuple(slice(0, s - s % scale) for s in volume.shape)]


def decimate(volume, scale=2):
    """Every `scale`-th voxel: the paper's nearest-neighbour ×`scale` downsampling."""
    return np.ascontiguousarray(volume[::scale, ::scale, ::scale])


def degrade_volume(volume, method="nearest", scale=2, native=False):
    """The LR volume of a whole HR volume (sizes a multiple of `scale`) by `data.degrade`'s `method`.

    Args:
        volume: float array (x, y, z).
        method: one of `data.DEGRADATIONS`. Defaults to `"nearest"` (`decimate`).
        scale: int. Defaults to `2`.
        native: bool. A block average on its own grid (`data.degrade`). Defaults to `False`.
    """
    if method not in DEGRADATIONS:
        raise ValueError(f"method must be one of {DEGRADATIONS}. Received: method={method!r}")
    if method == "nearest":
        return decimate(volume, scale)
    lr = degrade(np.asarray(volume, "float32")[..., None], method, scale, native=native).numpy()[..., 0]
    return np.ascontiguousarray(lr)


def to_model_grid(lr, method, scale=2):
    """An LR volume of `method` on its own grid (`degrade_volume(..., native=True)`) moved onto the 2i grid.

    What the model reads: unchanged but for "block", whose voxels `data.regrid` moves from
    2i + 0.5 onto 2i.
    """
    offset = native_offset(method, scale)
    if not offset:
        return lr
    return np.ascontiguousarray(regrid(np.asarray(lr, "float32")[None, ..., None], -offset / scale).numpy()[0, ..., 0])


def interpolate(lr, order, scale=2, output_shape=None, offset=0.0):
    """Spline interpolation of an LR volume back to the HR grid (LR voxel i on HR voxel scale·i + offset).

    Args:
        lr: float array (x, y, z).
        order: int. 1 trilinear, 3 tricubic (`scipy.ndimage.affine_transform`, spline prefilter
            for order > 1, edges extended with "nearest").
        scale: int. Defaults to `2`.
        output_shape: tuple or None. Defaults to `scale · lr.shape`.
        offset: float. Where LR voxel 0 sits on the HR grid (`data.native_offset`: 0.5 for a
            ×2 block average). Defaults to `0.0`.
    """
    from scipy import ndimage

    output_shape = tuple(output_shape or [scale * s for s in lr.shape])
    return ndimage.affine_transform(
        np.asarray(lr, "float32"), np.full(3, 1.0 / scale), offset=-offset / scale, output_shape=output_shape,
        order=order, mode="nearest",
    )


def volume_metrics(hr, prediction, region=None, ssim_axis=2):
    """PSNR, SSIM (by slices) and NRMSE of `prediction` against `hr` inside `region`.

    Args:
        hr, prediction: float arrays (x, y, z) of the same shape.
        region: None or a tuple of 3 slices (e.g. the held-out slab). Defaults to everything.
        ssim_axis: int. Spatial axis (0, 1, 2) of the SSIM slices; 2 is axial for RAS+ volumes.

    Returns:
        dict with "psnr" (dB), "ssim" and "nrmse".
    """
    region = region or (slice(None),) * 3
    truth = np.asarray(hr, "float32")[region][None, ..., None]
    pred = np.asarray(prediction, "float32")[region][None, ..., None]
    return {
        "psnr": float(psnr(truth, pred)[0]),
        "ssim": float(ssim(truth, pred, axis=ssim_axis + 1)[0]),
        "nrmse": float(nrmse(truth, pred)[0]),
    }


def _lr_window(region, lr_shape, scale, context):
    """LR-grid slices covering `region` (HR slices) plus `context` LR voxels on each side."""
    window = []
    for sl, size in zip(region, lr_shape):
        start = 0 if sl.start is None else sl.start // scale
        stop = size if sl.stop is None else -(-sl.stop // scale)
        window.append(slice(max(0, start - context), min(size, stop + context)))
    return tuple(window)


def _as_models(generator, name):
    if generator is None:
        return {}
    if isinstance(generator, dict):
        return dict(generator)
    return {name: generator}


def compare(hr, lr, generator, region=None, name="DISGAN", tile_options=None, context=8, mask_background=True,
            native=None, offset=0.0):
    """The table rows (nearest, trilinear, tricubic, then the model(s)) for one LR input.

    `generator` is one model (its row is called `name`), a dict `{row name: model}` or None.
    `lr` is on the model's 2i grid; `native` (default `lr`) is the same input on its own grid,
    LR voxel i on HR voxel 2i + `offset`, which the baselines and the background mask read.

    The baselines interpolate the whole LR volume. The model super-resolves the LR voxels of
    `region` plus `context` LR voxels around it (normalised with the whole LR volume's
    foreground statistics, as whole-volume inference), which gives the region the same input
    context as whole-volume inference at a fraction of the cost.

    With `mask_background`, every method's output keeps the LR input's exact background
    (`inference.background_mask`), as `resuite predict` writes it.

    Returns:
        (rows: list of dicts with "method", "psnr", "ssim", "nrmse"; predictions: dict of the
        region's volumes, by method).
    """
    scale = 2
    region = tuple(region) if region is not None else (slice(None),) * 3
    native = lr if native is None else native
    full = {
        "nearest": np.repeat(np.repeat(np.repeat(native, scale, 0), scale, 1), scale, 2)[
            : hr.shape[0], : hr.shape[1], : hr.shape[2]
        ],
        **{method: interpolate(native, order, scale, output_shape=hr.shape, offset=offset)
           for method, order in INTERPOLATIONS.items()},
    }
    mask, value = background_mask(native, scale, offset=offset) if mask_background else (None, None)
    if mask is not None:
        mask = mask[: hr.shape[0], : hr.shape[1], : hr.shape[2]]
        for volume in full.values():
            volume[mask] = value
    predictions = {method: volume[region] for method, volume in full.items()}
    window = _lr_window(region, lr.shape, scale, context)
    _, mean, std = normalize_for_inference(np.asarray(lr, "float32"))
    for model_name, model in _as_models(generator, name).items():
        sr = super_resolve(model, (lr[window] - mean) / std, **(tile_options or {})) * std + mean
        canvas = np.zeros(hr.shape, "float32")
        hr_window = tuple(slice(scale * w.start, scale * w.start + s) for w, s in zip(window, sr.shape))
        fitted = tuple(slice(0, min(c.stop, size) - c.start) for c, size in zip(hr_window, hr.shape))
        hr_window = tuple(slice(c.start, c.start + f.stop) for c, f in zip(hr_window, fitted))
        canvas[hr_window] = sr[fitted]
        if mask is not None:
            canvas[mask] = value
        predictions[model_name] = canvas[region]
    truth = hr[region]
    rows = [{"method": method, **volume_metrics(truth, volume)} for method, volume in predictions.items()]
    return rows, predictions


def evaluate_volume(generator, hr, region=None, noise_levels=(0.0, 0.05), seed=0, tile_options=None, name="DISGAN",
                    degradation="nearest", mask_background=True):
    """SR and denoising tables for one HR volume (in its own intensity units).

    Args:
        generator: keras.Model, a dict `{row name: keras.Model}`, or None (baselines only).
        hr: float array (x, y, z), the ground truth (e.g. the MNI template); cropped to even sizes.
        region: None or 3 slices where the metrics are taken (e.g. the held-out slab).
        noise_levels: Rician σ as fractions of the foreground's 99th percentile; 0 is the clean
            super-resolution table. Defaults to `(0.0, 0.05)`.
        seed: int. Noise seed. Defaults to `0`.
        tile_options: dict of `super_resolve` options.
        name: str. Row name of a single model. Defaults to `"DISGAN"`.
        degradation: how the LR volume is made (`degrade_volume`). Defaults to `"nearest"`.
        mask_background: bool. See `compare`. Defaults to `True`.

    Returns:
        dict: {"tables": {level: rows}, "gains": {level: {model: PSNR dB over tricubic}}, "predictions":
        {level: {method: region volume}}, "lr": {level: LR volume}, "hr": the region of HR}.
    """
    hr = even_crop(np.asarray(hr, "float32"))
    region = tuple(region) if region is not None else (slice(None),) * 3
    clean_lr = degrade_volume(hr, degradation, native=True)  # on its own grid; noise is added there
    reference = float(np.percentile(hr[hr > 0], 99)) if np.any(hr > 0) else float(np.abs(hr).max())
    tables, gains, predictions, lrs = {}, {}, {}, {}
    for level in noise_levels:
        lr = clean_lr if level == 0 else add_rician_noise(clean_lr, level * reference, seed=seed).numpy()
        rows, preds = compare(hr, to_model_grid(lr, degradation), generator, region, name=name,
                              tile_options=tile_options, mask_background=mask_background, native=lr,
                              offset=native_offset(degradation))
        tables[level], predictions[level], lrs[level] = rows, preds, lr
        by = {row["method"]: row for row in rows}
        gains[level] = {model: by[model]["psnr"] - by["tricubic"]["psnr"] for model in _as_models(generator, name)}
    return {"tables": tables, "gains": gains, "predictions": predictions, "lr": lrs, "hr": hr[region]}


def format_rows(rows):
    """Rows with rounded numbers, for printing."""
    return [{"method": r["method"], "PSNR (dB)": round(r["psnr"], 2), "SSIM": round(r["ssim"], 4),
             "NRMSE": round(r["nrmse"], 4)} for r in rows]


def plot_slices(hr, predictions, path, slice_index=None, axis=2, title=None, methods=None, zoom_box=None):
    """A row of slices (HR, then each method) and their absolute errors; saved as PNG.

    Args:
        hr: (x, y, z) ground truth.
        predictions: dict {method: volume} on the HR grid.
        path: str or Path of the PNG.
        slice_index: int or None (the middle of the volume). Defaults to `None`.
        axis: int. Slicing axis (2 = axial). Defaults to `2`.
        title: str or None.
        methods: list of method names to show (default: all).
        zoom_box: None or ((r0, r1), (c0, c1)) crop of the slice, in slice pixels.

    Returns:
        The path.
    """
    from matplotlib.figure import Figure

    methods = methods or list(predictions)
    index = hr.shape[axis] // 2 if slice_index is None else slice_index

    def cut(volume):
        image = np.take(volume, index, axis=axis).T[::-1]
        if zoom_box is not None:
            (r0, r1), (c0, c1) = zoom_box
            image = image[r0:r1, c0:c1]
        return image

    truth = cut(hr)
    vmin, vmax = float(truth.min()), float(truth.max())
    columns = 1 + len(methods)
    figure = Figure(figsize=(2.6 * columns, 5.4))
    axes = figure.subplots(2, columns)
    axes[0, 0].imshow(truth, cmap="gray", vmin=vmin, vmax=vmax)
    axes[0, 0].set_title("HR (ground truth)")
    axes[1, 0].axis("off")
    error_max = max(float(np.abs(cut(predictions[m]) - truth).max()) for m in methods) or 1.0
    for c, method in enumerate(methods, start=1):
        image = cut(predictions[method])
        axes[0, c].imshow(image, cmap="gray", vmin=vmin, vmax=vmax)
        axes[0, c].set_title(method)
        axes[1, c].imshow(np.abs(image - truth), cmap="magma", vmin=0, vmax=error_max / 2)
        axes[1, c].set_title(f"|error| {method}", fontsize=9)
    for axis_ in axes.ravel():
        axis_.set_xticks([])
        axis_.set_yticks([])
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path)


def metric_key(metric, level, degradation="nearest"):
    """The report's key of `metric` ("psnr", "ssim", "nrmse") at a noise level and degradation.

    Args:
        metric: str. "psnr", "ssim" or "nrmse".
        level: float. The noise level (a fraction of the foreground's 99th percentile).
        degradation: str. How the LR input was made; "nearest" (the paper's) is left out of
            the key. Defaults to `"nearest"`.

    Example:
    ```python
    metric_key("psnr", 0.0), metric_key("ssim", 0.05)   # 'psnr_noise0', 'ssim_noise0.05'
    metric_key("psnr", 0.0, "kspace")                  # 'psnr_kspace_noise0'
    ```
    """
    middle = "" if degradation == "nearest" else f"{degradation}_"
    return f"{metric}_{middle}noise{float(level):g}"


def report(model, data, output_dir, title, noise_levels=(0.0, 0.05), tile_options=None, seed=0,
           degradations=("nearest",), mask_background=True):
    """Score a DISGAN (or its generator) on test volumes beside interpolation: metrics, plots, JSON.

    The LR input is every second voxel of each volume (or another of `degradations`, plus
    Rician noise at the noisy levels); the model super-resolves it and is scored against the
    clean HR volume inside the volume's region, beside tricubic, trilinear and nearest-neighbour
    interpolation of the same LR input.

    Args:
        model: a `DISGAN` or a generator (`keras.Model`, LR → ×2 HR).
        data: list of (NIfTI path, region or None) or (NIfTI path, region, label): the test
            volumes, `region` 3 slices on the HR grid (e.g. `training.template_test(path)`: the
            template's held-out slab). A labelled volume's metrics are reported on their own,
            under keys prefixed `{label}_`; unlabelled ones are averaged.
        output_dir: str or Path. Gets `report.json` and the slice plots `slices_*.png`.
        title: str. What is evaluated (the report's title, and the plots').
        noise_levels: Rician σ of the LR input (fractions of the foreground's 99th percentile);
            0 is plain super-resolution. Defaults to (0.0, 0.05).
        tile_options: dict or None. Passed to `super_resolve` (tile_size, overlap, blend, batch_size).
        seed: int. Seed of the noise. Defaults to 0.
        degradations: how the LR inputs are made, some of `data.DEGRADATIONS`; keys as
            `metric_key`. Defaults to ("nearest",).
        mask_background: bool. See `compare`. Defaults to True.

    Returns:
        dict (`core.evaluation.report_result`): "metrics" `{psnr|ssim|nrmse}_noise{σ}` of the model
        (the mean over the volumes), "baselines" {"tricubic", "trilinear", "nearest": the same
        keys}, "figures" (one slice plot per volume and noise level), "details" (the per-volume
        tables, the PSNR gain over tricubic by noise level, the noise levels, the volumes).

    Raises:
        ValueError: no test volume.

    Example:
    ```python
    from core.data import samples
    from domains.mri.disgan import DISGAN
    from domains.mri.disgan.training import template_test
    path = samples.fetch("mri.mni152_1mm")
    result = report(DISGAN.from_preset("disgan_mni_small"), template_test(path), "runs/disgan", "preset",
                    noise_levels=(0.0,))
    result["metrics"]["psnr_noise0"], result["baselines"]["tricubic"]["psnr_noise0"]   # 30.95, 31.48
    ```
    """
    if not data:
        raise ValueError(f"report needs at least one test volume (path, region). Received: data={data!r}")
    generator = getattr(model, "generator", model)
    output_dir = pathlib.Path(output_dir)
    methods = ("DISGAN", "tricubic", "trilinear", "nearest")
    values = {method: {} for method in methods}
    tables, figures, gain_keys = [], [], []
    unknown = [d for d in degradations if d not in DEGRADATIONS]
    if unknown or not degradations:
        raise ValueError(f"degradations must be some of {DEGRADATIONS}. Received: degradations={list(degradations)!r}")
    for index, entry in enumerate(data):
        path, region, label = (*entry, None)[:3]
        prefix = f"{label}_" if label else ""
        volume, _, _ = load_volume(path)
        where = "whole volume" if region is None else f"axial slices {region[2].start}-{region[2].stop - 1}"
        for degradation in degradations:
            evaluation = evaluate_volume(generator, volume, region, noise_levels=tuple(noise_levels), seed=seed,
                                         tile_options=tile_options, name="DISGAN", degradation=degradation,
                                         mask_background=mask_background)
            for level, rows in evaluation["tables"].items():
                kind = ("super-resolution (clean LR)" if level == 0
                        else f"denoising (LR + Rician noise σ={level:.0%} of p99)")
                key = prefix + metric_key("psnr", level, degradation)
                tables.append({"volume": str(path), "label": label, "region": where, "degradation": degradation,
                               "task": kind, "noise": level, "rows": rows,
                               "psnr_gain_over_tricubic_db": evaluation["gains"][level]["DISGAN"]})
                for row in rows:
                    for metric in ("psnr", "ssim", "nrmse"):
                        values[row["method"]].setdefault(prefix + metric_key(metric, level, degradation),
                                                         []).append(row[metric])
                gain_keys.append(key)
                hr = evaluation["hr"]
                middle = "" if degradation == "nearest" else f"{degradation}_"
                name = f"slices_{index}_{middle}noise{level:g}.png"
                figures.append(plot_slices(hr, evaluation["predictions"][level], output_dir / name,
                                           slice_index=hr.shape[2] // 2,
                                           title=f"{title}: {pathlib.Path(path).name}, {where}, {degradation}, {kind}"))
    means = {method: {key: float(np.mean(numbers)) for key, numbers in keys.items()} for method, keys in values.items()}
    gains = {key.replace("psnr_", "", 1): means["DISGAN"][key] - means["tricubic"][key] for key in dict.fromkeys(gain_keys)}
    details = {"noise_levels": [float(level) for level in noise_levels], "volumes": [str(entry[0]) for entry in data],
               "psnr_gain_over_tricubic_db": gains, "tables": tables}
    return report_result(title, means["DISGAN"], {method: means[method] for method in methods[1:]}, figures,
                         output_dir, details)
