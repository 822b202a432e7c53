"""Out-of-distribution score: how unlike the training spectra a spectrum looks to the model.

The score is the Mahalanobis distance of the model's sequence features from those of its training
spectra: the output of the last layer before the dense ones (RRNet's recurrent module, 40 steps
× 360, or the last pooled convolution in "raw" mode) averaged over its steps (`features`), with
the mean and covariance fitted on the training set (a little shrinkage towards the diagonal, as
ReLU features have dead units), d² = (f − μ)ᵀ Σ⁻¹ (f − μ), reported as d = √(d² / features). The
threshold is calibrated on held-out SYNTHETIC spectra (never the training ones) at a stated
false-flag rate: the fraction of held-out spectra like the training set that the flag would
wrongly mark. For an ensemble the score is the members' mean d.

Why these features and not the penultimate dense layer's (the usual choice): on the
`rrnet_synthetic` preset, the dense features scored an empty-sky exposure like a star (it gets
ordinary labels and σ from them too), while the recurrent module's outputs separate it
(`scripts/lamost_ood.py` prints both).

Example:
```python
from domains.lamost import RRNet
from domains.lamost.data import synthetic_splits
from domains.lamost.ood import OODScore
model = RRNet.from_preset("rrnet_synthetic")
train, val = synthetic_splits({"train": 2000, "val": 300}, seed=0, splits=("train", "val"))
ood = OODScore.fit(model, train[0]).calibrate(model, val[0], false_flag_rate=0.01)
ood.score(model, val[0][:4]), ood.threshold       # d per spectrum; flag where d > threshold
ood.save("ood.npz"); ood = OODScore.load("ood.npz")
```
"""

import dataclasses
import pathlib

import keras
import numpy as np

from domains.lamost.model import inputs_for

SHRINKAGE = 1e-2
# Shipped scores, calibrated by scripts/lamost_ood.py on the preset's own training and validation spectra.
OOD_FILES = {name: pathlib.Path(__file__).parent / "calibrations" / f"{name}_ood.npz"
             for name in ("rrnet_synthetic", "rrnet_ges")}


def _members(model):
    return list(getattr(model, "members", [model]))


def _dense_features(model):
    names = [layer.name for layer in model.layers if layer.name.startswith("hidden_") and "dropout" not in layer.name]
    if not names:
        raise ValueError(f"{model.name} has no hidden dense layer before its heads. Received: layers "
                         f"{[layer.name for layer in model.layers]}")
    return keras.Model(model.input, model.get_layer(names[-1]).output)


def _sequence_features(model):
    backbone = model.backbone
    sequence = backbone.get_layer("flatten").input
    return keras.Model(backbone.input, keras.ops.mean(sequence, axis=1))


FEATURES = {"sequence": _sequence_features, "dense": _dense_features}


def features(model, x, kind="sequence", batch_size=256):
    """The features (n, units) the score reads.

    Args:
        model: RRNet or StarNet.
        x: (n, pixels, channels) inputs (a noise channel is dropped for a model without it).
        kind: "sequence" (the last layer before the dense ones, averaged over its steps) or
            "dense" (the last hidden dense layer, what the Gaussian heads read). Defaults to "sequence".
        batch_size: int. Defaults to 256.
    """
    if kind not in FEATURES:
        raise ValueError(f"kind must be one of {list(FEATURES)}. Received: kind={kind!r}")
    extractor = FEATURES[kind](model)
    x = inputs_for(model, x)
    return np.concatenate([keras.ops.convert_to_numpy(extractor(x[start:start + batch_size], training=False))
                           for start in range(0, len(x), batch_size)]).astype("float64")


