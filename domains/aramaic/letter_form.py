"""Stage 1 of `AramaicSynth`, the letter form: the font's glyph deformed, and its stroke profile.

The font's glyph is a signed distance field (`letters.load_glyphs`), sampled (`sample_sdf`)
through one geometric map (`glyph_map`) that holds the paper's augmentations (rotation, zoom,
white-border padding, a 3-point affine jitter of ±20/256 of the side with p = 0.7, an elastic
distortion drawn from six alpha/sigma ranges of `ELASTIC_RANGES` with p = 0.6) and a mild
always-on stroke jitter; the stroke width varies along the strokes and is thinned or thickened
(the paper's erode/dilate, p = 0.2 each) by moving the SDF's zero level. With the synth's
`stroke_variation`, a letter is drawn instead from its font's strokes, each varied in angle,
length, curvature, thickness and terminals (`strokes`), through the same map. A fragment of a
neighbouring letter may enter at an edge. `stroke_profile` returns the carved profile: 0 outside
the strokes, 1 on their floor, with rounded edges. Parameters of the paper given for its 256-pixel
crops (±20 px, 0–50 px, elastic alpha/sigma) are scaled from `PAPER_SIZE` to the image size.

Each function works on a chunk of N examples; `column(key)` gives a drawn condition of every
example as one array (`synth.AramaicSynth._plan`'s keys) and `y`, `x` are the image grid's
pixel coordinates about its centre, float32 `(S, S)`.

Example:
```python
from domains.aramaic.synth import AramaicSynth
synth = AramaicSynth(image_size=48)
rendering = synth.example(3, severity=0.0, stages=True)
rendering.stages["letter form"].shape   # (48, 48): this module's `stroke_profile` of Dalet
```
"""

import numpy as np

from domains.aramaic.letters import GLYPH_BOX, GLYPH_CANVAS
from domains.aramaic.noise import blur
from domains.aramaic.strokes import stroke_distance

# The paper's elastic distortions (alpha, sigma ranges at 256 px): the first and last are the
# repository's; the four between are the project's geometric interpolation (docs/papers.md §6).
ELASTIC_RANGES = (((9, 11), (2, 4)), ((40, 60), (4, 6)), ((150, 250), (6, 9)), ((500, 800), (9, 12)),
                  ((1500, 2500), (12, 15)), ((5000, 8000), (15, 25)))
# At full strength the largest ranges move strokes by about 20 % of the side (53 px of 256) and
# leave letters unreadable (seen in the preview grid): the displacement is scaled down by this.
ELASTIC_STRENGTH = 0.3
PAPER_SIZE = 256  # the side of the paper's augmented crops, which its pixel parameters refer to


def identity_map(y, x):
    """Image grid → glyph canvas coordinates `(2, S, S)` of the upright glyph at zoom 0.85, centred.

    Args:
        y, x: float32 `(S, S)` pixel coordinates about the image's centre.

    Example:
    ```python
    y, x = np.mgrid[0:32, 0:32].astype("float32") - 15.5
    identity_map(y, x).shape   # (2, 32, 32)
    ```
    """
    scale = GLYPH_BOX / (0.85 * y.shape[0])
    centre = (GLYPH_CANVAS - 1) / 2.0
    return np.stack([y * scale + centre, x * scale + centre])


