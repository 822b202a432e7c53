"""domains.lamost — stellar parameters with uncertainties from LAMOST medium-resolution spectra.

RRNet (Xiong, Li & Liao, ApJS 261:36, 2022): a residual module, a recurrent "cross-band belief
enhancement" module and Gaussian heads (mean and variance) for Teff, log g, [Fe/H] or 14 [X/H],
with StarNet as baseline and the deep ensemble of the paper; a reader for real MRS FITS files
(`med-*.fits.gz`: co-adds and single exposures; five real DR7 files ship in `spectra/`) and the
official preprocessing, vectorised, with
bad pixels passed as a mask that cannot move the prediction. Training data here are SYNTHETIC
spectra with physical sense (`synthetic`): no labelled LAMOST spectra can be had offline.
CLI task: `lamost.rrnet`.

Modules: `data` (read_mrs, the shipped real spectra, the SYNTHETIC splits), `preprocessing` (grid,
continuum, mask, the noise channel from IVAR), `model` (RRNet, StarNet; `noise_input=True` reads
the per-pixel noise), `synthetic` (the generator), `lines` (its line physics: the Gaia-ESO line
list, Voigt profiles, one-layer LTE; the observed solar reference), `training` (the paper's
recipe), `evaluation` (`report`: S/N bins, calibration, a constant baseline, repeated epochs),
`ood` (the out-of-distribution score and flag), `presets` (the recipes of the shipped
`rrnet_synthetic` and `rrnet_ges`, the latter trained on the physical line model), `task` (CLI).

Speed on CPU: `resuite` starts TensorFlow with its oneDNN kernels for this task; in a script, call
`core.cli.use_cpu_kernels("lamost.rrnet")` before importing TensorFlow (which turns them on by
itself only on CPUs with AVX-512); without them its convolutions over 7,200 pixels
and 1-16 channels are slow, and RRNet runs 2-3x slower (`python -m bench lamost_rrnet`
measures both, and the outputs agree to float32 rounding). XLA (`jit_compile=True`) does not
help on CPU: its convolutions do not use oneDNN, and the RNN is bound by its matrix products.

Example:
```python
from domains.lamost import RRNet, preprocess, read_mrs
from domains.lamost.data import SPECTRA_DIR
from domains.lamost.synthetic import make_dataset
from domains.lamost.training import train_rrnet
x, y, snr = make_dataset(2000, seed=0)                          # SYNTHETIC spectra with labels
model = RRNet()                                                 # post-RNN [4, 8, 16]: Teff, logg, [Fe/H]
train_rrnet(model, (x[:1800], y[:1800]), (x[1800:], y[1800:]), "runs/rrnet", epochs=10)
spectrum = read_mrs(SPECTRA_DIR / "med-58625-TD192102N424113K01_sp12-076.fits.gz")
batch = preprocess([spectrum], rv=measure_rv(spectrum).rv)     # km/s, measured from both arms
mean, sigma = model.predict_gaussian(batch.model_input())
preset = RRNet.from_preset("rrnet_synthetic")                  # shipped: trained on SYNTHETIC spectra
physical = RRNet.from_preset("rrnet_ges")                      # shipped: SYNTHETIC spectra of the physical lines
paper = RRNet.from_official("RRNet/model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise/SP0")   # official weights
```
"""

from domains.lamost import task  # noqa: F401  (registers the CLI tasks)
from domains.lamost.data import MRSSpectrum, read_mrs
from domains.lamost.model import RRNet, StarNet
from domains.lamost.preprocessing import Preprocessed, preprocess
from domains.lamost.rv import measure_rv

__all__ = ["MRSSpectrum", "Preprocessed", "RRNet", "StarNet", "measure_rv", "preprocess", "read_mrs"]
