"""SYNTHETIC fundus photographs with DR lesions at a grade-dependent density (for training demos only).

No multi-image fundus set ships in a package registry (the samples are single photographs), so
training and the AUC of the demo and the notebook are shown on these drawings, and say so. Each
image is drawn with Pillow: a black
background, a red-orange disc with vignetting, a bright optic disc, a darker macula, a vessel
tree of branching arcs leaving the optic disc, and for ICDR grade g:

| grade | microaneurysms | haemorrhages | hard exudates | new vessels |
|---|---|---|---|---|
| 0 none | 0 | 0 | 0 | no |
| 1 mild | 2-6 | 0 | 0 | no |
| 2 moderate | 6-15 | 1-4 | 2-8 | no |
| 3 severe | 12-25 | 5-12 | 5-15 | no |
| 4 proliferative | 12-25 | 4-10 | 4-12 | yes |

Referable = grade >= 2, as in the paper. The photographs are not a model of real retinas; they
exercise the whole pipeline (FOV crop, Graham's normalisation, training, evaluation, Grad-CAM).

Example:
```python
from domains.fundus.synthetic import synthetic_fundus_set
images, grades = synthetic_fundus_set(8, size=256, seed=0)   # uint8 (8, 256, 256, 3), ICDR grades
```
"""

import math

import numpy as np

GRADE_NAMES = ("no DR", "mild NPDR", "moderate NPDR", "severe NPDR", "proliferative DR")
REFERABLE_GRADE = 2
# grade: (microaneurysms, haemorrhages, exudates) as (low, high) counts, and new vessels.
LESIONS = {
    0: ((0, 0), (0, 0), (0, 0), False),
    1: ((2, 6), (0, 0), (0, 0), False),
    2: ((6, 15), (1, 4), (2, 8), False),
    3: ((12, 25), (5, 12), (5, 15), False),
    4: ((12, 25), (4, 10), (4, 12), True),
}
# EyePACS's grade frequencies (trainLabels.csv: 73.5 / 7.0 / 15.1 / 2.5 / 2.0 %).
EYEPACS_GRADE_FREQUENCIES = (0.735, 0.070, 0.151, 0.025, 0.020)


