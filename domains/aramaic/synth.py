"""`AramaicSynth`: photo-realistic synthetic Old Aramaic letters carved in stone, deterministic by seed.

Deep Aramaic (Aioanei et al., PLoS ONE 2024, REFERENCE.md §6) trains its classifier on synthetic
letters made from fonts, stone textures, lighting, damage and augmentations. This module renders
such images procedurally, one example at a time, in vectorised NumPy/SciPy on an
`image_size × image_size` grid (no hand-made textures, nothing downloaded):

1. **Letter form** — the font's glyph as a signed distance field (`letters.load_glyphs`), sampled
   through one geometric map that holds the paper's augmentations (rotation, zoom, white-border
   padding, a 3-point affine jitter of ±20/256 of the side with p = 0.7, an elastic distortion
   drawn from six alpha/sigma ranges with p = 0.6) and a mild always-on stroke jitter; the stroke
   width varies along the strokes and is thinned or thickened (the paper's erode/dilate, p = 0.2
   each) by moving the SDF's zero level. A fragment of a neighbouring letter may enter at an edge.
2. **Carved relief** — the letter becomes a height map (incised or raised, with rounded edges of
   random width and depth), lit by a raking light at a random azimuth and elevation: surface
   normals from the height gradients (Lambert + a specular term on polished basalt) and cast
   shadows (a horizon test along the light's direction).
3. **Stone** — procedural basalt (dark, fine-grained, vesicles, some polish) or limestone (light,
   warm, undulating) as 1/f^β fractal height and albedo fields, lit by the same light.
4. **Damage** (severity 0 … 1) — erosion (blurred, shallower strokes), spalling and missing
   fragments, chips, cracks, encrustation and weathering stains.
5. **Photograph** — exposure, white balance, gamma, vignetting, focus blur (the paper's Gaussian
   blur), sensor noise and JPEG compression.

Every random number of example `index` comes from `core.data.generated.example_rng(seed, index)`,
so an example depends only on (seed, index, the synth's settings): the stream is reproducible and
parallel (`AramaicSynth.dataset`). Parameters of the paper that are given for its 256-pixel crops
(±20 px, 0–50 px, elastic alpha/sigma) are scaled to `image_size`.

The class index of example `index` is `index % 23` (every class equally often; 22 = "No Letter",
the stone with at most a neighbour's fragment at the edge).
"""

import dataclasses
import io
import pathlib

import numpy as np
from scipy import ndimage

from core.data.generated import example_rng, generated_dataset
from domains.aramaic.letters import (
    CLASS_NAMES,
    GLYPH_BOX,
    GLYPH_CANVAS,
    LETTERS,
    NO_LETTER_CLASS,
    NUM_CLASSES,
    load_glyphs,
)

STONES = ("basalt", "limestone")
RELIEFS = ("incised", "raised")
STAGES = ("font", "letter form", "relief, raking light", "stone", "damage", "photograph")
# The paper's elastic distortions (alpha, sigma ranges at 256 px): the first and last are the
# repository's; the four between are the project's geometric interpolation (REFERENCE.md §6).
ELASTIC_RANGES = (((9, 11), (2, 4)), ((40, 60), (4, 6)), ((150, 250), (6, 9)), ((500, 800), (9, 12)),
                  ((1500, 2500), (12, 15)), ((5000, 8000), (15, 25)))
# At full strength the largest ranges move strokes by about 20 % of the side (53 px of 256) and
# leave letters unreadable (seen in the preview grid): the displacement is scaled down by this.
ELASTIC_STRENGTH = 0.3
PAPER_SIZE = 256  # the side of the paper's augmented crops, which its pixel parameters refer to
PARAM_NAMES = ("severity", "elevation", "azimuth", "stone")
# The fractal fields of one example and their spectral exponents β (1/f^β): drawn together, in
# one batched FFT, whether or not an example uses each of them.
NOISE_BETAS = {"stroke": 2.5, "jitter_y": 3.0, "jitter_x": 3.0, "fine": 1.7, "coarse": 3.3, "pits": 0.6,
               "albedo_fine": 1.3, "albedo_coarse": 3.1, "veins": 2.8, "spall_edge": 2.5, "spall_floor": 1.5,
               "crust": 3.0, "crust_height": 1.5, "stains": 3.0}


