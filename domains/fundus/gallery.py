"""Every real photograph the packages provide, for the gate: fundus photographs, their degraded copies, and others.

The real fundus photographs a package ships: scikit-image's `retina` (1411 px) and its HRF
microaneurysm crop, and the photographs shown in the figures of three example notebooks of the
`fundus-image-toolbox` wheel (cut out of the figures here: each panel is a photograph as the
notebook rendered it, 190-372 px, with its labels and markers). The photographs that are not
fundus photographs: ten of scikit-image's, and a person and a ruler shot through a fundus camera.

`PHOTOGRAPHS` lists them with what each is (`truth`: "fundus", "not fundus", or "white-out", a
fundus camera's overexposed frame) and its role: the gate's thresholds were set on the
**tuning** photographs; the **test** ones were only run through the finished gate
(`scripts/fundus_gate_table.py`). `variants` makes the degraded copies of a fundus photograph
(crops, resizes, blurs, over- and under-exposures), each with the verdict it must get.

Example:
```python
from domains.fundus.gallery import photographs, variants
for photo, image in photographs("test"):
    print(photo.name, photo.truth, image.shape)
```
"""

import base64
import dataclasses
import io
import json

import numpy as np
from scipy import ndimage

from core.data import samples


@dataclasses.dataclass(frozen=True)
class Photo:
    """One real photograph: where it is (a sample file, or a figure's panel of a notebook sample) and what it is.

    Attributes:
        name: short name.
        sample: the `core.data.samples` name holding it.
        figure: index of the PNG output in the notebook (None: the sample is the image file).
        panel: index of the photograph among the figure's panels (reading order).
        truth: "fundus", "not fundus" or "white-out".
        role: "tuning" or "test".
        note: what it shows; for a fundus photograph that is not gradeable as it is, why.
        expected: the verdicts that are right for it (`gate.VERDICTS`).
    """

    name: str
    sample: str
    figure: object
    panel: int
    truth: str
    role: str
    note: str
    expected: tuple = ("gradeable",)