def synthetic_fundus(grade, size=256, seed=0):
    """One SYNTHETIC fundus photograph of ICDR `grade`, uint8 RGB `(size, size, 3)`.

    Args:
        grade: int in 0..4.
        size: int >= 64. Side of the image. Defaults to 256.
        seed: int. Defaults to 0.
    """
    from PIL import Image, ImageDraw, ImageFilter

    if grade not in LESIONS:
        raise ValueError(f"grade must be an ICDR grade 0..4. Received: grade={grade!r}")
    if size < 64:
        raise ValueError(f"size must be >= 64. Received: size={size}")
    rng = np.random.default_rng(seed)
    radius = size * rng.uniform(0.42, 0.48)
    centre = size / 2 + rng.normal(0, size * 0.01, 2)
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    distance = np.hypot(yy - centre[1], xx - centre[0]) / radius
    base = np.array([rng.uniform(150, 200), rng.uniform(55, 85), rng.uniform(25, 45)], np.float32)
    vignette = np.clip(1.0 - 0.35 * distance ** 2, 0, 1)[..., None]
    image = base * vignette * rng.uniform(0.85, 1.1)
    eye = rng.choice([-1, 1])  # left or right eye: the optic disc on one side
    optic = centre + np.array([eye * 0.45 * radius, rng.normal(0, 0.05) * radius])
    macula = centre - np.array([eye * 0.25 * radius, 0])
    image *= (1 - 0.35 * np.exp(-((xx - macula[0]) ** 2 + (yy - macula[1]) ** 2) / (2 * (0.12 * radius) ** 2)))[..., None]
    canvas = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    scale = size / 256

    def blob(point, r, colour):
        draw.ellipse([point[0] - r, point[1] - r, point[0] + r, point[1] + r], fill=colour)

    def random_point(max_fraction=0.85):
        angle, r = rng.uniform(0, 2 * math.pi), radius * max_fraction * math.sqrt(rng.uniform())
        return centre + r * np.array([math.cos(angle), math.sin(angle)])

    # Vessels: arcs leaving the optic disc, branching once or twice, thinning out.
    def vessel(start, angle, width, length, depth):
        point = np.array(start, float)
        for _ in range(int(length / (4 * scale))):
            angle += rng.normal(0, 0.12)
            step = point + 4 * scale * np.array([math.cos(angle), math.sin(angle)])
            if np.hypot(*(step - centre)) > radius * 0.97:
                return
            draw.line([tuple(point), tuple(step)], fill=(110, 25, 20), width=max(1, int(round(width))))
            point = step
            if depth < 2 and rng.uniform() < 0.03:
                vessel(point, angle + rng.choice([-1, 1]) * rng.uniform(0.4, 0.9), width * 0.7, length * 0.6, depth + 1)
            width = max(1.0, width * 0.995)

    for k in range(8):
        angle = (math.pi if eye > 0 else 0.0) + (k - 3.5) * 0.35 + rng.normal(0, 0.1)
        vessel(optic, angle, 3.0 * scale, radius * rng.uniform(0.9, 1.5), 0)
    blob(optic, 0.13 * radius, (250, 215, 150))
    blob(optic, 0.06 * radius, (255, 240, 200))

    micro, haem, exudate, new_vessels = LESIONS[grade]
    for _ in range(rng.integers(micro[0], micro[1] + 1)):
        blob(random_point(), max(1.0, 1.2 * scale), (90, 10, 10))
    for _ in range(rng.integers(haem[0], haem[1] + 1)):
        blob(random_point(), rng.uniform(2.5, 5.0) * scale, (100, 15, 10))
    for _ in range(rng.integers(exudate[0], exudate[1] + 1)):
        blob(random_point(0.6), rng.uniform(1.2, 2.5) * scale, (245, 225, 110))
    if new_vessels:  # a tuft of fine tortuous vessels near the optic disc
        tuft = optic + rng.normal(0, 0.15 * radius, 2)
        for _ in range(12):
            a = tuft + rng.normal(0, 0.05 * radius, 2)
            b = a + rng.normal(0, 0.06 * radius, 2)
            draw.line([tuple(a), tuple(b)], fill=(140, 30, 25), width=1)
    blurred = canvas.filter(ImageFilter.GaussianBlur(0.6 * scale))
    pixels = np.asarray(blurred).astype(np.float32) + rng.normal(0, 3, (size, size, 3))
    pixels[distance > 1.0] = rng.uniform(0, 3)  # the black surround of the camera's field of view
    return np.clip(pixels, 0, 255).astype(np.uint8)


def synthetic_fundus_set(count, size=256, seed=0, grade_frequencies=None):
    """`count` SYNTHETIC photographs and their ICDR grades.

    Args:
        count: int.
        size: int. Side of the images. Defaults to 256.
        seed: int. Defaults to 0.
        grade_frequencies: 5 floats or None (balanced: every grade 1/5, so that a small set has
            referable and non-referable images in similar numbers). Defaults to None.

    Returns:
        (images uint8 `(count, size, size, 3)`, grades int `(count,)`).
    """
    rng = np.random.default_rng(seed)
    frequencies = np.full(5, 0.2) if grade_frequencies is None else np.asarray(grade_frequencies, float)
    grades = rng.choice(5, size=count, p=frequencies / frequencies.sum())
    seeds = rng.integers(0, 2 ** 31, size=count)
    images = np.stack([synthetic_fundus(int(g), size, int(s)) for g, s in zip(grades, seeds)]) if count else (
        np.zeros((0, size, size, 3), np.uint8))
    return images, grades.astype(int)


def referable(grades):
    """1 where the ICDR grade is >= 2 (moderate NPDR or worse), else 0."""
    return (np.asarray(grades) >= REFERABLE_GRADE).astype(int)
