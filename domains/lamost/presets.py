"""LAMOST presets: the paper's RRNet trained on SYNTHETIC spectra, weights stored in float16 to fit 10 MB.

`rrnet_synthetic`: `make presets` (scripts/make_presets.py) trains it through the `lamost.rrnet`
task on 2,000 / 300 / 1,000 SYNTHETIC MRS spectra (`domains.lamost.synthetic`, seed 0), the
paper's configuration (post-RNN [4, 8, 16], dense 256 / 128, Teff / log g / [Fe/H]) and recipe
(Adam 5e-4, step decay, noise from epoch 5), 8 epochs at batch 64. RRNet's 3,981,634 weights are
16 MB in float32; the preset stores its three large matrices (the 14,400 × 256 dense kernel and
the RNN's two 360 × 360 kernels, 96 % of the weights) in float16 (`core.presets.store_float16`):
8.2 MB. It loads into float32 variables and computes in float32. The task's `make_preset` checks
on the held-out SYNTHETIC test spectra that the stored model keeps the float32 model's numbers
(`domains.lamost.evaluation.float16_check`: each label's MAE within 1 %, relative) and records
both in `metadata.json`; its score is measured on those same 1,000 test spectra (seed 0:
`resuite evaluate lamost.rrnet --preset rrnet_synthetic --option n_test=1000`).

It shows the whole path (real MRS file → preprocessing → label ± σ) in seconds. It has never seen
a real labelled star: its values on real spectra have no authority.

`rrnet_ges`: the same recipe in the official layout (one ReLU after the residual module) on 6,000
SYNTHETIC spectra of the physical line model (`--option lines=ges`, `domains.lamost.lines`), 12
epochs; scored on 1,000 test spectra of that line model. Not the default: the two presets' test sets
come from different generators, so their scores do not rank them.

Example:
```python
from domains.lamost import RRNet
model = RRNet.from_preset("rrnet_synthetic")
```
"""

from core.presets import Recipe

DEFAULT_PRESET = "rrnet_synthetic"
FLOAT16_FROM = 65536  # arrays of >= 65,536 values: the dense kernel and the two RNN kernels
RECIPES = {
    DEFAULT_PRESET: Recipe(
        "lamost.rrnet",
        "RRNet, the paper's configuration (post-RNN [4, 8, 16], 40 steps, dense 256/128; Teff, logg, [Fe/H] ± σ), "
        "trained on SYNTHETIC LAMOST MRS spectra (domains.lamost.synthetic; never on real labelled stars); "
        "large weight matrices stored in float16",
        {"labels": "stellar", "n_train": 2000, "n_val": 300, "n_test": 1000, "baseline": False},
        epochs=8,
        batch_size=64,
        # The 1,000 SYNTHETIC test spectra of the training run (seed 0): its metadata metrics came from them.
        evaluate={"n_test": 1000},
        float16_from=FLOAT16_FROM,
    ),
    "rrnet_ges": Recipe(
        "lamost.rrnet",
        "RRNet, the paper's configuration in the official layout (post-RNN [4, 8, 16], one ReLU after the residual "
        "module; Teff, logg, [Fe/H] ± σ), trained on SYNTHETIC LAMOST MRS spectra of the physical line model (lines=ges: Gaia-ESO line list, "
        "Voigt profiles, LTE strengths; never on real labelled stars); large weight matrices stored in float16",
        {"labels": "stellar", "n_train": 6000, "n_val": 300, "n_test": 1000, "baseline": False, "lines": "ges"},
        epochs=12,
        batch_size=64,
        # The 1,000 SYNTHETIC test spectra (lines=ges) of the training run (seed 0): its metadata metrics came from them.
        evaluate={"n_test": 1000, "lines": "ges"},
        float16_from=FLOAT16_FROM,
    ),
}
