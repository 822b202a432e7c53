"""Letter forms from strokes: a glyph's skeleton split into strokes, each varied, drawn again.

A font gives one form per letter; a carver gives another each time. `stroke_model` thins a glyph
(`skeletonize`, Zhang-Suen) and splits its skeleton into strokes between end points and junctions
(closed loops are strokes too), each a polyline in glyph-canvas pixels, with the font's stroke
half-width. `perturb` varies every stroke of one example:

- **angle and length**: a stroke with a free end turns about its other end by N(0, 12°) and
  stretches by U(-25 %, +25 %) (× `strength`); a stroke between two junctions follows them;
- **junctions**: each moves by N(0, 3 px) of the 100-px glyph box, the strokes that meet there
  following it (a per-stroke similarity map: the letter stays connected);
- **curvature**: each stroke bends by N(0, 12 %) of its chord at its middle, and wobbles by a
  sine of N(0, 3 %) (a per-stroke elastic distortion);
- **thickness**: each stroke's width × exp(N(0, 0.25));
- **terminals**: each free end blunt, pointed (its width tapering to 35 %) or flared (150 %).

`stroke_distance` draws the perturbed strokes as a signed distance (negative inside) at any
canvas coordinates, so `letter_form.stroke_profile` uses it in place of the font's distance
field, through the same geometric map (rotation, zoom, affine, elastic) and stroke-width offset.

Example:
```python
from domains.aramaic.letters import load_glyphs
model = stroke_model(load_glyphs().masks[0])      # Alef's strokes
segments, radii = perturb(model, np.random.default_rng(0), strength=1.0, num_segments=model.num_segments)
segments.shape, radii.shape                        # (M, 2, 2), (M, 2)
```
"""

import dataclasses

import numpy as np
from scipy import ndimage

MAX_SEGMENT = 10.0   # canvas pixels: strokes are cut into segments no longer, so that they can bend
SPUR = 7.0           # canvas pixels: a branch this short ending free is a thinning artefact, dropped
SIMPLIFY = 1.2       # canvas pixels: Douglas-Peucker tolerance of the traced skeleton
FAR = 1e4            # padding segments lie this far away (they never come nearest)
ANGLE_SD = np.deg2rad(12.0)
LENGTH_RANGE = 0.25
JUNCTION_SD = 3.0
BEND_SD = 0.12
WOBBLE_SD = 0.03
WIDTH_LOG_SD = 0.25
TERMINALS = ((0.5, 1.0), (0.3, 0.35), (0.2, 1.5))  # (probability, width factor): blunt, pointed, flared


