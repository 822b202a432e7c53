"""The gradeability gate: is this photograph fit to be graded for DR at all, and if not, why?

No public DR model ships one, and a classifier gives a confident probability for anything it is
shown. `assess_gradeability` measures, on the raw photograph:

- **resolution**: the shorter side (a grader needs at least `MIN_SIDE` pixels);
- **field of view**: a bright disc on a dark background, as fundus cameras frame it: dark image
  corners, and a bright area that fills 45-97 % of its bounding box (a whole disc fills 78.5 %,
  a disc clipped at the top and bottom more);
- **fundus colour**: red dominates blue inside the field of view (the choroid's red-orange);
- **illumination**: the field of view is neither too dark nor overexposed (saturated);
- **focus**: the variance of the Laplacian of the green channel (where vessels and lesions have
  their contrast), at a fixed 512-px disc and relative to its brightness;
- **contrast**: the spread of the green channel inside the disc (haze, cataract, flash glare).

Each measure becomes a margin in [0, 1] (0.5 at its threshold, 1 at a clearly good value); the
score is the smallest margin and the image is gradeable when every check passes. The thresholds
were set on the real photograph (skimage's `retina`, gradeable) and degraded copies of it
(darkened, overexposed, blurred, hazed; `tests/domains/fundus/test_gate.py`), with wide margins
on both sides; they are documented constants a user can tighten on their own graded data.

Example:
```python
from domains.fundus.gate import assess_gradeability
from domains.fundus.preprocessing import read_fundus
verdict = assess_gradeability(read_fundus("retina.jpg"))
verdict.gradeable, verdict.score, verdict.reasons     # True, 0.9..., []
```
"""

import dataclasses

import numpy as np
import tensorflow as tf

from domains.fundus.preprocessing import crop_to_fov, fov_mask

MIN_SIDE = 256
FOCUS_SIZE = 512
# check: (threshold, clearly good value, direction): "min" needs value >= threshold, "max" value <= threshold.
CHECKS = {
    "resolution": (MIN_SIDE, 1024, "min"),
    "corner_darkness": (0.25, 0.05, "max"),  # mean corner luminance / mean FOV luminance
    "fov_fill": (0.97, 0.85, "max"),  # FOV area / bounding box area (a disc: 0.785; clipped discs more)
    "fov_fill_low": (0.45, 0.65, "min"),
    "red_over_blue": (1.4, 2.5, "min"),
    "mean_luminance": (25.0, 60.0, "min"),  # 0-255, inside the FOV
    "saturated_fraction": (0.15, 0.02, "max"),  # FOV pixels with luminance >= 245
    "focus": (0.0012, 0.004, "min"),  # var(Laplacian(green)) / mean(green)^2 at a 512-px disc
    "contrast": (0.12, 0.25, "min"),  # std(green) / mean(green) inside the disc
}
REASONS = {
    "resolution": "resolution too low to grade ({value:.0f} px on the shorter side; at least {threshold:.0f} needed)",
    "corner_darkness": "no dark border around a field of view: not a fundus photograph?",
    "fov_fill": "the bright area is not a disc (fills {value:.0%} of its box): not a fundus photograph?",
    "fov_fill_low": "the bright area is not a disc (fills {value:.0%} of its box): not a fundus photograph?",
    "red_over_blue": "colours are not those of a fundus (red/blue {value:.2f} < {threshold})",
    "mean_luminance": "too dark (mean luminance {value:.0f}/255 in the field of view)",
    "saturated_fraction": "overexposed ({value:.0%} of the field of view saturated)",
    "focus": "out of focus / blurred (sharpness {value:.4f} < {threshold})",
    "contrast": "too little contrast (haze or glare: {value:.3f} < {threshold})",
}


