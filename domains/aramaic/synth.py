"""`AramaicSynth`: photo-realistic synthetic Old Aramaic letters carved in stone, deterministic by seed.

Deep Aramaic (Aioanei et al., PLoS ONE 2024, docs/papers.md §6) trains its classifier on synthetic
letters made from fonts, stone textures, lighting, damage and augmentations. `AramaicSynth` renders
such images procedurally in vectorised NumPy/SciPy on an `image_size × image_size` grid (no
hand-made textures, nothing downloaded), one stage per module:

1. **Letter form** (`letter_form`) — the font's glyph as a signed distance field
   (`letters.load_glyphs`), sampled through one geometric map that holds the paper's
   augmentations (rotation, zoom, white-border padding, a 3-point affine jitter, an elastic
   distortion) and a mild always-on stroke jitter; the stroke width varies along the strokes and
   is thinned or thickened (the paper's erode/dilate). A fragment of a neighbouring letter may
   enter at an edge.
2. **Carved relief** (`lighting`) — the letter becomes a height map (incised or raised, with
   rounded edges of random width and depth), lit by a raking light at a random azimuth and
   elevation: Lambert + specular shading and cast shadows.
3. **Stone** (`stone`) — procedural basalt or limestone as fractal height and albedo fields, lit by
   the same light.
4. **Damage** (`damage`, severity 0 … 1) — erosion, spalling and missing fragments, chips, cracks,
   encrustation and weathering stains. Then the letter's legibility (its relief's slope against
   the stone's clutter, `damage.legibility`) is measured; below `min_legibility` the letter is cut
   deeper and the stone's relief and colours flattened.
5. **Photograph** (`photograph`) — exposure, white balance, gamma, vignetting, focus blur (the
   paper's Gaussian blur), sensor noise and JPEG compression.

This module holds the stream: what every example draws (`AramaicSynth._plan`, in one fixed
order), the chunked rendering through the stages (`render_batch`), `tf.data` streaming, export
and preview.

Speed: training the small model consumes about 100 letters a second on this 2-core CPU,
so the renderer works on a chunk of examples at once (`render_batch`): every example first draws
its own conditions from its generator (`_plan`), then each stage runs as a few array operations
over the whole chunk, with per-example parameters broadcast (`Columns`). The fractal fields and
white noise come from a bank of periodic fields, shifted and turned per example (`noise`).

`ablate` switches stages off for ablation studies (`evaluation.stage_ablation`): their conditions
are still drawn, then replaced by neutral ones, so the other stages of each example are unchanged.

Every random number of example `index` comes from `core.data.generated.example_rng(seed, index)`,
so an example depends only on (seed, index, the synth's settings), not on the chunk it is made in:
the stream is reproducible and parallel (`AramaicSynth.dataset`). Parameters of the paper that are
given for its 256-pixel crops (±20 px, 0–50 px, elastic alpha/sigma) are scaled to `image_size`.

The class index of example `index` is `index % 23` (every class equally often; 22 = "No Letter",
the stone with at most a neighbour's fragment at the edge).

Example:
```python
synth = AramaicSynth(image_size=64, seed=0)
images, labels, params = synth.arrays(46)   # uint8 (46, 64, 64, 3), labels 0 ... 22 twice, (46, 5)
```
"""

import dataclasses
import pathlib

import numpy as np

from core.data.generated import example_rng, generated_batch_dataset
from core.evaluation import save_figure
from domains.aramaic.damage import DAMAGE_KINDS, MIN_LEGIBILITY, crack_walk, damage, legibility, raise_legibility
from domains.aramaic.letter_form import ELASTIC_RANGES, ELASTIC_STRENGTH, PAPER_SIZE, font_mask, stroke_profile
from domains.aramaic.hands import Hand, hand, is_hand_name
from domains.aramaic.letters import CLASS_NAMES, CODEPOINTS, GLYPH_BOX, LETTERS, NO_LETTER_CLASS, NUM_CLASSES, load_glyphs
from domains.aramaic.lighting import RELIEFS, light_vector, shade
from domains.aramaic.noise import NOISE_BETAS, bank_size, noise_bank, noise_fields
from domains.aramaic.photograph import photograph
from domains.aramaic.stone import STONES, stone_surface
from domains.aramaic.strokes import perturb, stroke_model

