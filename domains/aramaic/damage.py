"""Stage 4 of `AramaicSynth`, the damage, and the letter's legibility after it.

Damage of severity 0 … 1 (`damage`): erosion (blurred, shallower strokes), spalling and missing
fragments, chips, cracks (`crack_walk`), encrustation and weathering stains, each of
`DAMAGE_KINDS`. Then the letter's legibility (its relief's slope against the stone's clutter,
`legibility`) is measured; below `min_legibility` (`MIN_LEGIBILITY` by default) the letter is
cut deeper and the stone's relief and colours flattened until it reaches it (`raise_legibility`).
Heights are in pixels; lengths drawn for 64 px scale with the image size.

Example:
```python
from domains.aramaic.synth import AramaicSynth
free = AramaicSynth(image_size=48, severity=(1.0, 1.0), min_legibility=0.0).arrays(23)[2]
floored = AramaicSynth(image_size=48, severity=(1.0, 1.0)).arrays(23)[2]
free[:, 4].min() < MIN_LEGIBILITY <= floored[:, 4].min()   # True: the faintest letters were deepened
```
"""

import numpy as np
from scipy import ndimage

from domains.aramaic.noise import blur

DAMAGE_KINDS = ("erosion", "spalls", "chips", "cracks", "crust", "stains")
# A letter's relief stands out of the stone's at least this much (`legibility`): below, the letter
# is cut deeper and the stone's relief and colours flattened until it does. Fainter letters were
# unreadable to the project's eyes and to the trained model (README, Aramaic); 0 leaves them.
MIN_LEGIBILITY = 2.0


def crack_walk(rng, image_size):
    """The pixels `(ys, xs)` of one crack: a random walk of half-pixel steps with a wandering heading.

    Args:
        rng: numpy.random.Generator (the example's).
        image_size: int. Side S of the image; the walk is 0.6 to 2 S long, cut to the image.

    Example:
    ```python
    ys, xs = crack_walk(np.random.default_rng(0), 64)   # int arrays of equal length, in [0, 64)
    ```
    """
    size = image_size
    steps = int(size * rng.uniform(0.6, 2.0) / 0.5)
    angle = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.12, steps))
    start = rng.uniform(0, size, 2)
    ys = start[0] + 0.5 * np.cumsum(np.sin(angle))
    xs = start[1] + 0.5 * np.cumsum(np.cos(angle))
    keep = (ys >= 0) & (ys < size) & (xs >= 0) & (xs < size)
    return ys[keep].astype(int), xs[keep].astype(int)


def damage(plans, column, noise, glyph_height, stone_height, albedo, y, x):
    """Erosion, spalling/missing fragments, chips, cracks, encrustation, weathering (each example's severity).

    Args:
        plans: list of N dicts of drawn conditions (`AramaicSynth.conditions`): "spalls" (list of
            (cy, cx, radius)), "chips" ((ys, xs), depths) and "cracks" (list of (ys, xs)).
        column: callable, key → the examples' drawn condition as one array: erosion, shallower,
            spall_floor, crack_depth, crust, crust_height, crust_colour, stains.
        noise: dict name → `(N, S, S)` fields (`noise.noise_fields`).
        glyph_height: float32 `(N, S, S)` the letter's relief, in pixels.
        stone_height: float32 `(N, S, S)` the stone's relief, in pixels.
        albedo: float32 `(N, S, S, 3)` the stone's colours.
        y, x: float32 `(S, S)` pixel coordinates about the image's centre.

    Returns:
        `(glyph_height, stone_height, albedo)` after the damage, float32.

    Example:
    ```python
    synth = AramaicSynth(image_size=32, severity=(1.0, 1.0))   # from domains.aramaic.synth
    plans = synth.conditions(2)
    column = Columns(plans)
    noise = noise_fields(synth._tiled, column("noise"), 32)
    zero = np.zeros((2, 32, 32), "float32")
    glyph, stone, albedo = damage(plans, column, noise, zero, zero, np.full((2, 32, 32, 3), 0.5, "float32"),
                                  synth._y, synth._x)
    ```
    """
    size = y.shape[0]
    k = size / 64.0  # lengths drawn for 64 px scale with the size
    n = len(plans)
    # Erosion: softer, shallower strokes.
    erosion = np.repeat(column("erosion")[:, None], 2, axis=1)
    glyph_height = blur(glyph_height, erosion) * column("shallower")[:, None, None]
    # Spalling: flakes of the surface gone, letter included, with a rough floor.
    intact = np.ones((n, size, size), "float32")
    for i, plan in enumerate(plans):
        for cy, cx, radius in plan["spalls"]:
            inside = radius * (1 + 0.3 * noise["spall_edge"][i]) - np.hypot(y - cy, x - cx)
            intact[i] = np.minimum(intact[i], np.clip(1.0 - inside / k, 0.0, 1.0))
    floor = column("spall_floor")[:, None, None] + 0.6 * k * noise["spall_floor"]
    stone_height = stone_height - (1.0 - intact) * floor
    glyph_height = glyph_height * intact
    albedo = albedo * (1.0 + 0.15 * (1.0 - intact))[..., None]
    # Chips (small pits) and cracks (random walks carved as thin grooves).
    impulses = np.zeros((n, size, size), "float32")
    lines = np.zeros((n, size, size), "float32")
    for i, plan in enumerate(plans):
        (ys, xs), depths = plan["chips"]
        np.add.at(impulses[i], (ys, xs), depths)
        for ys, xs in plan["cracks"]:
            lines[i, ys, xs] = 1.0
    if impulses.any():
        stone_height = stone_height - ndimage.gaussian_filter(impulses, (0, 0.8 * k, 0.8 * k)) * 6.0
    if lines.any():
        lines = ndimage.gaussian_filter(lines, (0, 0.5 * k, 0.5 * k))
        stone_height = stone_height - column("crack_depth")[:, None, None] * np.clip(lines * 2.5, 0, 1)
    # Encrustation: raised crusts of another colour over the most-covered fraction 0.5 × crust.
    crust = column("crust")
    field = noise["crust"]
    level = _quantiles(field, 1.0 - 0.5 * crust)[:, None, None]
    patch = np.where((crust > 0.05)[:, None, None], np.clip((field - level) * 3.0, 0, 1), 0.0)
    stone_height = stone_height + patch * column("crust_height")[:, None, None] * (1 + 0.3 * noise["crust_height"])
    glyph_height = glyph_height * (1 - 0.7 * patch)
    patch = patch[..., None]
    albedo = albedo * (1 - 0.8 * patch) + 0.8 * patch * column("crust_colour")[:, None, None, :]
    # Weathering: stains and discolouration.
    stains = 1.0 + column("stains")[:, None, None] * noise["stains"]
    albedo = np.clip(albedo * stains[..., None], 0.02, 1.0)
    return glyph_height.astype("float32"), stone_height.astype("float32"), albedo.astype("float32")