_Q, _A, _V = "fundus.toolbox_quality", "fundus.toolbox_all", "fundus.toolbox_vessels"
_NOT = ("not a fundus photograph", "not a colour photograph")
PHOTOGRAPHS = (
    # Tuning: the thresholds were set on these.
    Photo("skimage retina", "fundus.retina", None, 0, "fundus", "tuning", "1411 px, a normal left eye"),
    Photo("HRF microaneurysm crop", "fundus.microaneurysms", None, 0, "fundus", "tuning",
          "102 px green-channel crop inside the FOV", ("too small", "not a colour photograph")),
    Photo("toolbox eye A", _A, 0, 0, "fundus", "tuning", "226 px render"),
    Photo("toolbox eye B", _A, 0, 1, "fundus", "tuning", "226 px render"),
    Photo("toolbox eye A, labelled", _A, 3, 0, "fundus", "tuning", "292 px render with a label box"),
    Photo("toolbox eye A, red-free", _A, 5, 0, "fundus", "tuning", "grayscale (red-free) render",
          ("not a colour photograph",)),
    Photo("toolbox eye B, axes", _A, 7, 2, "fundus", "tuning", "336 px render inside plot axes"),
    Photo("astronaut", "fundus.photo_astronaut", None, 0, "not fundus", "tuning", "portrait", _NOT),
    Photo("chelsea (orange cat)", "fundus.photo_chelsea", None, 0, "not fundus", "tuning", "orange fur", _NOT),
    Photo("coffee", "fundus.photo_coffee", None, 0, "not fundus", "tuning", "brown, orange-red", _NOT),
    Photo("camera", "fundus.photo_camera", None, 0, "not fundus", "tuning", "grayscale", _NOT),
    # Test: run through the finished gate only.
    Photo("toolbox quality 1", _Q, 2, 0, "fundus", "test", "245 px, a bright reflex"),
    Photo("toolbox quality 2", _Q, 2, 1, "fundus", "test", "245 px"),
    Photo("toolbox quality 3", _Q, 2, 2, "fundus", "test", "245 px, slightly hazy"),
    Photo("toolbox quality 4", _Q, 2, 3, "fundus", "test", "234 px, half in shadow (the toolbox: ungradeable)",
          ("gradeable", "ungradeable")),
    Photo("toolbox wide, no border", _Q, 2, 4, "fundus", "test", "253x190, cropped inside the FOV, yellow cast"),
    Photo("toolbox white-out", _Q, 2, 5, "white-out", "test", "a fundus camera's white frame",
          ("ungradeable", "not a fundus photograph")),
    Photo("toolbox person", _Q, 2, 6, "not fundus", "test", "a person, shot through a fundus camera", _NOT),
    Photo("toolbox ruler", _Q, 2, 7, "not fundus", "test", "a ruler, shot through a fundus camera", _NOT),
    Photo("toolbox fovea/disc", _Q, 0, 0, "fundus", "test", "372 px render inside axes, two markers"),
    Photo("toolbox gradeable, labelled", _Q, 1, 0, "fundus", "test", "292 px render with a label box"),
    Photo("toolbox vessels, no border", _V, 0, 0, "fundus", "test", "355x267 render inside axes, cropped inside the FOV"),
    Photo("rocket", "fundus.photo_rocket", None, 0, "not fundus", "test", "sky and a rocket", _NOT),
    Photo("hubble deep field", "fundus.photo_hubble", None, 0, "not fundus", "test", "dark sky, galaxies", _NOT),
    Photo("immunohistochemistry", "fundus.photo_ihc", None, 0, "not fundus", "test", "brown stain", _NOT),
    Photo("motorcycle", "fundus.photo_motorcycle", None, 0, "not fundus", "test", "a garage", _NOT),
    Photo("coins", "fundus.photo_coins", None, 0, "not fundus", "test", "grayscale", _NOT),
    Photo("moon", "fundus.photo_moon", None, 0, "not fundus", "test", "grayscale", _NOT),
)


