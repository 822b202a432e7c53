"""σ calibrated per S/N bin on held-out SYNTHETIC spectra: one scale per bin and label, no retraining.

A model trained with the Gaussian NLL predicts a σ per spectrum, but how well it matches the
errors changes with S/N (the `rrnet_synthetic` preset's is about right at S/N 5–10 and too large
above). `SNRCalibration.fit` measures, on labelled spectra kept out of training and testing, the
spread (standard deviation) of z = (prediction − truth) / σ in each S/N bin and label; `apply`
multiplies σ by it for the bin of each spectrum's S/N, so that on new spectra from the same
distribution z spreads by ≈ 1 in every bin. A bias of the means is not a spread: it stays, and
the ±1σ coverage falls below 68 % where the means are biased (measured per bin by
`scripts/lamost_snr_calibration.py`). S/N below the first edge takes the first bin's scale, above the last the last's
(a spectrum below the S/N floor is flagged anyway: `domains.lamost.evaluation.predict_files`).
The calibration knows the synthetic spectra only: on real spectra unlike them it cannot say more.

Example:
```python
from domains.lamost.data import synthetic_splits
(held_out,) = synthetic_splits({"val": 600}, seed=5, splits=("val",))
x, y, snr = held_out
mean, sigma = model.predict_gaussian(x)
calibration = SNRCalibration.fit(mean, sigma, y, snr, model.label_names)
calibrated = calibration.apply(sigma, snr)
calibration.save("runs/snr_calibration.json")
```
"""

import dataclasses
import json
import pathlib

import numpy as np

SNR_EDGES = (5.0, 10.0, 20.0, 50.0, 150.0)
MIN_COUNT = 20


@dataclasses.dataclass
class SNRCalibration:
    """Scales of σ per S/N bin and label.

    Attributes:
        edges: tuple of float, the bins' S/N edges (bins [e0, e1), [e1, e2), ...).
        label_names: list of str.
        scales: (bins, labels) float array: σ is multiplied by scales[bin, label].
        counts: (bins,) int array: the spectra each scale was measured on.
    """

    edges: tuple
    label_names: list
    scales: np.ndarray
    counts: np.ndarray

    @classmethod
    def fit(cls, mean, sigma, y, snr, label_names, edges=SNR_EDGES, min_count=MIN_COUNT):
        """The scales making z's standard deviation 1 in each bin of held-out labelled spectra.

        Args:
            mean, sigma: (n, labels) predictions.
            y: (n, labels) truths.
            snr: (n,) S/N of each spectrum.
            label_names: list of str.
            edges: bin edges. Defaults to (5, 10, 20, 50, 150).
            min_count: int. A bin with fewer spectra takes the scale of all of them. Defaults to 20.

        Returns:
            SNRCalibration.

        Raises:
            ValueError: shapes that do not match, or no spectrum at all.
        """
        mean, sigma, y = (np.asarray(a, "float64") for a in (mean, sigma, y))
        snr = np.asarray(snr, "float64")
        if not (mean.shape == sigma.shape == y.shape and mean.ndim == 2 and len(snr) == len(y) > 0
                and mean.shape[1] == len(label_names)):
            raise ValueError(f"mean, sigma and y must be (n, {len(label_names)}) and snr (n,), n > 0. Received: "
                             f"{mean.shape}, {sigma.shape}, {y.shape}, {snr.shape}")
        z = (mean - y) / sigma
        overall = z.std(axis=0)
        index = bin_index(snr, edges)
        scales, counts = [], []
        for b in range(len(edges) - 1):
            members = index == b
            counts.append(int(members.sum()))
            scales.append(z[members].std(axis=0) if members.sum() >= min_count else overall)
        return cls(tuple(float(e) for e in edges), list(label_names), np.array(scales), np.array(counts))

    def apply(self, sigma, snr):
        """σ (n, labels) scaled by the bin of each S/N (n,)."""
        return np.asarray(sigma, "float64") * self.scales[bin_index(snr, self.edges)]

    def to_dict(self):
        return {"edges": list(self.edges), "label_names": self.label_names, "scales": self.scales.tolist(),
                "counts": self.counts.tolist()}

    @classmethod
    def from_dict(cls, data):
        return cls(tuple(data["edges"]), list(data["label_names"]), np.asarray(data["scales"], "float64"),
                   np.asarray(data["counts"], "int64"))

    def save(self, path):
        """Write the calibration as JSON; returns the Path."""
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2))
        return path

    @classmethod
    def load(cls, path):
        """A calibration written by `save`.

        Raises:
            FileNotFoundError: no such file.
            ValueError: not a calibration's JSON.
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file (expected an S/N calibration written by "
                                    "SNRCalibration.save)")
        data = json.loads(path.read_text())
        missing = [key for key in ("edges", "label_names", "scales", "counts") if key not in data]
        if missing:
            raise ValueError(f"{path}: not an S/N calibration: expected the keys edges, label_names, scales, counts. "
                             f"Received: missing {missing}")
        return cls.from_dict(data)


def bin_index(snr, edges=SNR_EDGES):
    """The bin of each S/N, clipped to the first and last bins."""
    return np.clip(np.searchsorted(np.asarray(edges[1:-1], "float64"), np.asarray(snr, "float64"), side="right"),
                   0, len(edges) - 2)
