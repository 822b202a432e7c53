"""Fit and calibrate the out-of-distribution score of a LAMOST preset, and show what it flags.

The score (`domains.lamost.ood.OODScore`): the Mahalanobis distance of the preset's sequence
features (its recurrent module's outputs averaged over the 40 steps; `--kind dense`: the last
dense layer's, for comparison) from those of its own SYNTHETIC training spectra (the preset's
recipe, seed 0: the same line model and sizes, 2,000 for both shipped presets); the
threshold: the 99th percentile on its 300 validation spectra (a 1 % false-flag rate); checked on
its 1,000 test spectra (held out from both). Then the score of: the real DR7 co-adds and every
exposure, the two DR6 files of `spectra/empty_sky/` whose co-adds hold no star (S/N 0.0 and 0.2
in their headers), SYNTHETIC spectra below
the S/N the preset was trained on (S/N 1–3), and spectra of the other line model
(`rrnet_synthetic` never saw the physical one, `lines="ges"`, `domains.lamost.lines`: the Gaia-ESO
line list, Voigt profiles, LTE strengths; `rrnet_ges` never saw the illustrative one), and the Sun
of both line models. Writes `domains/lamost/calibrations/<preset>_ood.npz` (what `predict --option
ood=auto` loads for `--preset <preset>`, `domains.lamost.ood.OOD_FILES`).

Usage:
    nice -n 10 python scripts/lamost_ood.py                        # rrnet_synthetic
    nice -n 10 python scripts/lamost_ood.py --preset rrnet_ges
"""

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from domains.lamost import RRNet  # noqa: E402
from domains.lamost.data import SPECTRA_DIR, mrs_files, synthetic_splits  # noqa: E402
from domains.lamost.evaluation import predict_files  # noqa: E402
from domains.lamost.ood import OOD_FILES, OODScore  # noqa: E402
from domains.lamost.presets import DEFAULT_PRESET, RECIPES  # noqa: E402
from domains.lamost.model import uses_noise  # noqa: E402
from domains.lamost.synthetic import ALL_LABELS, LINE_MODELS, make_dataset, make_spectra  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=0.01, help="false-flag rate on the validation spectra")
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=tuple(RECIPES))
    parser.add_argument("--output", type=pathlib.Path, help="default: the preset's file of OOD_FILES")
    parser.add_argument("--kind", choices=("sequence", "dense"), default="sequence")
    args = parser.parse_args(argv)
    output = args.output or OOD_FILES[args.preset]
    model = RRNet.from_preset(args.preset)
    options = RECIPES[args.preset].options
    line_model = options.get("lines", "illustrative")
    noise = uses_noise(model)
    sizes = {split: options[f"n_{split}"] for split in ("train", "val", "test")}
    train, val, test = synthetic_splits(sizes, seed=0, noise=noise, lines=line_model)
    ood = OODScore.fit(model, train[0], kind=args.kind).calibrate(model, val[0], false_flag_rate=args.rate)
    if args.kind == "sequence":
        output.parent.mkdir(parents=True, exist_ok=True)
        ood.save(output)
    flagged = ood.score(model, test[0]) > ood.threshold
    print(f"threshold {ood.threshold:.3f} (validation, {100 * args.rate:g} % false flags); test spectra flagged: "
          f"{flagged.sum()} of {flagged.size} ({100 * flagged.mean():.1f} %)")
    for low, high in ((5.0, 10.0), (10.0, 150.0)):
        inside = (test[2] >= low) & (test[2] < high)
        print(f"  test S/N {low:g}-{high:g}: {100 * flagged[inside].mean():.1f} % flagged of {inside.sum()}")
    rows = predict_files(model, mrs_files() + mrs_files(SPECTRA_DIR / "empty_sky"), exposures=True, ood=ood)
    for row in rows:
        print(f"  real {row['file'][:30]} [{row['source']}] S/N {row['snr']:.1f}: OOD score {row['ood_score']:.2f} "
              f"-> {'FLAGGED' if row['ood_score'] > ood.threshold else 'not flagged'}")
    low_snr = make_dataset(200, seed=7, snr_range=(1.0, 3.0), lines=line_model, noise=noise)[0]
    print(f"SYNTHETIC S/N 1-3 (below the training range): {100 * (ood.score(model, low_snr) > ood.threshold).mean():.1f} % flagged of 200")
    other = next(kind for kind in LINE_MODELS if kind != line_model)
    unseen = make_dataset(200, seed=8, lines=other, snr_range=(10.0, 150.0), noise=noise)[0]
    print(f"the other line model (lines={other!r}), S/N 10-150: {100 * (ood.score(model, unseen) > ood.threshold).mean():.1f} % flagged of 200")
    sun = np.array([[5772.0, 4.44] + [0.0] * (len(ALL_LABELS) - 2)] * 8)
    for lines in LINE_MODELS:
        batch = make_spectra(8, seed=9, labels=sun, snr=100.0, lines=lines)
        x = batch.preprocess(noise=noise).model_input(noise=noise)
        scores = ood.score(model, x)
        mean, sigma = model.predict_gaussian(x)
        print(f"the Sun (lines={lines}, S/N 100, 8 noise draws): OOD score {scores.mean():.2f} ± {scores.std():.2f}, "
              f"flagged {int((scores > ood.threshold).sum())} of 8; predicted Teff {mean[:, 0].mean():.0f} ± "
              f"{sigma[:, 0].mean():.0f} K, log g {mean[:, 1].mean():.2f}, [Fe/H] {mean[:, 2].mean():.2f}")


if __name__ == "__main__":
    main()