def skeletonize(mask):
    """Zhang-Suen thinning of a bool mask: bool, one pixel wide, same shape.

    Example:
    ```python
    square = np.zeros((9, 9), bool); square[2:7, 2:7] = True
    skeletonize(square).sum()   # a few pixels at the centre
    ```
    """
    image = np.pad(np.asarray(mask, bool), 1).astype(np.uint8)
    while True:
        changed = False
        for step in (0, 1):
            p = [np.roll(np.roll(image, -dy, 0), -dx, 1) for dy, dx in
                 ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))]  # P2 ... P9
            neighbours = sum(p)
            transitions = sum(((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.uint8) for i in range(8))
            if step == 0:
                keep = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                keep = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            remove = (image == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & keep
            if remove.any():
                image[remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1].astype(bool)


@dataclasses.dataclass(frozen=True)
class StrokeModel:
    """A glyph's strokes.

    Attributes:
        strokes: tuple of float32 `(n_i, 2)` polylines (row, column) in canvas pixels.
        ends: int `(K, 2)`: each stroke's end nodes (indices into `nodes`).
        nodes: float32 `(J, 2)`: node positions.
        free: bool `(J,)`: the node is a free end (else a junction, or a loop's point).
        radius: float. The font's stroke half-width in canvas pixels.
    """

    strokes: tuple
    ends: np.ndarray
    nodes: np.ndarray
    free: np.ndarray
    radius: float

    @property
    def num_segments(self):
        return int(sum(len(s) - 1 for s in self.strokes))


_OFFSETS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def _simplify(points, tolerance):
    """Douglas-Peucker of a polyline `(n, 2)`."""
    if len(points) < 3:
        return points
    start, end = points[0], points[-1]
    chord = end - start
    length = np.hypot(*chord)
    if length < 1e-9:
        distance = np.hypot(*(points - start).T)
    else:
        distance = np.abs(chord[0] * (points[:, 1] - start[1]) - chord[1] * (points[:, 0] - start[0])) / length
    index = int(distance.argmax())
    if distance[index] <= tolerance or index in (0, len(points) - 1):
        return points[[0, -1]]
    return np.concatenate([_simplify(points[:index + 1], tolerance)[:-1], _simplify(points[index:], tolerance)])


def _subdivide(points, longest):
    out = [points[0]]
    for a, b in zip(points[:-1], points[1:]):
        pieces = max(1, int(np.ceil(np.hypot(*(b - a)) / longest)))
        out.extend(a + (b - a) * (k / pieces) for k in range(1, pieces + 1))
    return np.asarray(out, "float32")


def stroke_model(mask):
    """The strokes of a glyph mask (bool `(C, C)`): its skeleton traced between end points and junctions.

    Args:
        mask: bool `(GLYPH_CANVAS, GLYPH_CANVAS)`, a rendered glyph (`letters.Glyphs.masks`).

    Returns:
        `StrokeModel`.

    Raises:
        ValueError: an empty mask.

    Example:
    ```python
    bar = np.zeros((40, 40), bool); bar[18:22, 5:35] = True
    len(stroke_model(bar).strokes)   # 1: one straight stroke
    ```
    """
    mask = np.asarray(mask, bool)
    if not mask.any():
        raise ValueError(f"strokes.py: the glyph mask is empty; expected a drawn letter. Received: mask of shape "
                         f"{mask.shape} with no pixel set")
    skeleton = skeletonize(mask)
    radius = float(np.median(ndimage.distance_transform_edt(mask)[skeleton]))
    count = ndimage.convolve(skeleton.astype(int), np.ones((3, 3), int), mode="constant") - 1
    count = np.where(skeleton, count, 0)
    # Branches around a pixel: 0 → 1 transitions of its 8 neighbours in turn (a staircase has 2, like a line).
    padded = np.pad(skeleton, 1).astype(int)
    ring = [padded[1 + dy:padded.shape[0] - 1 + dy, 1 + dx:padded.shape[1] - 1 + dx]
            for dy, dx in ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))]
    branches = sum((ring[i] == 0) & (ring[(i + 1) % 8] == 1) for i in range(8))
    node_pixels = skeleton & ((count == 1) | (branches >= 3))
    labels, num_nodes = ndimage.label(node_pixels, np.ones((3, 3)))  # touching junction pixels are one node
    pixels = set(zip(*np.nonzero(skeleton)))
    node_of = {p: labels[p] - 1 for p in zip(*np.nonzero(node_pixels))}
    nodes = [np.array(ndimage.center_of_mass(node_pixels, labels, k + 1), "float32") for k in range(num_nodes)]
    free = [bool(np.all(count[labels == k + 1] == 1)) for k in range(num_nodes)]
    visited = set()
    strokes, ends = [], []

    def walk(start, first):
        path, previous, current = [start, first], start, first
        while current not in node_of:
            visited.add(current)
            step = [(current[0] + dy, current[1] + dx) for dy, dx in _OFFSETS]
            following = [q for q in step if q in pixels and q != previous and q not in visited and q not in path[:-1]]
            if not following:
                break
            # prefer 4-neighbours (the diagonal one beside them is the same step twice)
            following.sort(key=lambda q: abs(q[0] - current[0]) + abs(q[1] - current[1]))
            previous, current = current, following[0]
            path.append(current)
        return path, current

    for start in sorted(node_of):
        for dy, dx in _OFFSETS:
            first = (start[0] + dy, start[1] + dx)
            if first not in pixels or first in visited or (first in node_of and node_of[first] == node_of[start]):
                continue
            if first in node_of and (node_of[first], node_of[start]) in {tuple(e) for e in ends}:
                continue
            path, last = walk(start, first)
            if last not in node_of:  # a dead end off the traced skeleton: a free end of its own
                nodes.append(np.asarray(last, "float32"))
                free.append(True)
                node_of[last] = len(nodes) - 1
            a, b = node_of[start], node_of[last]
            points = np.asarray(path, "float32")
            strokes.append(points)
            ends.append((a, b))
    parts, num_parts = ndimage.label(skeleton, np.ones((3, 3)))
    with_nodes = set(parts[node_pixels].tolist())
    for pixel in sorted(pixels - visited - set(node_of)):  # closed loops and dots: parts without a node
        if pixel in visited or parts[pixel] in with_nodes:
            continue
        with_nodes.add(parts[pixel])
        nodes.append(np.asarray(pixel, "float32"))
        free.append(False)
        visited.add(pixel)
        neighbour = next((q for q in ((pixel[0] + dy, pixel[1] + dx) for dy, dx in _OFFSETS)
                          if q in pixels and q not in visited), None)
        node_of[pixel] = len(nodes) - 1
        if neighbour is None:  # a dot (Syriac dalath and rish differ by one): a stroke of no length
            strokes.append(np.asarray([pixel, pixel], "float32"))
            ends.append((len(nodes) - 1, len(nodes) - 1))
            continue
        path, _ = walk(pixel, neighbour)
        strokes.append(np.asarray(path + [pixel], "float32"))
        ends.append((len(nodes) - 1, len(nodes) - 1))
    kept = []
    for points, (a, b) in zip(strokes, ends):
        length = float(np.hypot(*np.diff(points, axis=0).T).sum())
        if (free[a] != free[b]) and length < SPUR and len(strokes) > 1:
            continue
        kept.append([points, a, b])
    kept = _merge_through(kept)
    degree = np.zeros(len(nodes), int)
    for _, a, b in kept:
        degree[a] += 1
        degree[b] += 1
    free = [bool(d == 1) for d in degree]  # a junction that lost its spurs may now end a stroke
    kept_strokes = [_subdivide(_simplify(points, SIMPLIFY), MAX_SEGMENT) for points, _, _ in kept]
    kept_ends = [(a, b) for _, a, b in kept]
    if not kept_strokes:  # a dot: one short stroke through its centre
        centre = np.array(ndimage.center_of_mass(mask), "float32")
        kept_strokes, kept_ends = [np.stack([centre, centre])], [(0, 0)]
        nodes, free = [centre], [True]
    return StrokeModel(tuple(kept_strokes), np.asarray(kept_ends, "int64"), np.stack(nodes).astype("float32"),
                       np.asarray(free, bool), radius)