def notebook_figures(path):
    """The PNG outputs of a Jupyter notebook, in order, as uint8 RGB arrays.

    Args:
        path: str or Path of an `.ipynb` file.
    """
    from PIL import Image

    figures = []
    for cell in json.loads(open(path, encoding="utf-8").read())["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            if data:
                data = "".join(data) if isinstance(data, list) else data
                figures.append(np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")))
    return figures


def figure_panels(figure, min_side=80):
    """The photographs in a rendered figure: its non-white regions at least `min_side` px each way.

    Each region is trimmed of outer rows and columns that are mostly white (between tick marks,
    around a label), so that a photograph with a black border keeps its border.

    Args:
        figure: uint8 `(H, W, 3)`.
        min_side: int. Defaults to 80.

    Returns:
        list of uint8 arrays, in reading order (top to bottom, then left to right).
    """
    labels, _ = ndimage.label(np.asarray(figure).min(axis=-1) < 250)
    boxes = [box for box in ndimage.find_objects(labels)
             if box[0].stop - box[0].start >= min_side and box[1].stop - box[1].start >= min_side]
    panels = []
    for rows, cols in sorted(boxes, key=lambda box: (box[0].start, box[1].start)):
        panel = figure[rows, cols]
        while min(panel.shape[:2]) > min_side:
            white = panel.min(axis=-1) >= 245
            for side, cut in ((white[0], (slice(1, None),)), (white[-1], (slice(None, -1),)),
                              (white[:, 0], (slice(None), slice(1, None))),
                              (white[:, -1], (slice(None), slice(None, -1)))):
                if side.mean() > 0.5:
                    panel = panel[cut]
                    break
            else:
                break
        panels.append(np.ascontiguousarray(panel))
    return panels


def load(photo):
    """The uint8 RGB array of one `Photo` (fetching its sample file)."""
    from PIL import Image

    path = samples.fetch(photo.sample, verbose=False)
    if photo.figure is None:
        return np.asarray(Image.open(path).convert("RGB"))
    return figure_panels(notebook_figures(path)[photo.figure])[photo.panel]


def photographs(role=None):
    """`(Photo, image)` for every photograph of `PHOTOGRAPHS` (of one role: "tuning" or "test")."""
    cache = {}
    for photo in PHOTOGRAPHS:
        if role is None or photo.role == role:
            key = (photo.sample, photo.figure)
            if photo.figure is not None and key not in cache:
                cache[key] = figure_panels(notebook_figures(samples.fetch(photo.sample, verbose=False))[photo.figure])
            yield photo, (load(photo) if photo.figure is None else cache[key][photo.panel])


def variants(image, model_size):
    """Degraded copies of a gradeable fundus photograph, each with the verdict (and reason) it must get.

    Args:
        image: uint8 `(H, W, 3)`, a fundus photograph the gate finds gradeable.
        model_size: int. The model's input side (a copy is shrunk below half of it).

    Returns:
        list of (name, image, verdict, reason start or None).
    """
    from PIL import Image, ImageFilter

    picture = Image.fromarray(image)
    height, width = image.shape[:2]
    side = min(height, width)
    sigma = 3.0 * side / min(side, model_size)  # 3 px at the size the gate measures focus
    tiny = max(2, int(0.3 * model_size * side / max(height, width)))
    # The central 60 % of the field of view: a photograph cropped inside it.
    top, left, crop = int(0.2 * height), int(0.2 * width), int(0.6 * side)
    # Enlarging a photograph smaller than the model's input adds blur at that size: "out of focus" is then true.
    enlarged = "out of focus" if side < model_size else None
    return [
        ("crop inside the FOV", image[top:top + crop, left:left + crop], "gradeable", None),
        ("halved", np.asarray(picture.resize((width // 2, height // 2), Image.LANCZOS)), "gradeable", None),
        ("enlarged x2", np.asarray(picture.resize((2 * width, 2 * height), Image.LANCZOS)), "gradeable", enlarged),
        ("JPEG quality 30", _jpeg(picture, 30), "gradeable", None),
        ("blurred (sigma 3 px at the model's size)", np.asarray(picture.filter(ImageFilter.GaussianBlur(sigma))),
         "ungradeable", "out of focus"),
        ("darkened x0.12", (image * 0.12).astype(np.uint8), "ungradeable", "too dark"),
        ("overexposed x2.6", np.clip(image.astype(np.float32) * 2.6, 0, 255).astype(np.uint8), "ungradeable",
         "overexposed"),
        (f"shrunk to {tiny} px", np.asarray(picture.resize((tiny, max(1, tiny * height // width)), Image.LANCZOS)),
         "too small", "too small"),
    ]


def is_right(verdict, expected, image, model_size, reason=None):
    """Whether the gate's verdict is true of an image: one of `expected` (with a reason starting with
    `reason`), or "too small" for an image whose shorter side is below half the model's input side.

    Args:
        verdict: `gate.Gradeability`.
        expected: str or tuple of str: the verdicts right for the image at any size.
        image: the uint8 image judged.
        model_size: int. The model's input side.
        reason: str or None. When given, one of the verdict's reasons must start with it (for a
            "gradeable" expectation: an alternative, e.g. "out of focus" for an enlargement).

    Returns:
        bool.
    """
    expected = (expected,) if isinstance(expected, str) else tuple(expected)
    small = min(np.shape(image)[:2]) < 0.5 * model_size
    if verdict.verdict == "too small":
        return small or "too small" in expected
    if small and "not a fundus photograph" not in expected and "not a colour photograph" not in expected:
        return False
    with_reason = reason is not None and any(r.startswith(reason) for r in verdict.reasons)
    if "gradeable" in expected and reason is not None:
        return verdict.verdict == "gradeable" or with_reason
    return verdict.verdict in expected and (reason is None or with_reason)


def _jpeg(picture, quality):
    from PIL import Image

    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))
