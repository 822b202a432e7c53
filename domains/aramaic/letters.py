"""The 22 Old Aramaic letters, the "No Letter" class, and fonts that draw them.

Class names are those of the Deep Aramaic repository (`alphabet/*.png`, one folder per letter;
docs/papers.md §6), in alphabetical order of the script, which is also the Unicode order of the
Imperial Aramaic block U+10840 (Aleph) … U+10855 (Taw). The last class, "No Letter", is a
stone surface without a letter (the Deep Aramaic app has it too).

A font is checked before use: it must be readable by FreeType/fontTools and map every one of
the 22 code points in its cmap; otherwise a `ValueError` names the file and the missing letters.
Each letter is then rendered once (Pillow, FreeType) and kept as a signed distance field (SDF),
which `domains.aramaic.synth` deforms, thickens or thins and carves into stone.

Example:
```python
from domains.aramaic.letters import CLASS_NAMES, load_glyphs
glyphs = load_glyphs()          # the Noto Sans Imperial Aramaic sample font
glyphs.sdf.shape                # (22, 128, 128): signed distance in pixels, negative inside
CLASS_NAMES[0], CLASS_NAMES[-1] # 'Alef', 'No Letter'
```
"""

import dataclasses
import pathlib

import numpy as np

LETTERS = ("Alef", "Bet", "Gimel", "Dalet", "He", "Waw", "Zayin", "Chet", "Tet", "Yod", "Kaf", "Lamed",
           "Mem", "Nun", "Samech", "Ayin", "Pe", "Tsadik", "Qof", "Resh", "Shin", "Tav")
NO_LETTER = "No Letter"
CLASS_NAMES = LETTERS + (NO_LETTER,)
NUM_CLASSES = len(CLASS_NAMES)
NO_LETTER_CLASS = NUM_CLASSES - 1
FIRST_CODEPOINT = 0x10840  # IMPERIAL ARAMAIC LETTER ALEPH; the 22 letters are consecutive
CODEPOINTS = tuple(range(FIRST_CODEPOINT, FIRST_CODEPOINT + len(LETTERS)))
DEFAULT_FONT_SAMPLE = "aramaic.noto_imperial_aramaic"

GLYPH_CANVAS = 128  # side of the SDF canvas, in pixels
GLYPH_BOX = 100     # the glyph's larger side is scaled to this many pixels, centred


def class_index(name):
    """The class index of a letter name, case and spacing ignored ("no_letter", "TSADIK" work).

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    key = _key(name)
    for index, known in enumerate(CLASS_NAMES):
        if _key(known) == key:
            return index
    raise ValueError(f"Unknown Aramaic letter name {name!r}. Expected one of: {', '.join(CLASS_NAMES)}. "
                     f"Received: {name!r}")


def _key(name):
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _entries(codepoints):
    """The 22 letters' code points as tuples (main form first, then its alternates)."""
    if len(codepoints) != len(LETTERS):
        raise ValueError(f"letters.py: codepoints must give the 22 letters Alef ... Tav. Received: {len(codepoints)} "
                         f"entries")
    return tuple(tuple(int(c) for c in entry) if isinstance(entry, (tuple, list)) else (int(entry),)
                 for entry in codepoints)


def check_font(path, codepoints=CODEPOINTS):
    """Check that `path` is a readable font whose cmap has all 22 letters; returns the resolved path.

    Args:
        path: str or Path of the font.
        codepoints: the 22 letters' code points, Alef ... Tav: each an int, or a tuple (main
            form, alternates such as final forms; every one must be in the cmap). Defaults to
            the Imperial Aramaic block (`CODEPOINTS`); `hands.script_codepoints` gives others.

    A file fontTools or FreeType cannot open, or one without a character map (a font header and
    no tables: what a corrupt file can look like), is "not a readable font".

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a font FreeType/fontTools can read, or letters missing from its cmap
            (named, with their code points).

    Example:
    ```python
    check_font(default_font())   # the path, when the sample font is fetched
    ```
    """
    from fontTools.ttLib import TTFont, TTLibError
    from PIL import ImageFont

    path = pathlib.Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such font file (expected a TrueType/OpenType font covering "
                                f"U+10840-U+10855)")

    def unreadable(why):
        return ValueError(f"{path}: not a readable font. Expected a TrueType or OpenType font covering "
                          f"U+10840-U+10855. Received: {why}")

    try:
        with TTFont(path, lazy=True) as font:
            cmap = font.getBestCmap() if "cmap" in font else None
            tables = sorted(font.keys())
    except (TTLibError, OSError, AssertionError, KeyError, ValueError, IndexError, EOFError) as error:
        raise unreadable(f"{type(error).__name__}: {error}") from None
    if not cmap:
        raise unreadable(f"no character map; tables {tables}")
    try:
        ImageFont.truetype(str(path), size=16)
    except OSError as error:
        raise unreadable(f"FreeType: {error}") from None
    missing = [f"{name} (U+{cp:05X})" for name, entry in zip(LETTERS, _entries(codepoints)) for cp in entry
               if cp not in cmap]
    if missing:
        first = _entries(codepoints)[0][0]
        raise ValueError(f"{path}: the font lacks {len(missing)} of the 22 Aramaic letters: {', '.join(missing)}. "
                         f"Use a font covering U+10840-U+10855 (e.g. Noto Sans Imperial Aramaic)"
                         + ("." if first == CODEPOINTS[0] else f", or the script from U+{first:05X} asked for."))
    return path