def _merge_through(kept):
    """Join the strokes that meet two by two at a node (left by a dropped spur): one stroke through it."""
    while True:
        ends_at = {}
        for index, (_, a, b) in enumerate(kept):
            ends_at.setdefault(a, []).append(index)
            if b != a:
                ends_at.setdefault(b, []).append(index)
            else:
                ends_at[a].append(index)
        node = next((n for n, found in ends_at.items() if len(found) == 2 and found[0] != found[1]), None)
        if node is None:
            return kept
        i, j = ends_at[node]
        (p, a, b), (q, c, d) = kept[i], kept[j]
        p, first = (p, a) if b == node else (p[::-1], b)   # p now ends at the node
        q, last = (q, d) if c == node else (q[::-1], c)    # q now starts at it
        merged = [np.concatenate([p, q[1:]]), first, last]
        kept = [stroke for k, stroke in enumerate(kept) if k not in (i, j)] + [merged]


def _similarity(a, b, a2, b2):
    """The map z → m z + c (complex numbers) that takes a to a2 and b to b2."""
    za, zb, za2, zb2 = complex(*a), complex(*b), complex(*a2), complex(*b2)
    m = 1.0 + 0j if abs(zb - za) < 1e-6 else (zb2 - za2) / (zb - za)
    return m, za2 - m * za