STAGES = ("font", "letter form", "relief, raking light", "stone", "damage", "photograph")
PARAM_NAMES = ("severity", "elevation", "azimuth", "stone", "legibility")
UNIFORM_DRAWS = 64  # scalar conditions per example, drawn at once (`_plan` uses at most 63)
# Stages that `ablate` can switch off (`AramaicSynth`), each with the kinds of damage on their own.
ABLATIONS = ("form", "strokes", "stone", "photo", "damage", *DAMAGE_KINDS)


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
        fonts: str, Path, `hands.Hand`, a hand's name ('phoenician:NotoSansPhoenician'), a list
            of them, or None. Fonts covering U+10840-U+10855, or hands (another script's letters
            mapped to the 22 classes, alternates such as final forms drawn at random), mixed at
            random per example. Defaults to None (the Noto Sans Imperial Aramaic sample).
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
        min_legibility: float >= 0. Least contrast of a letter against the stone (`damage.legibility`):
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
            `severity` stays as drawn; "strokes" draws every letter from its font's outline (no
            stroke variation). Defaults to () (the full pipeline).
        stroke_variation: float in [0, 1]. Chance that a letter is drawn from its font's strokes,
            each varied in angle, length, curvature, thickness and terminals (`strokes`), instead
            of the font's outline. Its draws come after every other one: 0 leaves the stream as it
            was. Defaults to 0.
        stroke_strength: float >= 0. Scales the stroke variation (`strokes.perturb`). Defaults to 1.

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
                 seed=0, ablate=(), stroke_variation=0.0, stroke_strength=1.0):
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
        if not font_list:
            raise ValueError(f"synth.py: fonts must name at least one font or hand, or be None. Received: fonts={fonts!r}")
        sources = [_font_source(font) for font in font_list]
        self.glyphs = [load_glyphs(path, codepoints) for _, path, codepoints in sources]  # checks each font
        self.font_names = [name for name, _, _ in sources]
        if not 0.0 <= float(stroke_variation) <= 1.0 or not float(stroke_strength) >= 0.0:
            raise ValueError(f"stroke_variation must be in [0, 1] and stroke_strength >= 0. Received: "
                             f"stroke_variation={stroke_variation}, stroke_strength={stroke_strength}")
        self.stroke_variation = float(stroke_variation)
        self.stroke_strength = float(stroke_strength)
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
        self._sdf = np.concatenate([glyphs.sdf for glyphs in self.glyphs])  # font f, letter l at offset[f] + l
        self._offsets = np.cumsum([0] + [len(glyphs.sdf) for glyphs in self.glyphs])[:-1]
        # font → letter → its alternates' glyph indices (final forms), after the main form at offset + letter
        self._alternates = [[[int(offset) + g for g in np.flatnonzero(glyphs.classes == letter) if g >= len(LETTERS)]
                             for letter in range(len(LETTERS))] for offset, glyphs in zip(self._offsets, self.glyphs)]
        self._strokes = None
        if self.stroke_variation > 0:
            self._strokes = [_stroke_model(glyphs, index) for glyphs in self.glyphs for index in range(len(glyphs.masks))]
            self._num_segments = max(model.num_segments for model in self._strokes)
        self._bank_size = bank_size(size)
        self._tiled = np.tile(noise_bank(size, self._bank_size), (1, 1, 2, 2))  # windows of it are the shifted fields
        self._neutral = self._neutral_conditions()

    def _neutral_conditions(self):
        """The plan entries that `ablate` overrides, with their neutral values (`_plan`'s keys)."""
        k = self._scale
        neutral = {
            "form": dict(zoom=0.75, padding=0.0, angle=0.0, shift=(0.0, 0.0), affine=np.zeros((3, 2)), elastic_alpha=0.0,
                         elastic_sigma=0.0, stroke=0.25 * k, neighbour=-1, jitter=0.0, stroke_jitter=0.0,
                         stroke_form=False),
            "strokes": dict(stroke_form=False),
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
        if "form" in kinds:
            kinds.add("strokes")
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
        1 limestone) and the letter's legibility (`damage.legibility`; inf for "No Letter", unless a fragment of a
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
        column = Columns(plans)
        size = self.image_size
        out = {} if stages else None
        noise = noise_fields(self._tiled, column("noise"), size)

        # 1. Letter form: one inverse map from the image grid to the glyph canvas.
        letter = np.array(labels) != NO_LETTER_CLASS
        strokes = None
        if self._strokes is not None:
            drawn = column("stroke_form").astype(bool)
            used = int(column("segment_count")[drawn].max()) if drawn.any() else 0  # the rest is padding
            strokes = (drawn, column("segments")[:, :used], column("segment_radii")[:, :used])
        profile = stroke_profile(column, noise, letter, self._sdf, self._y, self._x, strokes)
        if out is not None:
            out["font"] = font_mask(self._sdf, column("glyph"), letter, self._y, self._x)
            out["letter form"] = profile.astype("float32")

        # 2. Relief.
        glyph_height = (column("relief_sign") * column("depth"))[:, None, None] * profile
        light = light_vector(column("azimuth"), column("elevation"))
        ambient = column("ambient")
        if out is not None:
            grey = np.full((len(plans), size, size, 3), 0.6, "float32")
            out["relief, raking light"] = shade(glyph_height, grey, light, ambient, np.zeros(len(plans)))

        # 3. Stone.
        stone_height, albedo = stone_surface(column, noise)
        specular = column("specular")
        if out is not None:
            out["stone"] = shade(glyph_height + stone_height, albedo, light, ambient, specular)

        # 4. Damage.
        carved = glyph_height
        glyph_height, stone_height, albedo = damage(plans, column, noise, glyph_height, stone_height, albedo,
                                                    self._y, self._x)
        legible = legibility(carved, glyph_height, stone_height, albedo)
        if self.min_legibility > 0:  # too faint: cut the letter deeper, flatten the stone's relief and colours
            glyph_height, stone_height, albedo, legible = raise_legibility(glyph_height, stone_height, albedo, legible,
                                                                           self.min_legibility)
        lit = shade(glyph_height + stone_height, albedo, light, ambient, specular)
        if out is not None:
            out["damage"] = lit

        # 5. Photograph.
        images = photograph(plans, column, noise, lit, self._y, self._x)
        if out is not None:
            out["photograph"] = images.astype("float32") / 255.0
        public = [{**{key: plan[key] for key in ("label", "severity", "font", "stone", "relief", "azimuth", "elevation")},
                   "legibility": float(remaining)} for plan, remaining in zip(plans, legible)]
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
        plan = {"label": int(label), "severity": s, "font": self.font_names[font], "stone": stone,
                "relief": relief, "azimuth": u(0.0, 360.0), "elevation": u(*self.elevation),
                "glyph": int(self._offsets[font]) + min(label, len(LETTERS) - 1),
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
        plan["neighbour"] = int(self._offsets[font]) + other if has_neighbour else -1
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
        plan["cracks"] = [crack_walk(rng, size) for _ in range(rng.poisson(1.2 * s))]
        plan["noise"] = rng.integers(0, [self._bank_size, 8, size, size], size=(len(NOISE_BETAS), 4))
        # Draws added later come last, and only when used, so that the earlier streams stay as they were.
        alternates = self._alternates[font][min(label, len(LETTERS) - 1)] if label != NO_LETTER_CLASS else []
        if alternates:  # a final form now and then, as often as each other form
            choice = int(rng.integers(0, len(alternates) + 1))
            plan["glyph"] = plan["glyph"] if choice == 0 else alternates[choice - 1]
        if self._strokes is not None:
            plan["stroke_form"] = bool(rng.random() < self.stroke_variation)
            plan["segment_count"] = self._strokes[plan["glyph"]].num_segments
            plan["segments"], plan["segment_radii"] = perturb(self._strokes[plan["glyph"]], rng, self.stroke_strength,
                                                              self._num_segments)
        plan.update(self._neutral)  # the stages switched off by `ablate`, after every draw
        return plan

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


_STROKE_MODELS = {}


def _stroke_model(glyphs, index):
    """`strokes.stroke_model` of glyph `index` of `glyphs`, cached (tracing takes about 30 ms a glyph)."""
    key = (glyphs.font, int(glyphs.codepoints[index]) if glyphs.codepoints is not None else index)
    if key not in _STROKE_MODELS:
        _STROKE_MODELS[key] = stroke_model(glyphs.masks[index])
    return _STROKE_MODELS[key]


def _font_source(font):
    """(name, path, codepoints) of a font path, a `Hand`, a hand's name, or None (the sample font)."""
    if is_hand_name(font):
        font = hand(font)
    if isinstance(font, Hand):
        if font.path is None:
            raise FileNotFoundError(f"synth.py: the font of hand {font.name}, {font.font_file}, is not installed. "
                                    f"Expected it from the Debian package {font.package} (apt-get install {font.package}). "
                                    f"Received: fonts=[{font.name!r}]")
        return font.name, font.path, font.codepoints
    glyph_font = load_glyphs(font).font  # checks the file
    return glyph_font.name, glyph_font, CODEPOINTS


class Columns:
    """The plans' entry `key` across the examples as one array (floats as float32): `column("depth")`.

    What the stages (`letter_form`, `stone`, `damage`, `photograph`) read the drawn conditions of
    a chunk through; each key is gathered once.

    Args:
        plans: list of N dicts of drawn conditions (`AramaicSynth.conditions`).

    Example:
    ```python
    column = Columns(AramaicSynth(image_size=32).conditions(4))
    column("severity").shape, column("white_balance").shape   # (4,), (4, 3)
    ```
    """

    def __init__(self, plans):
        self.plans = plans
        self.cache = {}

    def __call__(self, key):
        if key not in self.cache:
            values = np.asarray([plan[key] for plan in self.plans])
            self.cache[key] = values.astype("float32") if values.dtype.kind == "f" else values
        return self.cache[key]
