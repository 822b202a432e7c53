"""Calibrate a LAMOST model's σ per S/N bin on held-out SYNTHETIC spectra, and show it on its test spectra.

    nice -n 10 python scripts/lamost_snr_calibration.py --preset rrnet_synthetic --output runs/lamost-snr-calibration
    nice -n 10 python scripts/lamost_snr_calibration.py --preset rrnet_ges --output runs/lamost-snr-calibration-ges

Fits `domains.lamost.calibration.SNRCalibration` on `--n-calibration` spectra of the `val` split
of seed `--calibration-seed` (5 by default: neither the preset's training, validation nor test
spectra, which are seed 0's), then scores the model before and after on the test split of
`--test-seed` (0: the preset's own 1,000 test spectra): std(z) and ±1σ coverage per S/N bin and
label. Writes `snr_calibration.json`, `calibration.json` (the table) and `calibration.png` (std(z)
per bin before/after, and σ against S/N) into `--output`. `predict --option snr_calibration=FILE`
applies the JSON. The spectra follow the preset's line model (its recipe's `lines`: ges for `rrnet_ges`).
"""

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))


def table(mean, sigma, y, snr, label_names, edges):
    from domains.lamost.calibration import bin_index

    index = bin_index(snr, edges)
    rows = []
    for b in range(len(edges) - 1):
        members = (index == b) & (snr >= edges[0])
        row = {"S/N": f"{edges[b]:g}–{edges[b + 1]:g}", "n": int(members.sum())}
        for j, name in enumerate(label_names):
            z = (mean[members, j] - y[members, j]) / sigma[members, j]
            row[f"{name} std(z)"] = round(float(z.std()), 3)
            row[f"{name} ±1σ"] = round(float(np.mean(np.abs(z) <= 1)), 3)
            row[f"{name} mean σ"] = round(float(sigma[members, j].mean()), 4)
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="rrnet_synthetic")
    parser.add_argument("--output", default="runs/lamost-snr-calibration")
    parser.add_argument("--n-calibration", type=int, default=1000)
    parser.add_argument("--calibration-seed", type=int, default=5)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--test-seed", type=int, default=0)
    args = parser.parse_args(argv)

    from matplotlib.figure import Figure

    from domains.lamost.calibration import SNR_EDGES, SNRCalibration
    from domains.lamost.data import synthetic_splits
    from domains.lamost.model import RRNet, uses_noise
    from domains.lamost.task import line_model

    start = time.time()
    model = RRNet.from_preset(args.preset)
    kind = {"lines": line_model({}, args.preset), "noise": uses_noise(model)}
    (held_out,) = synthetic_splits({"val": args.n_calibration}, seed=args.calibration_seed, splits=("val",), **kind)
    (test,) = synthetic_splits({"test": args.n_test}, seed=args.test_seed, splits=("test",), **kind)
    mean, sigma = model.predict_gaussian(held_out[0])
    calibration = SNRCalibration.fit(mean, sigma, held_out[1], held_out[2], model.label_names, SNR_EDGES)
    output = pathlib.Path(args.output)
    calibration.save(output / "snr_calibration.json")
    mean, sigma = model.predict_gaussian(test[0])
    calibrated = calibration.apply(sigma, test[2])
    before = table(mean, sigma, test[1], test[2], model.label_names, SNR_EDGES)
    after = table(mean, calibrated, test[1], test[2], model.label_names, SNR_EDGES)
    result = {"preset": args.preset, "data": f"SYNTHETIC (lines={kind['lines']})", "calibration": f"val split of seed {args.calibration_seed}, "
              f"{args.n_calibration} spectra", "test": f"test split of seed {args.test_seed}, {args.n_test} spectra",
              "scales": calibration.to_dict(), "before": before, "after": after,
              "seconds": round(time.time() - start, 1)}
    (output / "calibration.json").write_text(json.dumps(result, indent=2))

    figure = Figure(figsize=(4.2 * len(model.label_names), 7), layout="constrained")
    axes = figure.subplots(2, len(model.label_names), squeeze=False)
    centres = np.sqrt(np.array(SNR_EDGES[:-1]) * np.array(SNR_EDGES[1:]))
    for j, name in enumerate(model.label_names):
        axis = axes[0, j]
        axis.axhspan(0.8, 1.2, color="0.9")
        axis.plot(centres, [r[f"{name} std(z)"] for r in before], "o-", label="model's σ")
        axis.plot(centres, [r[f"{name} std(z)"] for r in after], "s-", label="calibrated per S/N bin")
        axis.set(xscale="log", xlabel="S/N (blue arm)", ylabel="std of z = (pred − true)/σ",
                 title=f"{name}: held-out SYNTHETIC test spectra")
        axis.legend(fontsize=8)
        axis = axes[1, j]
        axis.scatter(test[2], sigma[:, j], s=3, alpha=0.4, label="model's σ")
        axis.scatter(test[2], calibrated[:, j], s=3, alpha=0.4, label="calibrated σ")
        axis.scatter(test[2], np.abs(mean[:, j] - test[1][:, j]), s=2, alpha=0.3, color="0.5", label="|error|")
        axis.set(xscale="log", yscale="log", xlabel="S/N (blue arm)", ylabel=f"{name} σ")
        axis.legend(fontsize=8)
    for axis in axes.ravel():
        axis.set_xticks(SNR_EDGES, [f"{edge:g}" for edge in SNR_EDGES])
        axis.minorticks_off()
    figure.savefig(output / "calibration.png", dpi=90)
    for name, rows in (("before", before), ("after", after)):
        print(name)
        for row in rows:
            print("  ", row)
    print(f"{output} in {result['seconds']} s")


if __name__ == "__main__":
    main()
