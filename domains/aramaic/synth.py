"""`AramaicSynth`: photo-realistic synthetic Old Aramaic letters carved in stone, deterministic by seed.

Deep Aramaic (Aioanei et al., PLoS ONE 2024, REFERENCE.md §6) trains its classifier on synthetic
letters made from fonts, stone textures, lighting, damage and augmentations. This module renders
such images procedurally in vectorised NumPy/SciPy on an `image_size × image_size` grid (no
hand-made textures, nothing downloaded):

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
   fragments, chips, cracks, encrustation and weathering stains. Then the letter's legibility
   (its relief's slope against the stone's clutter, `_contrast`) is measured; below
   `min_legibility` the letter is cut deeper and the stone's relief and colours flattened.
5. **Photograph** — exposure, white balance, gamma, vignetting, focus blur (the paper's Gaussian
   blur), sensor noise and JPEG compression.

Speed: training the small model consumes about 100 letters a second on this 2-core CPU,
so the renderer works on a chunk of examples at once (`render_batch`): every example first draws
its own conditions from its generator (`_plan`), then each stage runs as a few array operations
over the whole chunk, with per-example parameters broadcast. The fractal fields (and the white
noise of the elastic map and of the sensor) are not synthesised per example: the synth keeps a
bank of up to `NOISE_BANK_SIZE` periodic fields per spectrum (made once by FFT from a fixed seed), and
each example takes one field per use, cyclically shifted and turned by one of the 8 symmetries of
the square, all drawn from its generator; a periodic 1/f^β field shifted or turned is another
field of the same statistics. Blurs with per-example widths are one FFT over the chunk.

`ablate` switches stages off for ablation studies (`evaluation.stage_ablation`): their conditions
are still drawn, then replaced by neutral ones, so the other stages of each example are unchanged.

Every random number of example `index` comes from `core.data.generated.example_rng(seed, index)`,
so an example depends only on (seed, index, the synth's settings), not on the chunk it is made in:
the stream is reproducible and parallel (`AramaicSynth.dataset`). Parameters of the paper that are
given for its 256-pixel crops (±20 px, 0–50 px, elastic alpha/sigma) are scaled to `image_size`.

The class index of example `index` is `index % 23` (every class equally often; 22 = "No Letter",
the stone with at most a neighbour's fragment at the edge).
"""

import dataclasses
import io
import pathlib

import numpy as np
from scipy import fft, ndimage

from core.data.generated import example_rng, generated_batch_dataset
from core.evaluation import save_figure
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
PARAM_NAMES = ("severity", "elevation", "azimuth", "stone", "legibility")
# The noise fields of one example and their spectral exponents β (1/f^β; 0 is white noise), each
# of zero mean and unit standard deviation.
NOISE_BETAS = {"stroke": 2.5, "jitter_y": 3.0, "jitter_x": 3.0, "fine": 1.7, "coarse": 3.3, "pits": 0.6,
               "albedo_fine": 1.3, "albedo_coarse": 3.1, "veins": 2.8, "spall_edge": 2.5, "spall_floor": 1.5,
               "crust": 3.0, "crust_height": 1.5, "stains": 3.0, "elastic_y": 0.0, "elastic_x": 0.0,
               "sensor_r": 0.0, "sensor_g": 0.0, "sensor_b": 0.0}
NOISE_BANK_SIZE = 16  # periodic fields kept per spectrum (each then shifted by up to S × S and turned 8 ways)
NOISE_BANK_PIXELS = NOISE_BANK_SIZE * 64 * 64  # larger images keep fewer fields (at least 4): 60 MB at 224 px
NOISE_BANK_SEED = 20240402  # the bank is part of the renderer, the same for every stream seed
# A letter's relief stands out of the stone's at least this much (`legibility`, `_contrast`):
# below, the letter is cut deeper and the stone's relief and colours flattened until it does. Fainter letters were
# unreadable to the project's eyes and to the trained model (README, Aramaic); 0 leaves them.
MIN_LEGIBILITY = 2.0
UNIFORM_DRAWS = 64  # scalar conditions per example, drawn at once (`_plan` uses at most 63)
DAMAGE_KINDS = ("erosion", "spalls", "chips", "cracks", "crust", "stains")
# Stages that `ablate` can switch off (`AramaicSynth`), each with the kinds of damage on their own.
ABLATIONS = ("form", "stone", "photo", "damage", *DAMAGE_KINDS)