@dataclasses.dataclass
class OODScore:
    """Mahalanobis distance of a model's features to the training set's, one Gaussian per member.

    Attributes:
        kind: "sequence" or "dense" (`features`).
        means: list of (units,) arrays, one per ensemble member (one for a single model).
        precisions: list of (units, units) inverse covariances.
        threshold: float or None. The d above which a spectrum is flagged (`calibrate`).
        false_flag_rate: float or None. The held-out rate it was calibrated at.
    """

    means: list
    precisions: list
    threshold: float = None
    false_flag_rate: float = None
    kind: str = "sequence"

    @classmethod
    def fit(cls, model, x, shrinkage=SHRINKAGE, kind="sequence"):
        """Fit the training features' mean and (shrunk) covariance.

        Args:
            model: RRNet, StarNet or an ensemble (`.members`).
            x: (n, 7200, 2 or 3) the model's training inputs.
            shrinkage: float. Σ + shrinkage · mean(diag Σ) · I. Defaults to 0.01.
            kind: "sequence" or "dense" (`features`). Defaults to "sequence".

        Returns:
            OODScore (not calibrated).
        """
        means, precisions = [], []
        for member in _members(model):
            values = features(member, x, kind)
            if len(values) <= values.shape[1]:
                raise ValueError(f"OODScore.fit needs more spectra than features ({values.shape[1]}). "
                                 f"Received: {len(values)} spectra")
            mean = values.mean(axis=0)
            covariance = np.cov(values, rowvar=False)
            covariance += shrinkage * max(np.mean(np.diag(covariance)), 1e-12) * np.eye(len(mean))
            means.append(mean)
            precisions.append(np.linalg.inv(covariance))
        return cls(means=means, precisions=precisions, kind=kind)

    def score(self, model, x):
        """d (n,) for inputs `x`: √(d² / units), averaged over the ensemble's members."""
        members = _members(model)
        if len(members) != len(self.means):
            raise ValueError(f"This score was fitted for {len(self.means)} member(s). Received: a model of {len(members)}")
        scores = []
        for member, mean, precision in zip(members, self.means, self.precisions):
            centred = features(member, x, self.kind) - mean
            scores.append(np.sqrt(np.einsum("ni,ij,nj->n", centred, precision, centred) / len(mean)))
        return np.mean(scores, axis=0)

    def calibrate(self, model, x, false_flag_rate=0.01):
        """Set the threshold to the (1 − rate) quantile of the scores of held-out spectra `x`."""
        if not 0.0 < false_flag_rate < 1.0:
            raise ValueError(f"false_flag_rate must be in (0, 1). Received: false_flag_rate={false_flag_rate}")
        self.threshold = float(np.quantile(self.score(model, x), 1.0 - false_flag_rate))
        self.false_flag_rate = float(false_flag_rate)
        return self

    def flags(self, scores):
        """One flag text per score ("" below the threshold)."""
        if self.threshold is None:
            raise ValueError("OODScore.flags needs a threshold: call calibrate first. Received: threshold=None")
        return [f"unlike the training spectra (OOD score {value:.2f} > {self.threshold:.2f}, the held-out "
                f"{100 * self.false_flag_rate:g} % false-flag threshold)" if value > self.threshold else ""
                for value in scores]

    def save(self, path):
        """Write an `.npz` (means, precisions in float64: the precision matrix amplifies rounding; threshold, rate, kind)."""
        np.savez_compressed(path, means=np.stack(self.means),
                            precisions=np.stack(self.precisions),
                            threshold=np.float64(np.nan if self.threshold is None else self.threshold),
                            false_flag_rate=np.float64(np.nan if self.false_flag_rate is None else self.false_flag_rate),
                            kind=np.str_(self.kind))

    @classmethod
    def load(cls, path):
        """Read `save`'s file."""
        path = pathlib.Path(path)
        try:
            data = np.load(path)
            means, precisions = data["means"], data["precisions"]
            threshold, rate, kind = float(data["threshold"]), float(data["false_flag_rate"]), str(data["kind"])
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"{path}: expected an OOD score file written by OODScore.save (means, precisions, "
                             f"threshold, false_flag_rate). Received: {error}") from None
        return cls(means=[m.astype("float64") for m in means], precisions=[p.astype("float64") for p in precisions],
                   threshold=None if np.isnan(threshold) else threshold, false_flag_rate=None if np.isnan(rate) else rate,
                   kind=kind)
