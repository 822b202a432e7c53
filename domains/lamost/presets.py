"""LAMOST presets: the paper's RRNet trained on SYNTHETIC spectra, weights stored in float16 to fit 10 MB.

`make presets` (scripts/make_presets.py) trains it with `make_presets()`: the `lamost.rrnet` task
on 2,000 / 300 / 1,000 SYNTHETIC MRS spectra (`domains.lamost.synthetic`, seed 0), the paper's
configuration (post-RNN [4, 8, 16], dense 256 / 128, Teff / log g / [Fe/H]) and recipe (Adam 5e-4,
step decay, noise from epoch 5), 8 epochs at batch 64. RRNet's 3,981,634 weights are 16 MB in
float32; the preset stores its three large matrices (the 14,400 × 256 dense kernel and the RNN's
two 360 × 360 kernels, 96 % of the weights) in float16 (`core.presets.store_float16`): 8.2 MB.
It loads into float32 variables and computes in float32. `make_presets` checks on the held-out
SYNTHETIC test spectra that the stored model keeps the float32 model's numbers (each label's
MAE within `FLOAT16_TOLERANCE`, relative) and records both in `metadata.json`.

It shows the whole path (real MRS file → preprocessing → label ± σ) in seconds. It has never seen
a real labelled star: its values on real spectra have no authority.

Example:
```python
from domains.lamost import RRNet
model = RRNet.from_preset("rrnet_synthetic")
```
"""

import keras
import numpy as np

from core import presets

PACKAGE = "domains.lamost"
DEFAULT_PRESET = "rrnet_synthetic"
FLOAT16_FROM = 65536  # arrays of >= 65,536 values: the dense kernel and the two RNN kernels
FLOAT16_TOLERANCE = 0.01  # relative change of each label's MAE allowed by the float16 storage
RECIPES = {
    DEFAULT_PRESET: (
        "RRNet, the paper's configuration (post-RNN [4, 8, 16], 40 steps, dense 256/128; Teff, logg, [Fe/H] ± σ), "
        "trained on SYNTHETIC LAMOST MRS spectra (domains.lamost.synthetic; never on real labelled stars); "
        "large weight matrices stored in float16",
        {"labels": "stellar", "n_train": 2000, "n_val": 300, "n_test": 1000, "baseline": False},
        8,
        64,
    ),
}


def float16_check(model, test, folder):
    """MAE per label of `model` and of its float16-stored copy on `test` (x, y, snr); raises if they differ.

    Args:
        model: a trained RRNet.
        test: (x, y, snr) held-out spectra.
        folder: Path. Scratch folder for the two `.keras` files.

    Returns:
        dict: per label the two MAEs, and the largest change of a prediction (mean and σ).
    """
    float32, float16 = folder / "float32.keras", folder / "float16.keras"
    model.save(float32)
    model.save(float16)
    presets.store_float16(float16, FLOAT16_FROM)
    stored = keras.saving.load_model(float16, compile=False)
    x, y, _ = test
    (mean32, sigma32), (mean16, sigma16) = model.predict_gaussian(x), stored.predict_gaussian(x)
    check = {"tolerance": f"each label's MAE within {FLOAT16_TOLERANCE:.0%} of the float32 model's",
             "n_test": int(len(y))}
    for j, name in enumerate(model.label_names):
        mae32, mae16 = np.abs(mean32[:, j] - y[:, j]).mean(), np.abs(mean16[:, j] - y[:, j]).mean()
        check[name] = {"mae_float32": float(mae32), "mae_float16": float(mae16),
                       "max_mean_change": float(np.abs(mean16[:, j] - mean32[:, j]).max()),
                       "max_sigma_change": float(np.abs(sigma16[:, j] - sigma32[:, j]).max())}
        if abs(mae16 - mae32) > FLOAT16_TOLERANCE * mae32:
            raise ValueError(f"The float16 storage changes the {name} MAE from {mae32:.4g} to {mae16:.4g}, "
                             f"more than {FLOAT16_TOLERANCE:.0%}: not shipped")
    return check


def make_presets(names=None, seed=0, verbose=1):
    """Train and save the presets (the command behind `make presets`), returning their folders.

    Args:
        names: list of str or None (all of `RECIPES`).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
    """
    from domains.lamost.task import RRNetTask, synthetic_data

    def describe(results, config):
        model = keras.saving.load_model(results["model"], compile=False)
        test = synthetic_data(config.options, config.seed, splits=("test",))[0]
        labels = {name: {"mae": results[f"{name}_mae_snr10"], "z_std": results[f"{name}_z_std_snr10"],
                         "coverage_1sigma": results[f"{name}_coverage_1sigma_snr10"]} for name in model.label_names}
        real = {key: value for key, value in results.items() if "scatter/σ" in key}
        return model, {"metrics": {"synthetic_test_snr10": labels, "real_dr7_repeated_epochs": real,
                                   "float16_check": float16_check(model, test, config.output_dir)},
                       "train_seconds": results["train_seconds"]}

    return presets.train_presets(RRNetTask(), PACKAGE, RECIPES, describe, names, seed, verbose,
                                 float16_from=FLOAT16_FROM)