def legibility(carved, glyph_height, stone_height, albedo):
    """The letter's legibility `(N,)` float32: how much it stands out of the stone, after damage.

    The mean slope of the damaged letter's relief `glyph_height` along the edges of its intact
    strokes (where `carved`, the relief before damage, has slope), over the stone's clutter: the
    mean slope of its relief `stone_height` (texture, spalls, chips, cracks, crusts) plus the mean
    relative gradient of its brightness `albedo` (crusts, stains), over the whole image. Under a
    raking light a slope s shades a surface by about s, as a relative albedo change does. Below
    about 2 the letter is lost in the stone (README, Aramaic). Infinite for "No Letter".

    Args:
        carved: float32 `(N, S, S)` the letter's relief before damage.
        glyph_height: float32 `(N, S, S)` the letter's relief after damage.
        stone_height: float32 `(N, S, S)` the stone's relief after damage.
        albedo: float32 `(N, S, S, 3)` the stone's colours after damage.

    Example:
    ```python
    groove = np.zeros((1, 32, 32), "float32")
    groove[0, :, 12:20] = -2.0
    legibility(groove, groove, np.zeros_like(groove), np.full((1, 32, 32, 3), 0.5, "float32"))   # [1e6]: no clutter
    ```
    """
    def slope(field):
        gy, gx = np.gradient(field, axis=(1, 2))
        return np.hypot(gy, gx)

    carved_slope = slope(carved)
    edges = carved_slope > 0.05 * carved_slope.max(axis=(1, 2), keepdims=True).clip(1e-6)
    count = edges.sum(axis=(1, 2))
    letter = (slope(glyph_height) * edges).sum(axis=(1, 2)) / np.maximum(count, 1)
    brightness = albedo.mean(axis=3)
    clutter = slope(stone_height).mean(axis=(1, 2)) + slope(brightness).mean(axis=(1, 2)) / brightness.mean(axis=(1, 2))
    return np.where(count > 0, letter / np.maximum(clutter, 1e-6), np.inf).astype("float32")


def raise_legibility(glyph_height, stone_height, albedo, measured, floor):
    """Letters fainter than `floor`: cut deeper, the stone's relief and colours flattened, until they reach it.

    The letter's relief is multiplied and the stone's relief and colour variations divided by
    `boost = sqrt(floor / legibility)` (at least 1): the legibility grows by `boost²`.

    Args:
        glyph_height, stone_height: float32 `(N, S, S)` after damage.
        albedo: float32 `(N, S, S, 3)` after damage.
        measured: `(N,)` their `legibility`.
        floor: float > 0. The least legibility (`MIN_LEGIBILITY` by default in `AramaicSynth`).

    Returns:
        `(glyph_height, stone_height, albedo, legibility)`, the last at least `floor`.

    Example:
    ```python
    ones = np.ones((1, 8, 8), "float32")
    glyph, stone, albedo, value = raise_legibility(ones, ones, np.full((1, 8, 8, 3), 0.5, "float32"),
                                                   np.array([0.5]), 2.0)   # glyph × 2, stone / 2; value [2.0]
    ```
    """
    boost = np.sqrt(np.maximum(floor / np.maximum(measured, 1e-3), 1.0))[:, None, None]
    glyph_height, stone_height = glyph_height * boost, stone_height / boost  # contrast × boost²
    mean_albedo = albedo.mean(axis=(1, 2), keepdims=True)
    albedo = mean_albedo + (albedo - mean_albedo) / boost[..., None]
    return glyph_height, stone_height, albedo, np.maximum(measured, floor)


def _quantiles(fields, q):
    """The q[i]-quantile of each field i (N, S, S), linearly interpolated (as `numpy.quantile`)."""
    values = np.sort(fields.reshape(len(fields), -1), axis=1)
    position = np.clip(np.asarray(q, "float64"), 0.0, 1.0) * (values.shape[1] - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, values.shape[1] - 1)
    rows = np.arange(len(fields))
    return values[rows, low] + (position - low) * (values[rows, high] - values[rows, low])