def default_font():
    """Path of the sample font, Noto Sans Imperial Aramaic (fetched with `resuite data fetch`)."""
    from core.data import samples

    return samples.path(DEFAULT_FONT_SAMPLE)


@dataclasses.dataclass(frozen=True)
class Glyphs:
    """The 22 letters of one font as signed distance fields.

    Attributes:
        font: pathlib.Path of the font.
        sdf: float32 `(G, GLYPH_CANVAS, GLYPH_CANVAS)`: distance to the glyph's outline in canvas
            pixels, negative inside the strokes; each glyph scaled so its larger side is
            `GLYPH_BOX` pixels, centred. The first 22 are the letters' main forms, Alef ... Tav;
            any others are alternates (final forms), G = 22 without them.
        masks: bool `(G, GLYPH_CANVAS, GLYPH_CANVAS)`: the rendered glyphs.
        classes: int `(G,)`: each glyph's class (0 ... 21).
        codepoints: int `(G,)`: each glyph's code point.
    """

    font: pathlib.Path
    sdf: np.ndarray
    masks: np.ndarray
    classes: np.ndarray = None
    codepoints: np.ndarray = None


_CACHE = {}


def load_glyphs(font=None, codepoints=CODEPOINTS):
    """The 22 letters of `font` (default: the sample font) as `Glyphs`; cached per resolved path and code points.

    Args:
        font: str or Path of a TrueType/OpenType font, or None for Noto Sans Imperial Aramaic.
        codepoints: the 22 letters' code points (`check_font`). Defaults to Imperial Aramaic's.

    Raises:
        FileNotFoundError, ValueError: see `check_font`.

    Example:
    ```python
    from domains.aramaic.hands import hand
    hebrew = hand("hebrew:NotoSansHebrew")
    glyphs = load_glyphs(hebrew.path, hebrew.codepoints)   # 27 glyphs: 22 letters + 5 final forms
    glyphs.classes[22:]                                    # [10 12 13 16 17]: Kaf, Mem, Nun, Pe, Tsadik
    ```
    """
    entries = _entries(codepoints)
    path = check_font(default_font() if font is None else font, entries).resolve()
    key = (path, entries)
    if key not in _CACHE:
        order = [(index, entry[0]) for index, entry in enumerate(entries)]
        order += [(index, cp) for index, entry in enumerate(entries) for cp in entry[1:]]
        masks = np.stack([_render_glyph(path, cp) for _, cp in order])
        _CACHE[key] = Glyphs(path, np.stack([_signed_distance(m) for m in masks]), masks,
                             np.array([index for index, _ in order]), np.array([cp for _, cp in order]))
    return _CACHE[key]


def _render_glyph(path, codepoint, oversample=4):
    """The glyph as a bool mask, its larger side `GLYPH_BOX` pixels, centred on the canvas."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(str(path), size=GLYPH_BOX * oversample)
    except OSError as error:
        raise ValueError(f"{path}: FreeType cannot read this font ({error})") from None
    text = chr(codepoint)
    left, top, right, bottom = font.getbbox(text)
    margin = GLYPH_BOX * oversample // 2
    big = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin), 0)
    ImageDraw.Draw(big).text((margin - left, margin - top), text, fill=255, font=font)
    ink = big.getbbox()  # the drawn pixels (the font's box also holds side bearings)
    if ink is None:
        raise ValueError(f"{path}: the glyph of U+{codepoint:05X} is empty")
    ink_width, ink_height = ink[2] - ink[0], ink[3] - ink[1]
    scale = GLYPH_BOX / max(ink_width, ink_height)
    width, height = max(1, round(ink_width * scale)), max(1, round(ink_height * scale))
    small = big.crop(ink).resize((width, height), Image.LANCZOS)
    canvas = np.zeros((GLYPH_CANVAS, GLYPH_CANVAS), np.uint8)
    y0, x0 = (GLYPH_CANVAS - height) // 2, (GLYPH_CANVAS - width) // 2
    canvas[y0:y0 + height, x0:x0 + width] = np.asarray(small)
    return canvas >= 128


def _signed_distance(mask):
    from scipy import ndimage

    outside = ndimage.distance_transform_edt(~mask)
    inside = ndimage.distance_transform_edt(mask)
    return (outside - inside + np.where(mask, 0.5, -0.5)).astype("float32")