def glyph_map(column, noise, y, x):
    """Image grid → glyph canvas coordinates `(N, 2, S, S)`, and image pixels per glyph pixel `(N, 1, 1)`.

    Args:
        column: callable, key → the examples' drawn condition as one array (zoom, padding, angle,
            affine, elastic_sigma, elastic_alpha, shift, jitter).
        noise: dict name → `(N, S, S)` fields (`noise.noise_fields`): elastic_y/x, jitter_y/x.
        y, x: float32 `(S, S)` pixel coordinates about the image's centre.

    Example:
    ```python
    synth = AramaicSynth(image_size=32)   # from domains.aramaic.synth
    plans = synth.conditions(2)
    column = Columns(plans)               # from domains.aramaic.synth
    noise = noise_fields(synth._tiled, column("noise"), 32)   # from domains.aramaic.noise
    coords, pixel_per_glyph = glyph_map(column, noise, synth._y, synth._x)   # (2, 2, 32, 32), (2, 1, 1)
    ```
    """
    size = y.shape[0]
    letter = size * (column("zoom") + 0.1) / (1.0 + 2.0 * column("padding"))  # glyph box side in pixels
    cos, sin = np.cos(column("angle")), np.sin(column("angle"))
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (N, 2, 2)
    # The affine map through the 3 moved points: [source, 1] @ solution = source + moves.
    source = np.array([[-0.4, -0.4], [0.4, -0.4], [0.0, 0.4]]) * size
    solution = np.linalg.solve(np.c_[source, np.ones(3)], source[None] + column("affine"))  # (N, 3, 2)
    matrix = np.swapaxes(solution[:, :2], 1, 2) @ rotation
    # Stroke jitter (always) plus the paper's elastic distortion (p = 0.6; alpha 0 without).
    sigma = np.repeat(column("elastic_sigma")[:, None], 2, axis=1)
    elastic = blur(np.stack([noise["elastic_y"], noise["elastic_x"]], -1), sigma, wrap=True)
    alpha = column("elastic_alpha")[:, None, None]
    shift = column("shift")
    jitter = column("jitter")[:, None, None]
    py = y + jitter * noise["jitter_y"] + alpha * elastic[..., 0] - shift[:, 0, None, None]
    px = x + jitter * noise["jitter_x"] + alpha * elastic[..., 1] - shift[:, 1, None, None]
    inverse = np.linalg.inv(matrix).astype("float32")[:, :, :, None, None]
    glyph_per_pixel = (GLYPH_BOX / letter)[:, None, None].astype("float32")
    centre = (GLYPH_CANVAS - 1) / 2.0
    coords = np.stack([inverse[:, 0, 0] * py + inverse[:, 0, 1] * px,
                       inverse[:, 1, 0] * py + inverse[:, 1, 1] * px], 1) * glyph_per_pixel[:, None] + centre
    pixel_per_glyph = np.sqrt(np.abs(np.linalg.det(matrix)))[:, None, None] / glyph_per_pixel
    return coords.astype("float32"), pixel_per_glyph.astype("float32")


def sample_sdf(sdf, glyph, coords):
    """Bilinear samples `(N, S, S)` of the distance fields `sdf[glyph]` at canvas `coords` `(N, 2, S, S)`.

    Outside the canvas the nearest edge value would underestimate the distance: it is kept at
    least 4 glyph pixels (outside the letter).

    Args:
        sdf: float32 `(G, GLYPH_CANVAS, GLYPH_CANVAS)` signed distance fields (negative inside).
        glyph: int `(N,)` indices into `sdf`.
        coords: float32 `(N, 2, S, S)` (row, column) canvas coordinates.

    Example:
    ```python
    from domains.aramaic.letters import load_glyphs
    sdf = load_glyphs().sdf
    y, x = np.mgrid[0:32, 0:32].astype("float32") - 15.5
    inside = sample_sdf(sdf, [1], identity_map(y, x)[None]) < 0   # Bet, upright: (1, 32, 32) bool
    ```
    """
    side = GLYPH_CANVAS
    y, x = coords[:, 0], coords[:, 1]
    outside = (y < 0) | (y > side - 1) | (x < 0) | (x > side - 1)
    y, x = np.clip(y, 0, side - 1), np.clip(x, 0, side - 1)
    y0, x0 = np.minimum(y.astype("int32"), side - 2), np.minimum(x.astype("int32"), side - 2)
    wy, wx = y - y0, x - x0
    corner = (np.asarray(glyph, "int32")[:, None, None] * side + y0) * side + x0  # flat index into the fields
    flat = sdf.reshape(-1)
    top = np.take(flat, corner) * (1 - wx) + np.take(flat, corner + 1) * wx
    bottom = np.take(flat, corner + side) * (1 - wx) + np.take(flat, corner + side + 1) * wx
    values = top * (1 - wy) + bottom * wy
    return np.where(outside, np.maximum(values, 4.0), values).astype("float32")