@dataclasses.dataclass
class Rendering:
    """One synthetic example.

    Attributes:
        image: uint8 `(S, S, 3)`.
        label: int. Class index (`CLASS_NAMES`).
        params: dict. The drawn conditions: severity, elevation and azimuth (degrees), stone, relief...
        stages: dict or None. Stage name → float `(S, S)` or `(S, S, 3)` image in [0, 1]
            (`STAGES`), when asked for.
    """

    image: np.ndarray
    label: int
    params: dict
    stages: dict = None


class AramaicSynth:
    """Synthetic Old Aramaic letters carved in stone: letter form, relief, light, stone, damage, photo.

    Args:
        image_size: int >= 32. Side of the square images. Defaults to 64.
        fonts: str, Path, list of them, or None. Fonts covering U+10840-U+10855, mixed at random
            per example. Defaults to None (the Noto Sans Imperial Aramaic sample).
        severity: (low, high) in [0, 1]. Range of the damage severity. Defaults to (0.0, 0.8).
        elevation: (low, high) degrees. Range of the light's elevation above the stone (low =
            raking). Defaults to (10, 60).
        rotation: float. Largest rotation in degrees, either way (the paper rotates by 0–359°,
            which makes some letters mirror images of others; 180 reproduces it). Defaults to 20.
        neighbour_probability: float. Chance that a fragment of another letter enters at an edge
            (doubled for "No Letter"). Defaults to 0.3.
        stones: tuple of names among `STONES`. Defaults to both.
        reliefs: tuple among `RELIEFS`. Defaults to both.
        jpeg: bool. JPEG-compress the photograph (p = 0.7). Defaults to True.
        seed: int. Seed of the stream (`example`, `dataset`). Defaults to 0.

    Raises:
        FileNotFoundError, ValueError: a missing or unreadable font, a font without all 22 letters
            (named), or settings out of range.

    Example:
    ```python
    synth = AramaicSynth(image_size=64, seed=0)
    example = synth.example(5)               # class 5 (Waw), always the same image for seed 0
    example.image.shape, CLASS_NAMES[example.label]   # (64, 64, 3), 'Waw'
    stream = synth.dataset(num_examples=256).batch(32)   # tf.data, made in parallel
    synth.preview_grid("preview.png")        # every letter under each stage
    ```
    """

    def __init__(self, image_size=64, fonts=None, severity=(0.0, 0.8), elevation=(10.0, 60.0), rotation=20.0,
                 neighbour_probability=0.3, stones=STONES, reliefs=RELIEFS, jpeg=True, seed=0):
        if not isinstance(image_size, (int, np.integer)) or image_size < 32:
            raise ValueError(f"image_size must be an integer >= 32. Received: image_size={image_size!r}")
        low, high = (float(v) for v in severity)
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"severity must be (low, high) with 0 <= low <= high <= 1. Received: severity={severity}")
        e_low, e_high = (float(v) for v in elevation)
        if not 1.0 <= e_low <= e_high <= 90.0:
            raise ValueError(f"elevation must be (low, high) degrees in [1, 90]. Received: elevation={elevation}")
        for name, values, known in (("stones", stones, STONES), ("reliefs", reliefs, RELIEFS)):
            if not values or set(values) - set(known):
                raise ValueError(f"{name} must be a non-empty subset of {known}. Received: {name}={values}")
        font_list = fonts if isinstance(fonts, (list, tuple)) else [fonts]
        self.glyphs = [load_glyphs(font) for font in font_list]  # checks each font
        self.image_size = int(image_size)
        self.severity = (low, high)
        self.elevation = (e_low, e_high)
        self.rotation = float(rotation)
        self.neighbour_probability = float(neighbour_probability)
        self.stones = tuple(stones)
        self.reliefs = tuple(reliefs)
        self.jpeg = bool(jpeg)
        self.seed = int(seed)
        self.class_names = CLASS_NAMES
        size = self.image_size
        self._scale = size / 64.0  # pixel quantities below are for 64 px and scale with the size
        centre = (size - 1) / 2.0
        self._y, self._x = np.mgrid[0:size, 0:size].astype("float32") - centre
        fy = np.fft.fftfreq(size)[:, None]
        fx = np.fft.rfftfreq(size)[None, :]
        radius = np.sqrt(fx ** 2 + fy ** 2)
        radius[0, 0] = 1.0
        betas = np.array(list(NOISE_BETAS.values()))[:, None, None]
        self._filters = (radius[None] ** (-betas / 2.0)).astype("complex64")
        self._filters[:, 0, 0] = 0.0

    # ------------------------------------------------------------------ the stream
    def example(self, index, seed=None, label=None, severity=None, stages=False):
        """Example `index` of the stream `seed` (default: the synth's): always the same `Rendering`.

        Args:
            index: int >= 0.
            seed: int or None. Defaults to the synth's seed.
            label: int or None. Force the class (default `index % 23`).
            severity: float or None. Force the damage severity (default: drawn from the range).
            stages: bool. Also return the intermediate stages (`STAGES`). Defaults to False.
        """
        rng = example_rng(self.seed if seed is None else seed, index)
        return self.render(rng, index % NUM_CLASSES if label is None else int(label), severity, stages)

    def make_example(self, rng, index):
        """`(image uint8 (S, S, 3), label int64, params float32 (4,))` for `core.data.generated_dataset`.

        `params` holds severity, light elevation and azimuth (degrees) and the stone (0 basalt,
        1 limestone), for evaluations by condition.
        """
        rendering = self.render(rng, index % NUM_CLASSES)
        p = rendering.params
        params = np.array([p["severity"], p["elevation"], p["azimuth"], STONES.index(p["stone"])], "float32")
        return rendering.image, np.int64(rendering.label), params

    def dataset(self, seed=None, num_examples=None, start=0, with_params=False, num_parallel_calls=None):
        """A `tf.data.Dataset` of `(image uint8, label)` (plus `params` with `with_params=True`).

        Args:
            seed: int or None. Stream seed; use different ones for training, validation and test.
                Defaults to the synth's.
            num_examples: int or None. None streams forever.
            start: int. Index of the first example (a resumed run continues the stream).
            with_params: bool. Add the (4,) float32 conditions of `make_example`. Defaults to False.
            num_parallel_calls: int or None (AUTOTUNE).
        """
        import tensorflow as tf

        size = self.image_size
        signature = (tf.TensorSpec((size, size, 3), tf.uint8), tf.TensorSpec((), tf.int64),
                     tf.TensorSpec((len(PARAM_NAMES),), tf.float32))
        data = generated_dataset(self.make_example, signature, seed=self.seed if seed is None else seed,
                                 num_examples=num_examples, start=start,
                                 num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE)
        return data if with_params else data.map(lambda image, label, params: (image, label))

    def arrays(self, num_examples, seed=None, start=0):
        """`(images uint8 (N, S, S, 3), labels (N,), params (N, 4))` of examples start … start + N - 1."""
        batches = self.dataset(seed, num_examples, start, with_params=True).batch(max(1, num_examples))
        images, labels, params = (np.asarray(t) for t in next(iter(batches)))
        return images, labels, params

    # ------------------------------------------------------------------ rendering
    def render(self, rng, label, severity=None, stages=False):
        """Render one example of class `label` with the generator `rng` (see the module docstring)."""
        if not 0 <= int(label) < NUM_CLASSES:
            raise ValueError(f"label must be in [0, {NUM_CLASSES}). Received: label={label}")
        s = float(rng.uniform(*self.severity)) if severity is None else float(severity)
        size, k = self.image_size, self._scale
        glyphs = self.glyphs[int(rng.integers(len(self.glyphs)))]
        params = {"label": int(label), "severity": s, "font": glyphs.font.name,
                  "stone": STONES[0] if len(self.stones) == 1 else self.stones[int(rng.integers(len(self.stones)))],
                  "relief": self.reliefs[int(rng.integers(len(self.reliefs)))],
                  "azimuth": float(rng.uniform(0.0, 360.0)), "elevation": float(rng.uniform(*self.elevation))}
        out = {} if stages else None
        noise = self._noise_bank(rng)

        # 1. Letter form: one inverse map from the image grid to the glyph canvas.
        coords, pixel_per_glyph = self._glyph_map(rng, noise)
        stroke = float(rng.uniform(-0.3, 0.8)) * k
        if rng.random() < 0.2:  # the paper's erode
            stroke -= 0.6 * k
        elif rng.random() < 0.25:  # dilate (p = 0.2 of all)
            stroke += 0.8 * k
        stroke = stroke + 0.4 * k * noise["stroke"]  # the width varies along the strokes
        distance = np.full((size, size), 1e3, "float32")
        if label != NO_LETTER_CLASS:
            distance = self._sample_sdf(glyphs.sdf[label], coords) * pixel_per_glyph
        neighbour_p = self.neighbour_probability * (2.0 if label == NO_LETTER_CLASS else 1.0)
        if rng.random() < neighbour_p:
            other = int(rng.integers(len(LETTERS)))
            side = rng.integers(4)
            shift = float(rng.uniform(1.0, 1.25)) * GLYPH_BOX  # beside the letter, entering at an edge
            offset = np.array([[0, shift], [0, -shift], [shift, 0], [-shift, 0]][side], "float32")
            moved = coords + offset[:, None, None]
            distance = np.minimum(distance, self._sample_sdf(glyphs.sdf[other], moved) * pixel_per_glyph)
        distance = distance - stroke
        edge = float(rng.uniform(0.7, 1.8)) * k
        t = np.clip(0.5 - distance / edge, 0.0, 1.0)
        profile = 0.5 - 0.5 * np.cos(np.pi * t)  # rounded edges: 0 outside, 1 on the stroke's floor
        if out is not None:
            clean = self._sample_sdf(glyphs.sdf[label], self._identity_map()) if label != NO_LETTER_CLASS else None
            out["font"] = np.zeros((size, size), "float32") if clean is None else (clean < 0).astype("float32")
            out["letter form"] = profile.astype("float32")

        # 2. Relief.
        depth = float(rng.uniform(1.0, 3.0)) * k
        sign = -1.0 if params["relief"] == "incised" else 1.0
        light = self._light_vector(params["azimuth"], params["elevation"])
        ambient = float(rng.uniform(0.12, 0.3))
        if out is not None:
            grey = np.full((size, size, 3), 0.6, "float32")
            out["relief, raking light"] = self._shade(sign * depth * profile, grey, light, ambient, 0.0)

        # 3. Stone.
        stone_height, albedo, specular = self._stone(rng, noise, params["stone"])
        glyph_height = sign * depth * profile
        if out is not None:
            out["stone"] = self._shade(glyph_height + stone_height, albedo, light, ambient, specular)

        # 4. Damage.
        glyph_height, stone_height, albedo = self._damage(rng, noise, s, glyph_height, stone_height, albedo)
        height = glyph_height + stone_height
        lit = self._shade(height, albedo, light, ambient, specular)
        if out is not None:
            out["damage"] = lit

        # 5. Photograph.
        image = self._photograph(rng, lit)
        if out is not None:
            out["photograph"] = image.astype("float32") / 255.0
        return Rendering(image, int(label), params, out)

    def _identity_map(self):
        scale = GLYPH_BOX / (0.85 * self.image_size)
        centre = (GLYPH_CANVAS - 1) / 2.0
        return np.stack([self._y * scale + centre, self._x * scale + centre])

    def _glyph_map(self, rng, noise):
        """Image grid → glyph canvas coordinates (2, S, S), and image pixels per glyph pixel."""
        size, k = self.image_size, self._scale
        zoom = float(rng.uniform(0.5, 0.9))                     # the paper's zoom
        padding = float(rng.uniform(0.0, 50.0 / PAPER_SIZE))    # the paper's 0-50 px white border
        letter = size * (zoom + 0.1) / (1.0 + 2.0 * padding)    # the glyph box's side in image pixels
        angle = np.deg2rad(rng.uniform(-self.rotation, self.rotation))
        cos, sin = np.cos(angle), np.sin(angle)
        matrix = np.array([[cos, -sin], [sin, cos]])
        if rng.random() < 0.7:  # the paper's affine: 3 points moved by up to ±20 px of 256
            source = np.array([[-0.4, -0.4], [0.4, -0.4], [0.0, 0.4]]) * size
            target = source + rng.uniform(-1, 1, size=(3, 2)) * 20.0 / PAPER_SIZE * size
            solution = np.linalg.lstsq(np.c_[source, np.ones(3)], target, rcond=None)[0]
            matrix = solution[:2].T @ matrix
        y, x = self._y, self._x
        # Stroke jitter (always) plus the paper's elastic distortion (p = 0.6).
        dy = 0.6 * k * noise["jitter_y"]
        dx = 0.6 * k * noise["jitter_x"]
        if rng.random() < 0.6:
            (alpha_range, sigma_range) = ELASTIC_RANGES[int(rng.integers(len(ELASTIC_RANGES)))]
            ratio = size / PAPER_SIZE
            alpha = ELASTIC_STRENGTH * rng.uniform(*alpha_range) * ratio ** 2
            sigma = max(rng.uniform(*sigma_range) * ratio, 0.5)
            field = rng.uniform(-1, 1, size=(2, size, size)).astype("float32")
            dy = dy + alpha * ndimage.gaussian_filter(field[0], sigma, mode="reflect")
            dx = dx + alpha * ndimage.gaussian_filter(field[1], sigma, mode="reflect")
        shift = rng.uniform(-0.06, 0.06, size=2) * size
        py, px = y + dy - shift[0], x + dx - shift[1]
        inverse = np.linalg.inv(matrix)
        gy = inverse[0, 0] * py + inverse[0, 1] * px
        gx = inverse[1, 0] * py + inverse[1, 1] * px
        glyph_per_pixel = GLYPH_BOX / letter
        centre = (GLYPH_CANVAS - 1) / 2.0
        coords = np.stack([gy * glyph_per_pixel + centre, gx * glyph_per_pixel + centre]).astype("float32")
        return coords, float(np.sqrt(abs(np.linalg.det(matrix))) / glyph_per_pixel)

    @staticmethod
    def _sample_sdf(sdf, coords):
        values = ndimage.map_coordinates(sdf, coords, order=1, mode="nearest")
        # Outside the canvas the nearest edge value underestimates the distance: keep it positive.
        outside = (coords[0] < 0) | (coords[0] > GLYPH_CANVAS - 1) | (coords[1] < 0) | (coords[1] > GLYPH_CANVAS - 1)
        return np.where(outside, np.maximum(values, 4.0), values).astype("float32")

    def _noise_bank(self, rng):
        """The example's fractal fields (`NOISE_BETAS`), each of zero mean and unit standard deviation."""
        from scipy import fft

        size = self.image_size
        white = rng.standard_normal((len(NOISE_BETAS), size, size), dtype="float32")
        fields = fft.irfft2(fft.rfft2(white) * self._filters, s=(size, size)).astype("float32")
        fields /= fields.std(axis=(1, 2), keepdims=True) + 1e-8
        return dict(zip(NOISE_BETAS, fields))

    def _stone(self, rng, noise, stone):
        """Height (px), albedo (S, S, 3) and the specular strength of a procedural stone."""
        k = self._scale
        if stone == "basalt":
            colour = np.array([0.26, 0.26, 0.28]) * rng.uniform(0.7, 1.3) + rng.normal(0, 0.015, 3)
            height = (rng.uniform(0.04, 0.15) * k * noise["fine"]
                      + rng.uniform(0.2, 0.8) * k * noise["coarse"])
            pits = noise["pits"]  # vesicles: small round pits
            height -= rng.uniform(0.5, 1.5) * k * np.clip(pits - rng.uniform(2.2, 3.0), 0, None)
            albedo_var = 0.08 * noise["albedo_fine"] + 0.06 * noise["albedo_coarse"]
            specular = float(rng.uniform(0.0, 0.25))
        else:
            colour = np.array([0.78, 0.72, 0.60]) * rng.uniform(0.75, 1.15) + rng.normal(0, 0.025, 3)
            height = (rng.uniform(0.03, 0.12) * k * noise["fine"]
                      + rng.uniform(0.3, 1.5) * k * noise["coarse"])
            albedo_var = 0.05 * noise["albedo_fine"] + 0.10 * noise["albedo_coarse"]
            veins = np.abs(noise["veins"])
            albedo_var -= rng.uniform(0.0, 0.12) * np.clip(0.15 - veins, 0, None) / 0.15
            specular = float(rng.uniform(0.0, 0.05))
        albedo = np.clip(colour[None, None, :] * (1.0 + albedo_var[..., None]), 0.02, 1.0).astype("float32")
        return height.astype("float32"), albedo, specular

    def _damage(self, rng, noise, s, glyph_height, stone_height, albedo):
        """Erosion, spalling/missing fragments, chips, cracks, encrustation, weathering at severity s."""
        size, k = self.image_size, self._scale
        # Erosion: softer, shallower strokes.
        sigma = s * rng.uniform(0.3, 1.6) * k
        if sigma > 0.2:
            glyph_height = ndimage.gaussian_filter(glyph_height, sigma)
        glyph_height = glyph_height * (1.0 - 0.5 * s * rng.uniform(0, 1))
        # Spalling: flakes of the surface gone, letter included, with a rough floor.
        edge_noise = noise["spall_edge"]
        intact = np.ones((size, size), "float32")
        for _ in range(rng.poisson(1.4 * s)):
            cy, cx = rng.uniform(-0.5, 0.5, 2) * size
            radius = rng.uniform(0.08, 0.22) * size * (0.5 + s)
            inside = radius * (1 + 0.3 * edge_noise) - np.hypot(self._y - cy, self._x - cx)
            intact = np.minimum(intact, np.clip(1.0 - inside / (1.0 * k), 0.0, 1.0))
        if intact.min() < 1.0:
            floor = rng.uniform(1.0, 3.0) * k + 0.6 * k * noise["spall_floor"]
            stone_height = stone_height - (1.0 - intact) * floor
            glyph_height = glyph_height * intact
            albedo = albedo * (1.0 + 0.15 * (1.0 - intact))[..., None]
        # Chips: small pits.
        chips = rng.poisson(14 * s)
        if chips:
            impulses = np.zeros((size, size), "float32")
            np.add.at(impulses, (rng.integers(0, size, chips), rng.integers(0, size, chips)),
                      rng.uniform(2.0, 6.0, chips) * k)
            stone_height = stone_height - ndimage.gaussian_filter(impulses, 0.8 * k) * 6.0
        # Cracks: random walks carved as thin grooves.
        cracks = rng.poisson(1.2 * s)
        if cracks:
            lines = np.zeros((size, size), "float32")
            for _ in range(cracks):
                steps = int(size * rng.uniform(0.6, 2.0) / 0.5)
                angle = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.12, steps))
                start = rng.uniform(0, size, 2)
                ys = start[0] + 0.5 * np.cumsum(np.sin(angle))
                xs = start[1] + 0.5 * np.cumsum(np.cos(angle))
                keep = (ys >= 0) & (ys < size) & (xs >= 0) & (xs < size)
                lines[ys[keep].astype(int), xs[keep].astype(int)] = 1.0
            lines = ndimage.gaussian_filter(lines, 0.5 * k)
            stone_height = stone_height - rng.uniform(2.0, 5.0) * k * np.clip(lines * 2.5, 0, 1)
        # Encrustation: raised crusts of another colour.
        crust = rng.uniform(0, 1) * s
        if crust > 0.05:
            field = noise["crust"]
            patch = np.clip((field - np.quantile(field, 1 - 0.5 * crust)) * 3.0, 0, 1)
            stone_height = stone_height + patch * rng.uniform(0.5, 1.5) * k * (1 + 0.3 * noise["crust_height"])
            glyph_height = glyph_height * (1 - 0.7 * patch)
            colour = np.array([0.85, 0.8, 0.68]) * rng.uniform(0.6, 1.1)
            albedo = albedo * (1 - 0.8 * patch[..., None]) + 0.8 * patch[..., None] * colour
        # Weathering: stains and discolouration.
        stains = 1.0 + s * rng.uniform(0.1, 0.5) * noise["stains"]
        albedo = np.clip(albedo * stains[..., None], 0.02, 1.0)
        return glyph_height, stone_height, albedo.astype("float32")

    @staticmethod
    def _light_vector(azimuth, elevation):
        a, e = np.deg2rad(azimuth), np.deg2rad(elevation)
        return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], "float32")  # x, y, z

    def _shade(self, height, albedo, light, ambient, specular):
        """Lambert + Blinn-Phong shading of a height map with cast shadows, in [0, 1] (S, S, 3)."""
        gy, gx = np.gradient(height)
        norm = 1.0 / np.sqrt(1.0 + gx * gx + gy * gy)
        nx, ny, nz = -gx * norm, -gy * norm, norm
        diffuse = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0.0, None)
        lit = self._shadow(height, light)
        half = light + np.array([0, 0, 1], "float32")
        half /= np.linalg.norm(half)
        shine = np.clip(nx * half[0] + ny * half[1] + nz * half[2], 0.0, None) ** 20
        shading = ambient + (1.0 - ambient) * diffuse * lit / max(light[2], 0.35)
        return np.clip(albedo * shading[..., None] + (specular * shine * lit)[..., None], 0.0, 1.0).astype("float32")

    def _shadow(self, height, light):
        """1 where the light reaches the surface, 0 in cast shadow (soft by half a pixel)."""
        horizontal = np.hypot(light[0], light[1])
        if horizontal < 1e-3:
            return np.ones_like(height)
        tan_elevation = light[2] / horizontal
        ux, uy = light[0] / horizontal, light[1] / horizontal
        reach = int(min(np.ceil(np.ptp(height) / max(tan_elevation, 1e-3)), self.image_size // 3))
        if reach < 1:
            return np.ones_like(height)
        padded = np.pad(height, reach, mode="edge")
        size = self.image_size
        horizon = np.full_like(height, -np.inf)
        for t in range(1, reach + 1):
            oy, ox = int(round(t * uy)), int(round(t * ux))
            shifted = padded[reach + oy:reach + oy + size, reach + ox:reach + ox + size]
            horizon = np.maximum(horizon, shifted - t * tan_elevation)
        return np.clip((height - horizon) * 2.0 + 0.5, 0.0, 1.0)

    def _photograph(self, rng, radiance):
        """Exposure, white balance, vignetting, focus blur, noise, gamma, JPEG → uint8 (S, S, 3)."""
        k = self._scale
        image = radiance * (rng.uniform(0.35, 0.6) / (radiance.mean() + 1e-4))
        image = image * (1.0 + rng.normal(0, 0.05, 3)).astype("float32")
        vignette = rng.uniform(0, 0.35)
        image = image * (1.0 - vignette * (self._x ** 2 + self._y ** 2) / (self.image_size / 2) ** 2)[..., None]
        if rng.random() < 0.5:  # the paper's Gaussian blur; also a photograph out of focus
            image = ndimage.gaussian_filter(image, (rng.uniform(0.3, 1.2) * k, rng.uniform(0.3, 1.2) * k, 0))
        image = np.clip(image, 0, None)
        image = image + np.sqrt(image) * rng.uniform(0, 0.04) * rng.standard_normal(image.shape).astype("float32")
        image = image + rng.uniform(0.002, 0.02) * rng.standard_normal(image.shape).astype("float32")
        image = np.clip(image, 0, 1) ** (1.0 / (2.2 * rng.uniform(0.85, 1.15)))
        image = (image * 255.0 + 0.5).astype(np.uint8)
        if self.jpeg and rng.random() < 0.7:
            from PIL import Image

            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=int(rng.integers(30, 96)))
            image = np.asarray(Image.open(buffer).convert("RGB"))
        return image

    # ------------------------------------------------------------------ export and preview
    def export_folder(self, root, num_examples, seed=None, start=0, image_format="png"):
        """Write examples start … start + N - 1 as `root/<Letter>/<index>.png` (one folder per class).

        The layout of `keras.utils.image_dataset_from_directory` and of the paper's data sets
        (`train/<Letter>/`); `domains.aramaic.data.load_letter_folder` reads it back.

        Returns:
            dict class name → number of images written.
        """
        from PIL import Image

        root = pathlib.Path(root)
        counts = dict.fromkeys(CLASS_NAMES, 0)
        for image, label in self.dataset(seed, num_examples, start).as_numpy_iterator():
            index = start + sum(counts.values())
            folder = root / CLASS_NAMES[int(label)]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{index:08d}.{image_format}")
            counts[CLASS_NAMES[int(label)]] += 1
        return counts

    def export_tfrecord(self, path_prefix, num_examples, seed=None, start=0, num_shards=1):
        """Write examples as TFRecord shards of {"image": uint8 (S, S, 3), "label", "params"}.

        Read back with `core.data.read_tfrecord_shards(f"{path_prefix}-*.tfrecord")`.

        Returns:
            list of the shard paths.
        """
        from core.data.tfrecord import write_tfrecord_shards

        stream = self.dataset(seed, num_examples, start, with_params=True).as_numpy_iterator()
        examples = ({"image": image, "label": np.int64(label), "params": params} for image, label, params in stream)
        return write_tfrecord_shards(examples, path_prefix, num_shards=num_shards)

    def preview_grid(self, path=None, seed=None, severity=0.5, labels=None):
        """Every class (rows) under each stage of the pipeline (columns), as a PNG figure.

        Args:
            path: str, Path or None. Where to save the PNG; None returns the figure only.
            seed: int or None. Defaults to the synth's.
            severity: float. The damage severity shown. Defaults to 0.5.
            labels: list of class indices or None (every class). Defaults to None.

        Returns:
            matplotlib Figure.
        """
        from matplotlib.figure import Figure

        labels = list(range(NUM_CLASSES)) if labels is None else [int(label) for label in labels]
        figure = Figure(figsize=(1.3 * len(STAGES), 1.3 * len(labels)))
        axes = np.asarray(figure.subplots(len(labels), len(STAGES), squeeze=False))
        for row, label in enumerate(labels):
            rendering = self.example(label, seed=seed, label=label, severity=severity, stages=True)
            for column, stage in enumerate(STAGES):
                axis = axes[row, column]
                picture = rendering.stages[stage]
                axis.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=1)
                axis.set_xticks([])
                axis.set_yticks([])
                if row == 0:
                    axis.set_title(stage, fontsize=8)
                if column == 0:
                    axis.set_ylabel(CLASS_NAMES[label], fontsize=8)
        figure.tight_layout()
        if path is not None:
            path = pathlib.Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            figure.savefig(path, dpi=80)
        return figure