class _Uniforms:
    """Hands out an example's uniform draws one by one: `u(low, high)`; `u()` is in [0, 1)."""

    def __init__(self, rng):
        self.values = rng.random(UNIFORM_DRAWS)
        self.used = 0

    def __call__(self, low=0.0, high=1.0):
        value = low + (high - low) * self.values[self.used]
        self.used += 1
        return float(value)


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
        min_legibility: float >= 0. Least contrast of a letter against the stone (`_contrast`):
            fainter letters are cut deeper and the stone flattened up to it. 0 keeps them as
            drawn (some then unreadable). Defaults to 2 (`MIN_LEGIBILITY`).
        seed: int. Seed of the stream (`example`, `dataset`). Defaults to 0.
        ablate: names among `ABLATIONS`. Stages switched off, for ablation studies
            (`evaluation.stage_ablation`): "form" draws the font's glyph upright, centred, at
            zoom 0.75 without affine, elastic or stroke jitter and at the mean stroke width, with no
            neighbour; "stone" a flat stone of uniform colour (no relief, texture, veins or shine);
            "photo" a neutral photograph (mean exposure 0.5, no colour cast, vignetting, blur, noise
            or JPEG, gamma 2.2); "damage" none of the damage, or one kind of it by its name in
            `DAMAGE_KINDS`. Every condition is still drawn, in the same order, and only then
            neutralised: the other stages of an example are the same as without `ablate`, and
            `severity` stays as drawn. Defaults to () (the full pipeline).

    Raises:
        FileNotFoundError, ValueError: a missing or unreadable font, a font without all 22 letters
            (named), or settings out of range.

    Example:
    ```python
    synth = AramaicSynth(image_size=64, seed=0)
    example = synth.example(5)               # class 5 (Waw), always the same image for seed 0
    example.image.shape, CLASS_NAMES[example.label]   # (64, 64, 3), 'Waw'
    images, labels, params = synth.arrays(64)          # examples 0 ... 63, rendered as one chunk
    stream = synth.dataset(num_examples=256).batch(32)   # tf.data, chunks made in parallel
    synth.preview_grid("preview.png")        # every letter under each stage
    clean = AramaicSynth(ablate=("form", "stone", "photo", "damage"))   # relief and raking light only
    ```
    """

    def __init__(self, image_size=64, fonts=None, severity=(0.0, 0.8), elevation=(10.0, 60.0), rotation=20.0,
                 neighbour_probability=0.3, stones=STONES, reliefs=RELIEFS, jpeg=True, min_legibility=MIN_LEGIBILITY,
                 seed=0, ablate=()):
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
        if not float(min_legibility) >= 0.0:
            raise ValueError(f"min_legibility must be >= 0. Received: min_legibility={min_legibility}")
        self.min_legibility = float(min_legibility)
        self.seed = int(seed)
        self.ablate = (ablate,) if isinstance(ablate, str) else tuple(ablate)
        if set(self.ablate) - set(ABLATIONS):
            raise ValueError(f"ablate takes names among {ABLATIONS}. Received: ablate={ablate!r}")
        self.class_names = CLASS_NAMES
        size = self.image_size
        self._scale = size / 64.0  # pixel quantities below are for 64 px and scale with the size
        centre = (size - 1) / 2.0
        self._y, self._x = np.mgrid[0:size, 0:size].astype("float32") - centre
        self._sdf = np.concatenate([glyphs.sdf for glyphs in self.glyphs])  # font f, letter l at f * 22 + l
        self._bank_size = int(np.clip(NOISE_BANK_PIXELS // size ** 2, 4, NOISE_BANK_SIZE))
        self._tiled = np.tile(self._noise_bank(), (1, 1, 2, 2))  # windows of it are the shifted fields
        self._neutral = self._neutral_conditions()

    def _noise_bank(self):
        """Periodic fields for each entry of `NOISE_BETAS`: (fields, bank, S, S), unit std."""
        size = self.image_size
        radius = np.hypot(np.fft.fftfreq(size)[:, None], np.fft.rfftfreq(size)[None, :])
        radius[0, 0] = 1.0
        betas = np.array(list(NOISE_BETAS.values()))[:, None, None, None]
        spectrum = radius[None, None] ** (-betas / 2.0)
        spectrum[..., 0, 0] = 0.0
        rng = np.random.default_rng([NOISE_BANK_SEED, size])
        white = rng.standard_normal((len(NOISE_BETAS), self._bank_size, size, size))
        fields = fft.irfft2(fft.rfft2(white) * spectrum, s=(size, size))
        fields /= fields.std(axis=(2, 3), keepdims=True)
        return fields.astype("float32")

    def _neutral_conditions(self):
        """The plan entries that `ablate` overrides, with their neutral values (`_plan`'s keys)."""
        k = self._scale
        neutral = {
            "form": dict(zoom=0.75, padding=0.0, angle=0.0, shift=(0.0, 0.0), affine=np.zeros((3, 2)), elastic_alpha=0.0,
                         elastic_sigma=0.0, stroke=0.25 * k, neighbour=-1, jitter=0.0, stroke_jitter=0.0),
            "stone": dict(fine=0.0, coarse=0.0, pits=0.0, albedo_fine=0.0, albedo_coarse=0.0, veins=0.0, specular=0.0),
            "photo": dict(exposure=0.5, white_balance=np.ones(3), vignette=0.0, focus=(0.0, 0.0), shot_noise=0.0,
                          read_noise=0.0, gamma=2.2, jpeg=0),
            "erosion": dict(erosion=0.0, shallower=1.0),
            "spalls": dict(spalls=[]),
            "chips": dict(chips=(np.zeros((2, 0), "int64"), np.zeros(0))),
            "cracks": dict(cracks=[]),
            "crust": dict(crust=0.0),
            "stains": dict(stains=0.0),
        }
        kinds = {kind for name in self.ablate for kind in (DAMAGE_KINDS if name == "damage" else (name,))}
        return {key: value for kind in sorted(kinds) for key, value in neutral[kind].items()}

    # ------------------------------------------------------------------ the stream
    def example(self, index, seed=None, label=None, severity=None, stages=False):
        """Example `index` of the stream `seed` (default: the synth's): always the same `Rendering`.

        Args:
            index: int >= 0.
            seed: int or None. Defaults to the synth's seed.
            label: int or None. Force the class (default `index % 23`).
            severity: float or None. Force the damage severity (default: drawn from the range). The
                other scalar conditions (font, stone, light, form) stay those of the example; the
                noise fields change with it (they are drawn after the severity-dependent numbers of
                spalls, chips and cracks).
            stages: bool. Also return the intermediate stages (`STAGES`). Defaults to False.
        """
        rng = example_rng(self.seed if seed is None else seed, index)
        return self.render(rng, index % NUM_CLASSES if label is None else int(label), severity, stages)

    def make_batch(self, rngs, indices):
        """`(images uint8 (N, S, S, 3), labels int64 (N,), params float32 (N, 5))` for
        `core.data.generated_batch_dataset`: examples `indices` (class `index % 23`) from their `rngs`.

        `params` holds severity, light elevation and azimuth (degrees), the stone (0 basalt,
        1 limestone) and the letter's legibility (`_contrast`; inf for "No Letter", unless a fragment of a
        neighbouring letter is in view: then it is the fragment's, and the floor deepens it), for
        evaluations by condition.
        """
        labels = np.asarray(indices, "int64") % NUM_CLASSES
        images, plans, _ = self.render_batch(rngs, labels)
        params = np.array([[p["severity"], p["elevation"], p["azimuth"], STONES.index(p["stone"]), p["legibility"]]
                           for p in plans],
                          "float32").reshape(-1, len(PARAM_NAMES))
        return images, labels, params

    def dataset(self, seed=None, num_examples=None, start=0, with_params=False, num_parallel_calls=None,
                chunk_size=32):
        """A `tf.data.Dataset` of `(image uint8, label)` (plus `params` with `with_params=True`).

        Args:
            seed: int or None. Stream seed; use different ones for training, validation and test.
                Defaults to the synth's.
            num_examples: int or None. None streams forever.
            start: int. Index of the first example (a resumed run continues the stream).
            with_params: bool. Add the (4,) float32 conditions of `make_batch`. Defaults to False.
            num_parallel_calls: int or None (AUTOTUNE). Chunks rendered at once.
            chunk_size: int. Examples rendered together (the images do not depend on it). Defaults to 32.
        """
        import tensorflow as tf

        size = self.image_size
        signature = (tf.TensorSpec((size, size, 3), tf.uint8), tf.TensorSpec((), tf.int64),
                     tf.TensorSpec((len(PARAM_NAMES),), tf.float32))
        data = generated_batch_dataset(self.make_batch, signature, seed=self.seed if seed is None else seed,
                                       num_examples=num_examples, start=start, chunk_size=chunk_size,
                                       num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE)
        return data if with_params else data.map(lambda image, label, params: (image, label))

    def arrays(self, num_examples, seed=None, start=0):
        """`(images uint8 (N, S, S, 3), labels (N,), params (N, 5))` of examples start … start + N - 1."""
        batches = self.dataset(seed, num_examples, start, with_params=True).batch(max(1, num_examples))
        images, labels, params = (np.asarray(t) for t in next(iter(batches)))
        return images, labels, params

    def conditions(self, num_examples, seed=None, start=0):
        """Every drawn condition of examples start … start + N - 1, as the renderer draws them (no rendering).

        A list of dicts (`_plan`'s): e.g. "severity", "crust", "erosion", "elastic_alpha", "coarse"
        (lengths in pixels of `image_size`), "elevation" (degrees), "stone"; the entries switched
        off by `ablate` hold their neutral values. The legibility is measured while rendering:
        it is the last column of `arrays`' params.

        Args:
            num_examples: int.
            seed: int or None. Stream seed; defaults to the synth's.
            start: int. Index of the first example. Defaults to 0.
        """
        seed = self.seed if seed is None else seed
        return [self._plan(example_rng(seed, index), index % NUM_CLASSES, None)
                for index in range(start, start + num_examples)]

    # ------------------------------------------------------------------ rendering
    def render(self, rng, label, severity=None, stages=False):
        """Render one example of class `label` with the generator `rng` (see the module docstring)."""
        images, plans, out = self.render_batch([rng], [label], None if severity is None else [severity], stages)
        return Rendering(images[0], int(label), plans[0], None if out is None else {k: v[0] for k, v in out.items()})

    def render_batch(self, rngs, labels, severities=None, stages=False):
        """Render examples of classes `labels`, example i from the generator `rngs[i]` only.

        Args:
            rngs: list of `numpy.random.Generator`, one per example.
            labels: list of N class indices.
            severities: list of N floats, or None (drawn from the range).
            stages: bool. Also return the intermediate stages. Defaults to False.

        Returns:
            `(images uint8 (N, S, S, 3), list of N param dicts, stages dict name → (N, ...) or None)`.
        """
        labels = [int(label) for label in labels]
        if any(not 0 <= label < NUM_CLASSES for label in labels):
            raise ValueError(f"labels must be in [0, {NUM_CLASSES}). Received: labels={labels}")
        severities = [None] * len(labels) if severities is None else severities
        plans = [self._plan(rng, label, severity) for rng, label, severity in zip(rngs, labels, severities)]
        column = _Columns(plans)
        size = self.image_size
        out = {} if stages else None
        noise = self._noise_fields(column("noise"))

        # 1. Letter form: one inverse map from the image grid to the glyph canvas.
        coords, pixel_per_glyph = self._glyph_map(column, noise)
        letter = np.array(labels) != NO_LETTER_CLASS
        glyph = column("glyph")
        distance = np.where(letter[:, None, None], self._sample_sdf(glyph, coords) * pixel_per_glyph, 1e3)
        neighbour = np.flatnonzero(column("neighbour") >= 0)
        if len(neighbour):  # a fragment of another letter beside this one, entering at an edge
            moved = coords[neighbour] + column("neighbour_offset")[neighbour][:, :, None, None]
            near = self._sample_sdf(column("neighbour")[neighbour], moved) * pixel_per_glyph[neighbour]
            distance[neighbour] = np.minimum(distance[neighbour], near)
        width_jitter = column("stroke_jitter")[:, None, None] * noise["stroke"]  # the width varies along the strokes
        distance = distance - (column("stroke")[:, None, None] + width_jitter)
        t = np.clip(0.5 - distance / column("edge")[:, None, None], 0.0, 1.0)
        profile = 0.5 - 0.5 * np.cos(np.pi * t)  # rounded edges: 0 outside, 1 on the stroke's floor
        if out is not None:
            identity = np.broadcast_to(self._identity_map(), (len(plans), 2, size, size))
            out["font"] = np.where(letter[:, None, None], self._sample_sdf(glyph, identity) < 0, False).astype("float32")
            out["letter form"] = profile.astype("float32")

        # 2. Relief.
        glyph_height = (column("relief_sign") * column("depth"))[:, None, None] * profile
        light = self._light_vector(column("azimuth"), column("elevation"))
        ambient = column("ambient")
        if out is not None:
            grey = np.full((len(plans), size, size, 3), 0.6, "float32")
            out["relief, raking light"] = self._shade(glyph_height, grey, light, ambient, np.zeros(len(plans)))

        # 3. Stone.
        stone_height, albedo = self._stone(column, noise)
        specular = column("specular")
        if out is not None:
            out["stone"] = self._shade(glyph_height + stone_height, albedo, light, ambient, specular)

        # 4. Damage.
        carved = glyph_height
        glyph_height, stone_height, albedo = self._damage(plans, column, noise, glyph_height, stone_height, albedo)
        legibility = _contrast(carved, glyph_height, stone_height, albedo)
        if self.min_legibility > 0:  # too faint: cut the letter deeper, flatten the stone's relief and colours
            boost = np.sqrt(np.maximum(self.min_legibility / np.maximum(legibility, 1e-3), 1.0))[:, None, None]
            glyph_height, stone_height = glyph_height * boost, stone_height / boost  # contrast × boost²
            mean_albedo = albedo.mean(axis=(1, 2), keepdims=True)
            albedo = mean_albedo + (albedo - mean_albedo) / boost[..., None]
            legibility = np.maximum(legibility, self.min_legibility)
        lit = self._shade(glyph_height + stone_height, albedo, light, ambient, specular)
        if out is not None:
            out["damage"] = lit

        # 5. Photograph.
        images = self._photograph(plans, column, noise, lit)
        if out is not None:
            out["photograph"] = images.astype("float32") / 255.0
        public = [{**{key: plan[key] for key in ("label", "severity", "font", "stone", "relief", "azimuth", "elevation")},
                   "legibility": float(remaining)} for plan, remaining in zip(plans, legibility)]
        return images, public, out

    def _plan(self, rng, label, severity):
        """Every random condition of one example, drawn from its generator in a fixed order."""
        size, k = self.image_size, self._scale
        u = _Uniforms(rng)
        s = u(*self.severity)  # drawn even when forced, so the other conditions do not depend on it
        s = s if severity is None else float(severity)
        font = min(int(u() * len(self.glyphs)), len(self.glyphs) - 1)
        stone = self.stones[min(int(u() * len(self.stones)), len(self.stones) - 1)]
        relief = self.reliefs[min(int(u() * len(self.reliefs)), len(self.reliefs) - 1)]
        plan = {"label": int(label), "severity": s, "font": self.glyphs[font].font.name, "stone": stone,
                "relief": relief, "azimuth": u(0.0, 360.0), "elevation": u(*self.elevation),
                "glyph": font * len(LETTERS) + min(label, len(LETTERS) - 1),
                "relief_sign": -1.0 if relief == "incised" else 1.0}
        # Letter form: the paper's zoom, white border, rotation, affine and elastic; stroke width.
        plan.update(zoom=u(0.5, 0.9), padding=u(0.0, 50.0 / PAPER_SIZE), angle=np.deg2rad(u(-self.rotation, self.rotation)),
                    shift=(u(-0.06, 0.06) * size, u(-0.06, 0.06) * size))
        affine = u() < 0.7  # 3 points moved by up to ±20 px of 256
        moves = [u(-1.0, 1.0) * 20.0 / PAPER_SIZE * size for _ in range(6)]
        plan["affine"] = np.reshape(moves, (3, 2)) if affine else np.zeros((3, 2))
        elastic = u() < 0.6
        alpha_range, sigma_range = ELASTIC_RANGES[min(int(u() * len(ELASTIC_RANGES)), len(ELASTIC_RANGES) - 1)]
        ratio = size / PAPER_SIZE
        # The white fields of the bank have unit std; the repository's are uniform in [-1, 1] (std 1/√3).
        plan["elastic_alpha"] = ELASTIC_STRENGTH * u(*alpha_range) * ratio ** 2 / np.sqrt(3.0) if elastic else 0.0
        sigma = max(u(*sigma_range) * ratio, 0.5)
        plan["elastic_sigma"] = sigma if elastic else 0.0  # without elastic (alpha 0) nothing to blur
        stroke = u(-0.3, 0.8) * k
        thin, thick = u() < 0.2, u() < 0.25  # the paper's erode (p = 0.2), else dilate (p = 0.2 of all)
        plan["stroke"] = stroke - 0.6 * k if thin else stroke + 0.8 * k if thick else stroke
        plan.update(jitter=0.6 * k, stroke_jitter=0.4 * k)  # the always-on jitter of the strokes and their width
        neighbour_p = self.neighbour_probability * (2.0 if label == NO_LETTER_CLASS else 1.0)
        has_neighbour = u() < neighbour_p
        other = min(int(u() * len(LETTERS)), len(LETTERS) - 1)
        side = min(int(u() * 4), 3)
        gap = u(1.0, 1.25) * GLYPH_BOX  # beside the letter, entering at an edge
        plan["neighbour"] = font * len(LETTERS) + other if has_neighbour else -1
        plan["neighbour_offset"] = np.array([[0, gap], [0, -gap], [gap, 0], [-gap, 0]][side], "float32")
        # Relief and light.
        plan.update(edge=u(0.7, 1.8) * k, depth=u(1.0, 3.0) * k, ambient=u(0.12, 0.3))
        # Stone; `(uniform - 0.5) * 3.4` is a colour jitter of about unit standard deviation.
        if stone == "basalt":
            colour = np.array([0.26, 0.26, 0.28]) * u(0.7, 1.3) + 0.015 * (np.array([u(), u(), u()]) - 0.5) * 3.4
            plan.update(fine=u(0.04, 0.15) * k, coarse=u(0.2, 0.8) * k, pits=u(0.5, 1.5) * k,
                        pit_level=u(2.2, 3.0), albedo_fine=0.08, albedo_coarse=0.06, veins=0.0, specular=u(0.0, 0.25))
        else:
            colour = np.array([0.78, 0.72, 0.60]) * u(0.75, 1.15) + 0.025 * (np.array([u(), u(), u()]) - 0.5) * 3.4
            plan.update(fine=u(0.03, 0.12) * k, coarse=u(0.3, 1.5) * k, pits=0.0, pit_level=u(2.2, 3.0),
                        albedo_fine=0.05, albedo_coarse=0.10, veins=u(0.0, 0.12), specular=u(0.0, 0.05))
        plan["colour"] = colour
        # Damage.
        erosion = s * u(0.3, 1.6) * k
        plan.update(erosion=erosion if erosion > 0.2 else 0.0, shallower=1.0 - 0.5 * s * u(),
                    spall_floor=u(1.0, 3.0) * k, crack_depth=u(2.0, 5.0) * k, crust=u() * s,
                    crust_height=u(0.5, 1.5) * k, crust_colour=np.array([0.85, 0.8, 0.68]) * u(0.6, 1.1),
                    stains=s * u(0.1, 0.5))
        # Photograph.
        plan.update(exposure=u(0.35, 0.6), white_balance=1.0 + 0.05 * 3.4 * (np.array([u(), u(), u()]) - 0.5),
                    vignette=u(0.0, 0.35), focus=(u(0.3, 1.2) * k, u(0.3, 1.2) * k) if u() < 0.5 else (0.0, 0.0),
                    shot_noise=u(0.0, 0.04), read_noise=u(0.002, 0.02), gamma=2.2 * u(0.85, 1.15),
                    jpeg=int(u(30, 96)) if self.jpeg and u() < 0.7 else 0)
        # Variable numbers of spalls, chips and cracks, then the noise fields' choices.
        spalls = rng.random((rng.poisson(1.4 * s), 4))
        plan["spalls"] = [(float(a - 0.5) * size, float(b - 0.5) * size, float(0.08 + 0.14 * c) * size * (0.5 + s))
                          for a, b, c, _ in spalls]
        chips = rng.poisson(14 * s)
        plan["chips"] = (rng.integers(0, size, (2, chips)), rng.uniform(2.0, 6.0, chips) * k)
        plan["cracks"] = [self._crack_walk(rng) for _ in range(rng.poisson(1.2 * s))]
        plan["noise"] = rng.integers(0, [self._bank_size, 8, size, size], size=(len(NOISE_BETAS), 4))
        plan.update(self._neutral)  # the stages switched off by `ablate`, after every draw
        return plan

    def _crack_walk(self, rng):
        """The pixels (ys, xs) of one crack: a random walk of half-pixel steps with a wandering heading."""
        size = self.image_size
        steps = int(size * rng.uniform(0.6, 2.0) / 0.5)
        angle = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.12, steps))
        start = rng.uniform(0, size, 2)
        ys = start[0] + 0.5 * np.cumsum(np.sin(angle))
        xs = start[1] + 0.5 * np.cumsum(np.cos(angle))
        keep = (ys >= 0) & (ys < size) & (xs >= 0) & (xs < size)
        return ys[keep].astype(int), xs[keep].astype(int)

    def _noise_fields(self, choices):
        """Name → (N, S, S) fields of the bank, each example's shifted and turned as it drew (`choices`)."""
        size = self.image_size
        fields = {}
        for position, name in enumerate(NOISE_BETAS):
            views = []
            for bank, symmetry, dy, dx in choices[:, position]:
                # A cyclic shift of a periodic field is a window of the field tiled 2 × 2.
                field = self._tiled[position, bank, dy:dy + size, dx:dx + size]
                field = field.T if symmetry & 4 else field
                views.append(field[::-1 if symmetry & 2 else 1, ::-1 if symmetry & 1 else 1])
            fields[name] = np.stack(views)
        return fields

    def _identity_map(self):
        scale = GLYPH_BOX / (0.85 * self.image_size)
        centre = (GLYPH_CANVAS - 1) / 2.0
        return np.stack([self._y * scale + centre, self._x * scale + centre])

    def _glyph_map(self, column, noise):
        """Image grid → glyph canvas coordinates (N, 2, S, S), and image pixels per glyph pixel (N, 1, 1)."""
        size = self.image_size
        letter = size * (column("zoom") + 0.1) / (1.0 + 2.0 * column("padding"))  # glyph box side in pixels
        cos, sin = np.cos(column("angle")), np.sin(column("angle"))
        rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (N, 2, 2)
        # The affine map through the 3 moved points: [source, 1] @ solution = source + moves.
        source = np.array([[-0.4, -0.4], [0.4, -0.4], [0.0, 0.4]]) * size
        solution = np.linalg.solve(np.c_[source, np.ones(3)], source[None] + column("affine"))  # (N, 3, 2)
        matrix = np.swapaxes(solution[:, :2], 1, 2) @ rotation
        # Stroke jitter (always) plus the paper's elastic distortion (p = 0.6; alpha 0 without).
        sigma = np.repeat(column("elastic_sigma")[:, None], 2, axis=1)
        elastic = _blur(np.stack([noise["elastic_y"], noise["elastic_x"]], -1), sigma, wrap=True)
        alpha = column("elastic_alpha")[:, None, None]
        shift = column("shift")
        jitter = column("jitter")[:, None, None]
        py = self._y + jitter * noise["jitter_y"] + alpha * elastic[..., 0] - shift[:, 0, None, None]
        px = self._x + jitter * noise["jitter_x"] + alpha * elastic[..., 1] - shift[:, 1, None, None]
        inverse = np.linalg.inv(matrix).astype("float32")[:, :, :, None, None]
        glyph_per_pixel = (GLYPH_BOX / letter)[:, None, None].astype("float32")
        centre = (GLYPH_CANVAS - 1) / 2.0
        coords = np.stack([inverse[:, 0, 0] * py + inverse[:, 0, 1] * px,
                           inverse[:, 1, 0] * py + inverse[:, 1, 1] * px], 1) * glyph_per_pixel[:, None] + centre
        pixel_per_glyph = np.sqrt(np.abs(np.linalg.det(matrix)))[:, None, None] / glyph_per_pixel
        return coords.astype("float32"), pixel_per_glyph.astype("float32")

    def _sample_sdf(self, glyph, coords):
        """Bilinear samples (N, S, S) of the distance fields `glyph` (N,) at canvas `coords` (N, 2, S, S)."""
        side = GLYPH_CANVAS
        y, x = coords[:, 0], coords[:, 1]
        # Outside the canvas the nearest edge value underestimates the distance: kept positive below.
        outside = (y < 0) | (y > side - 1) | (x < 0) | (x > side - 1)
        y, x = np.clip(y, 0, side - 1), np.clip(x, 0, side - 1)
        y0, x0 = np.minimum(y.astype("int32"), side - 2), np.minimum(x.astype("int32"), side - 2)
        wy, wx = y - y0, x - x0
        corner = (np.asarray(glyph, "int32")[:, None, None] * side + y0) * side + x0  # flat index into the fields
        flat = self._sdf.reshape(-1)
        top = np.take(flat, corner) * (1 - wx) + np.take(flat, corner + 1) * wx
        bottom = np.take(flat, corner + side) * (1 - wx) + np.take(flat, corner + side + 1) * wx
        values = top * (1 - wy) + bottom * wy
        return np.where(outside, np.maximum(values, 4.0), values).astype("float32")

    def _stone(self, column, noise):
        """Height (N, S, S) px and albedo (N, S, S, 3) of procedural basalt or limestone."""
        c = {name: column(name)[:, None, None] for name in ("fine", "coarse", "pits", "pit_level", "albedo_fine",
                                                            "albedo_coarse", "veins")}
        height = c["fine"] * noise["fine"] + c["coarse"] * noise["coarse"]
        height = height - c["pits"] * np.clip(noise["pits"] - c["pit_level"], 0, None)  # basalt's vesicles
        variation = c["albedo_fine"] * noise["albedo_fine"] + c["albedo_coarse"] * noise["albedo_coarse"]
        variation = variation - c["veins"] * np.clip(0.15 - np.abs(noise["veins"]), 0, None) / 0.15  # limestone's
        albedo = np.clip(column("colour")[:, None, None, :] * (1.0 + variation[..., None]), 0.02, 1.0)
        return height.astype("float32"), albedo.astype("float32")

    def _damage(self, plans, column, noise, glyph_height, stone_height, albedo):
        """Erosion, spalling/missing fragments, chips, cracks, encrustation, weathering (each example's severity)."""
        size, k = self.image_size, self._scale
        n = len(plans)
        # Erosion: softer, shallower strokes.
        erosion = np.repeat(column("erosion")[:, None], 2, axis=1)
        glyph_height = _blur(glyph_height, erosion) * column("shallower")[:, None, None]
        # Spalling: flakes of the surface gone, letter included, with a rough floor.
        intact = np.ones((n, size, size), "float32")
        for i, plan in enumerate(plans):
            for cy, cx, radius in plan["spalls"]:
                inside = radius * (1 + 0.3 * noise["spall_edge"][i]) - np.hypot(self._y - cy, self._x - cx)
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

    @staticmethod
    def _light_vector(azimuth, elevation):
        """Unit vectors (x, y, z) towards the light, (..., 3), from azimuth and elevation in degrees."""
        a, e = np.deg2rad(azimuth), np.deg2rad(elevation)
        return np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], -1).astype("float32")

    def _shade(self, height, albedo, light, ambient, specular):
        """Lambert + Blinn-Phong shading of height maps (N, S, S) with cast shadows: (N, S, S, 3) in [0, 1].

        `light` (N, 3), `ambient` and `specular` (N,) are per example.
        """
        gy, gx = np.gradient(height, axis=(1, 2))
        norm = 1.0 / np.sqrt(1.0 + gx * gx + gy * gy)
        nx, ny, nz = -gx * norm, -gy * norm, norm
        lx, ly, lz = (light[:, i, None, None] for i in range(3))
        diffuse = np.clip(nx * lx + ny * ly + nz * lz, 0.0, None)
        lit = self._shadow(height, light)
        half = light + np.array([0, 0, 1], "float32")
        half /= np.linalg.norm(half, axis=1, keepdims=True)
        hx, hy, hz = (half[:, i, None, None] for i in range(3))
        shine = np.clip(nx * hx + ny * hy + nz * hz, 0.0, None)
        shine4 = np.square(np.square(shine))
        shine = np.square(np.square(shine4)) * shine4  # the 20th power, by products (faster than a power)
        ambient = np.asarray(ambient, "float32")[:, None, None]
        shading = ambient + (1.0 - ambient) * diffuse * lit / np.maximum(lz, 0.35)
        specular = np.asarray(specular, "float32")[:, None, None]
        return np.clip(albedo * shading[..., None] + (specular * shine * lit)[..., None], 0.0, 1.0).astype("float32")

    def _shadow(self, height, light):
        """1 where the light reaches the surface, 0 in cast shadow (soft by half a pixel): (N, S, S).

        A horizon test: marching towards the light, is any surface higher than the ray from here?
        """
        size = self.image_size
        lit = np.ones_like(height)
        for i, (field, (lx, ly, lz)) in enumerate(zip(height, light)):
            horizontal = np.hypot(lx, ly)
            if horizontal < 1e-3:
                continue
            tan_elevation = lz / horizontal
            ux, uy = lx / horizontal, ly / horizontal
            reach = int(min(np.ceil(np.ptp(field) / max(tan_elevation, 1e-3)), size // 3))
            if reach < 1:
                continue
            padded = np.pad(field, reach, mode="edge")
            horizon = np.full_like(field, -np.inf)
            for t in range(1, reach + 1):
                oy, ox = reach + int(round(t * uy)), reach + int(round(t * ux))
                np.maximum(horizon, padded[oy:oy + size, ox:ox + size] - t * tan_elevation, out=horizon)
            lit[i] = np.clip((field - horizon) * 2.0 + 0.5, 0.0, 1.0)
        return lit

    def _photograph(self, plans, column, noise, radiance):
        """Exposure, white balance, vignetting, focus blur, noise, gamma, JPEG → uint8 (N, S, S, 3)."""
        exposure = column("exposure") / (radiance.mean(axis=(1, 2, 3)) + 1e-4)
        image = radiance * (exposure[:, None] * column("white_balance"))[:, None, None, :]
        falloff = (self._x ** 2 + self._y ** 2) / (self.image_size / 2) ** 2
        image = image * (1.0 - column("vignette")[:, None, None] * falloff)[..., None]
        image = np.clip(_blur(image, column("focus")), 0, None)  # the paper's Gaussian blur; out of focus
        sensor = np.stack([noise["sensor_r"], noise["sensor_g"], noise["sensor_b"]], -1)
        shot, read = column("shot_noise")[:, None, None, None], column("read_noise")[:, None, None, None]
        image = image + np.sqrt(image * shot ** 2 + read ** 2) * sensor  # shot (∝ √signal) and read noise
        image = np.clip(image, 0, 1) ** (1.0 / column("gamma"))[:, None, None, None]
        images = (image * 255.0 + 0.5).astype(np.uint8)
        for i, plan in enumerate(plans):
            if plan["jpeg"]:
                from PIL import Image

                buffer = io.BytesIO()
                Image.fromarray(images[i]).save(buffer, format="JPEG", quality=plan["jpeg"])
                images[i] = np.asarray(Image.open(buffer).convert("RGB"))
        return images

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
            save_figure(figure, path, dpi=80)
        return figure


class _Columns:
    """The plans' entry `key` across the examples as one array (floats as float32): `column("depth")`."""

    def __init__(self, plans):
        self.plans = plans
        self.cache = {}

    def __call__(self, key):
        if key not in self.cache:
            values = np.asarray([plan[key] for plan in self.plans])
            self.cache[key] = values.astype("float32") if values.dtype.kind == "f" else values
        return self.cache[key]


def _blur(fields, sigma, wrap=False):
    """Gaussian blur of each field (N, S, S[, C]) with its own widths `sigma` (N, 2) in pixels, by FFT.

    The borders are mirrored (as `scipy.ndimage`'s "reflect") over a margin of at least 6 pixels per
    64, enough for the widths used here (at most 2 per 64), or wrapped around with `wrap=True`. Only
    the fields of nonzero width are transformed, each on its own, so a field's result does not
    depend on the others in the chunk.
    """
    sigma = np.asarray(sigma, "float32")
    chosen = np.flatnonzero(sigma.max(axis=1) > 0)
    if not len(chosen):
        return fields
    size = fields.shape[1]
    side = size if wrap else fft.next_fast_len(size + 2 * int(np.ceil(6 * size / 64)), real=True)
    before = (side - size) // 2
    # Channels first: the FFT runs over the two last, contiguous axes.
    part = np.moveaxis(fields[chosen], 3, 1) if fields.ndim == 4 else fields[chosen][:, None]
    if side > size:
        part = np.pad(part, ((0, 0), (0, 0), (before, side - size - before), (before, side - size - before)),
                      mode="symmetric")
    fy = np.fft.fftfreq(side).astype("float32")[None, :, None]
    fx = np.fft.rfftfreq(side).astype("float32")[None, None, :]
    sy, sx = sigma[chosen, 0, None, None], sigma[chosen, 1, None, None]
    transfer = np.exp(-2.0 * np.pi ** 2 * (sy ** 2 * fy ** 2 + sx ** 2 * fx ** 2)).astype("float32")[:, None]
    smooth = fft.irfft2(fft.rfft2(part) * transfer, s=(side, side))[..., before:before + size, before:before + size]
    out = fields.copy()
    out[chosen] = np.moveaxis(smooth, 1, 3) if fields.ndim == 4 else smooth[:, 0]
    return out


def _contrast(carved, glyph_height, stone_height, albedo):
    """The letter's legibility (N,): how much it stands out of the stone, after damage.

    The mean slope of the damaged letter's relief `glyph_height` along the edges of its intact
    strokes (where `carved`, the relief before damage, has slope), over the stone's clutter: the
    mean slope of its relief `stone_height` (texture, spalls, chips, cracks, crusts) plus the mean
    relative gradient of its brightness `albedo` (crusts, stains), over the whole image. Under a
    raking light a slope s shades a surface by about s, as a relative albedo change does. Below
    about 2 the letter is lost in the stone (README, Aramaic). Infinite for "No Letter".
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


def _quantiles(fields, q):
    """The q[i]-quantile of each field i (N, S, S), linearly interpolated (as `numpy.quantile`)."""
    values = np.sort(fields.reshape(len(fields), -1), axis=1)
    position = np.clip(np.asarray(q, "float64"), 0.0, 1.0) * (values.shape[1] - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, values.shape[1] - 1)
    rows = np.arange(len(fields))
    return values[rows, low] + (position - low) * (values[rows, high] - values[rows, low])