def stroke_profile(column, noise, letter, sdf, y, x, strokes=None):
    """The carved profile of each example's letter (and neighbour fragment): float `(N, S, S)` in [0, 1].

    0 outside the strokes, 1 on their floor, with rounded edges of width `edge`; the stroke is
    the glyph's distance field (`glyph_map`, `sample_sdf`) offset by the drawn `stroke` width and
    a jitter along the strokes.

    Args:
        column: callable, key → the examples' drawn condition as one array (`glyph_map`'s, and
            glyph, neighbour, neighbour_offset, stroke, stroke_jitter, edge).
        noise: dict name → `(N, S, S)` fields (`noise.noise_fields`).
        letter: bool `(N,)`: the example shows a letter (not "No Letter").
        sdf: float32 `(G, GLYPH_CANVAS, GLYPH_CANVAS)` of the synth's fonts.
        y, x: float32 `(S, S)` pixel coordinates about the image's centre.
        strokes: None, or `(drawn, segments, radii)`: bool `(N,)` examples drawn from their varied
            strokes (`strokes.perturb`) instead of the font's outline, with float32 `(N, M, 2, 2)`
            segments and `(N, M, 2)` radii in glyph-canvas pixels (`strokes.stroke_distance`).
            Defaults to None (every letter from its font).

    Example:
    ```python
    synth = AramaicSynth(image_size=32)   # from domains.aramaic.synth
    column = Columns(synth.conditions(2))
    noise = noise_fields(synth._tiled, column("noise"), 32)
    profile = stroke_profile(column, noise, np.array([True, True]), synth._sdf, synth._y, synth._x)
    ```
    """
    coords, pixel_per_glyph = glyph_map(column, noise, y, x)
    glyph_distance = sample_sdf(sdf, column("glyph"), coords)
    if strokes is not None and np.any(strokes[0] & letter):
        drawn = np.flatnonzero(strokes[0] & letter)
        glyph_distance[drawn] = stroke_distance(strokes[1][drawn], strokes[2][drawn], coords[drawn])
    distance = np.where(letter[:, None, None], glyph_distance * pixel_per_glyph, 1e3)
    neighbour = np.flatnonzero(column("neighbour") >= 0)
    if len(neighbour):  # a fragment of another letter beside this one, entering at an edge
        moved = coords[neighbour] + column("neighbour_offset")[neighbour][:, :, None, None]
        near = sample_sdf(sdf, column("neighbour")[neighbour], moved) * pixel_per_glyph[neighbour]
        distance[neighbour] = np.minimum(distance[neighbour], near)
    width_jitter = column("stroke_jitter")[:, None, None] * noise["stroke"]  # the width varies along the strokes
    distance = distance - (column("stroke")[:, None, None] + width_jitter)
    t = np.clip(0.5 - distance / column("edge")[:, None, None], 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * t)  # rounded edges: 0 outside, 1 on the stroke's floor


def font_mask(sdf, glyph, letter, y, x):
    """The font's glyph, upright and undeformed (`identity_map`): float32 `(N, S, S)`, 1 inside (the "font" stage).

    Args:
        sdf: float32 `(G, GLYPH_CANVAS, GLYPH_CANVAS)`.
        glyph: int `(N,)` indices into `sdf`.
        letter: bool `(N,)`: the example shows a letter (0 everywhere for "No Letter").
        y, x: float32 `(S, S)` pixel coordinates about the image's centre.

    Example:
    ```python
    from domains.aramaic.letters import load_glyphs
    y, x = np.mgrid[0:32, 0:32].astype("float32") - 15.5
    font_mask(load_glyphs().sdf, [0], np.array([True]), y, x).max()   # 1.0: Alef drawn
    ```
    """
    identity = np.broadcast_to(identity_map(y, x), (len(letter), 2, *y.shape))
    return np.where(letter[:, None, None], sample_sdf(sdf, glyph, identity) < 0, False).astype("float32")