@dataclasses.dataclass
class Gradeability:
    """The gate's verdict: `gradeable`, `score` in [0, 1] (>= 0.5 gradeable), `reasons` and `measures`."""

    gradeable: bool
    score: float
    reasons: list
    measures: dict

    def describe(self):
        """One line: "gradeable (score 0.93)" or "ungradeable (score 0.12): too dark ...; ..."."""
        if self.gradeable:
            return f"gradeable (score {self.score:.2f})"
        return f"ungradeable (score {self.score:.2f}): " + "; ".join(self.reasons)


def _luminance(image):
    image = np.asarray(image, dtype=np.float32)
    return image @ np.array([0.299, 0.587, 0.114], np.float32)


def _margin(value, threshold, good, direction):
    if direction == "max":
        value, threshold, good = -value, -threshold, -good
    return float(np.clip(0.5 + 0.5 * (value - threshold) / (good - threshold), 0.0, 1.0))


def measure(image):
    """The gate's raw measures of one RGB photograph (uint8 `(H, W, 3)`): a dict of floats."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"the gate needs one RGB image (H, W, 3). Received: shape={image.shape}")
    height, width = image.shape[:2]
    mask = np.asarray(fov_mask(image))
    luminance = _luminance(image)
    inside = luminance[mask] if mask.any() else luminance.ravel()
    fov_mean = float(inside.mean()) + 1e-6
    corner = max(2, min(height, width) // 20)
    corners = np.concatenate([luminance[:corner, :corner].ravel(), luminance[:corner, -corner:].ravel(),
                              luminance[-corner:, :corner].ravel(), luminance[-corner:, -corner:].ravel()])
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1) if mask.any() else height * width
    rgb = image[mask].astype(np.float64) if mask.any() else image.reshape(-1, 3).astype(np.float64)
    # Focus and contrast on the disc resized to a fixed size, inside 80 % of its radius.
    disc = tf.image.resize(tf.cast(crop_to_fov(image), tf.float32), (FOCUS_SIZE, FOCUS_SIZE), antialias=True)
    green = np.asarray(disc)[..., 1]
    centre = (FOCUS_SIZE - 1) / 2
    yy, xx = np.mgrid[:FOCUS_SIZE, :FOCUS_SIZE]
    core = (yy - centre) ** 2 + (xx - centre) ** 2 <= (0.8 * FOCUS_SIZE / 2) ** 2
    laplacian = (green[:-2, 1:-1] + green[2:, 1:-1] + green[1:-1, :-2] + green[1:-1, 2:] - 4 * green[1:-1, 1:-1])
    green_mean = float(green[core].mean()) + 1e-6
    return {
        "resolution": float(min(height, width)),
        "corner_darkness": float(corners.mean()) / fov_mean,
        "fov_fill": float(mask.sum()) / float(box),
        "fov_fill_low": float(mask.sum()) / float(box),
        "red_over_blue": float(rgb[:, 0].mean() / (rgb[:, 2].mean() + 1.0)),
        "mean_luminance": fov_mean,
        "saturated_fraction": float(np.mean(inside >= 245)),
        "focus": float(laplacian[core[1:-1, 1:-1]].var()) / green_mean ** 2,
        "contrast": float(green[core].std()) / green_mean,
    }


def assess_gradeability(image):
    """The gate's verdict on one RGB photograph (uint8 `(H, W, 3)`, `read_fundus`).

    Returns:
        Gradeability: `gradeable`, `score` (the smallest margin; >= 0.5 when gradeable),
        `reasons` (one sentence per failed check, in the order of `CHECKS`) and `measures`.
    """
    measures = measure(image)
    margins, reasons = {}, []
    for name, (threshold, good, direction) in CHECKS.items():
        margins[name] = _margin(measures[name], threshold, good, direction)
        if margins[name] < 0.5:
            reason = REASONS[name].format(value=measures[name], threshold=threshold)
            if reason not in reasons:
                reasons.append(reason)
    score = min(margins.values())
    return Gradeability(gradeable=not reasons, score=score, reasons=reasons, measures=measures)