def perturb(model, rng, strength=1.0, num_segments=None):
    """One example's varied strokes: segments `(M, 2, 2)` (row, column) and their end radii `(M, 2)`.

    Args:
        model: `StrokeModel`.
        rng: numpy Generator (the example's).
        strength: float >= 0. Scales every variation (0 gives the skeleton as traced). Defaults to 1.
        num_segments: int or None. Pad with far-away segments of radius 0 to this many (a chunk's
            examples then stack). Defaults to the model's own count.

    Example:
    ```python
    segments, radii = perturb(model, np.random.default_rng(1), strength=0.0)   # the traced skeleton
    ```
    """
    s = float(strength)
    nodes = model.nodes.astype("float64")
    moved = nodes + rng.normal(0.0, JUNCTION_SD * s, nodes.shape) * ~model.free[:, None]
    segments, radii = [], []
    for points, (a, b) in zip(model.strokes, model.ends):
        pts = points.astype("float64")
        turn = rng.normal(0.0, ANGLE_SD * s)
        stretch = 1.0 + rng.uniform(-LENGTH_RANGE, LENGTH_RANGE) * s
        bend, wobble = rng.normal(0.0, BEND_SD * s), rng.normal(0.0, WOBBLE_SD * s)
        cycles, phase = rng.integers(1, 3), rng.uniform(0.0, 2 * np.pi)
        width = np.exp(rng.normal(0.0, WIDTH_LOG_SD * s))
        terminal = [TERMINALS[min(int(np.searchsorted(np.cumsum([p for p, _ in TERMINALS]), rng.random(), "right")),
                                  len(TERMINALS) - 1)][1] for _ in range(2)]
        start, end = pts[0], pts[-1]
        rotation = np.exp(1j * turn) * stretch
        if a == b:  # a loop: turned and scaled about its centre
            centre = complex(*pts.mean(axis=0))
            shift = complex(*(moved[a] - nodes[a])) * 0.5
            m, c = rotation, centre + shift - rotation * centre
        elif model.free[a] and model.free[b]:  # a lone stroke: turned and stretched about its middle
            middle = complex(*(start + end) / 2)
            m, c = rotation, middle - rotation * middle
        else:
            za, zb = complex(*start), complex(*end)
            za2 = complex(*moved[a]) if not model.free[a] else None
            zb2 = complex(*moved[b]) if not model.free[b] else None
            if za2 is None:
                za2 = zb2 + rotation * (za - zb)
            if zb2 is None:
                zb2 = za2 + rotation * (zb - za)
            m, c = _similarity(start, end, (za2.real, za2.imag), (zb2.real, zb2.imag))
        z = m * (pts[:, 0] + 1j * pts[:, 1]) + c
        steps = np.hypot(*np.diff(pts, axis=0).T)
        length = steps.sum()
        t = np.concatenate([[0.0], np.cumsum(steps)]) / max(length, 1e-9)
        chord = z[-1] - z[0]
        normal = 1j * chord / abs(chord) if abs(chord) > 1e-6 else 1j
        if a != b:  # bending and wobble across the chord, in proportion to it; a loop keeps its shape
            z = z + normal * abs(chord) * (bend * 4 * t * (1 - t) + wobble * np.sin(2 * np.pi * cycles * t + phase)
                                           * np.sin(np.pi * t))
        radius = model.radius * width * np.ones_like(t)
        for index, (node, factor) in enumerate(zip((a, b), terminal)):
            if model.free[node] and a != b:
                near = t if index == 0 else 1 - t
                radius = radius * (factor + (1 - factor) * np.clip(near / 0.3, 0, 1))
        xy = np.stack([z.real, z.imag], -1)
        segments.append(np.stack([xy[:-1], xy[1:]], 1))
        radii.append(np.stack([radius[:-1], radius[1:]], 1))
    segments = np.concatenate(segments).astype("float32")
    radii = np.concatenate(radii).astype("float32")
    total = len(segments) if num_segments is None else int(num_segments)
    if total < len(segments):
        raise ValueError(f"strokes.py: num_segments must be at least the model's {len(segments)} segments. "
                         f"Received: num_segments={num_segments}")
    pad = total - len(segments)
    segments = np.concatenate([segments, np.full((pad, 2, 2), FAR, "float32")])
    return segments, np.concatenate([radii, np.zeros((pad, 2), "float32")])


def stroke_distance(segments, radii, coords):
    """Signed distance (negative inside) of canvas `coords` `(N, 2, S, S)` to each example's strokes: `(N, S, S)`.

    Args:
        segments: float32 `(N, M, 2, 2)`: segment ends (row, column).
        radii: float32 `(N, M, 2)`: the stroke's half-width at each end, interpolated along it.
        coords: float32 `(N, 2, S, S)` canvas coordinates (`letter_form.glyph_map`).

    Example:
    ```python
    y, x = np.mgrid[0:32, 0:32].astype("float32")
    bar = np.array([[[[16, 4], [16, 28]]]], "float32")
    stroke_distance(bar, np.full((1, 1, 2), 2.0, "float32"), np.stack([y, x])[None])[0, 16, 16]   # -2.0
    ```
    """
    n, _, size, _ = coords.shape
    py, px = coords[:, 0].reshape(n, -1), coords[:, 1].reshape(n, -1)
    best = np.full(py.shape, np.inf, "float32")
    for k in range(segments.shape[1]):
        ay, ax = segments[:, k, 0, 0, None], segments[:, k, 0, 1, None]
        dy, dx = segments[:, k, 1, 0, None] - ay, segments[:, k, 1, 1, None] - ax
        t = np.clip(((py - ay) * dy + (px - ax) * dx) / np.maximum(dy * dy + dx * dx, 1e-9), 0.0, 1.0)
        distance = np.hypot(py - ay - t * dy, px - ax - t * dx)
        r0, r1 = radii[:, k, 0, None], radii[:, k, 1, None]
        np.minimum(best, distance - (r0 + t * (r1 - r0)), out=best)
    return best.reshape(n, size, size)
