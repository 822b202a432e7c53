"""A brief training run: does σ follow the spectrum's noise once IVAR reaches RRNet (`noise_input=True`)?

Trains two RRNets of the paper's configuration on the same SYNTHETIC spectra (S/N 5–150), one
reading only flux and mask (the paper's), one reading the per-pixel noise σ as a third channel,
then predicts the same 200 held-out stars each made at S/N 5, 10, 20, 50 and 150 (the same labels,
only the noise changes) and prints, per S/N, the mean predicted σ and the MAE of each label, and
the std of z = (prediction − truth) / σ. A brief run (a few epochs on ~1,000 spectra), not a preset.

Usage:
    nice -n 10 python scripts/lamost_noise_input.py --n-train 1000 --epochs 4
    nice -n 10 python scripts/lamost_noise_input.py --n-train 1200 --epochs 6 --models noise   # then --models paper
"""

import argparse
import pathlib
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from domains.lamost.data import synthetic_splits  # noqa: E402
from domains.lamost.model import RRNet  # noqa: E402
from domains.lamost.synthetic import make_dataset  # noqa: E402
from domains.lamost.training import train_rrnet  # noqa: E402

SNRS = (5.0, 10.0, 20.0, 50.0, 150.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-val", type=int, default=200)
    parser.add_argument("--n-stars", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", choices=("both", "noise", "paper"), default="both",
                        help="both: the paper's RRNet beside the noise_input one; noise or paper: only one of them")
    args = parser.parse_args(argv)
    train, val = synthetic_splits({"train": args.n_train, "val": args.n_val}, seed=args.seed, splits=("train", "val"),
                                  noise=True)
    # One seed for every S/N: make_spectra draws the labels and RVs first, so only the noise level changes.
    held_out = {snr: make_dataset(args.n_stars, seed=20_000 + args.seed, noise=True, snr=snr) for snr in SNRS}
    for noise_input in {"both": (False, True), "noise": (True,), "paper": (False,)}[args.models]:
        model = RRNet(noise_input=noise_input)
        channels = slice(None) if noise_input else slice(0, 2)
        with tempfile.TemporaryDirectory() as folder:
            train_rrnet(model, (train[0][..., channels], train[1]), (val[0][..., channels], val[1]), folder,
                        epochs=args.epochs, batch_size=64, noise_from_epoch=None, seed=args.seed)
        print(f"RRNet(noise_input={noise_input}), {args.n_train} training spectra, {args.epochs} epochs:")
        for snr in SNRS:
            x, y, _ = held_out[snr]
            mean, sigma = model.predict_gaussian(x[..., channels])
            z = (mean - y) / sigma
            cells = ", ".join(f"{name} σ {sigma[:, i].mean():.3g} MAE {np.abs(mean - y)[:, i].mean():.3g} "
                              f"std(z) {z[:, i].std():.2f}" for i, name in enumerate(model.label_names))
            print(f"  S/N {snr:5.0f}: {cells}")


if __name__ == "__main__":
    main()
