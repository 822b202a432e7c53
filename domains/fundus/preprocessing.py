"""Fundus preprocessing in TensorFlow ops (usable in `tf.data`): read, find the field of view, crop,
Graham's normalisation exactly as TFDS's `btgraham-300`, resize, and the training augmentations.

The paper (docs/papers.md §3) says only "standard preprocessing strategy" and "empirically
calibrated data augmentation". The project's documented choice, `preprocess(image, size=512)`:

1. `crop_to_fov`: crop to the bounding box of the field of view (the bright disc on a dark
   background) and pad to a centred square, so that the disc is centred whatever the camera's
   framing (Graham's mask below assumes a centred disc);
2. `btgraham`: TFDS's `btgraham-300` (the 2015 Kaggle winner's processing, as
   `tensorflow_datasets/image_classification/diabetic_retinopathy_detection.py` applies it):
   rescale so that the radius measured on the middle row is 300 px, `4 img - 4 blur(sigma=300/30)
   + 128` saturated to [0, 255], grey (128) outside a disc of 0.9 r, cropped to that disc;
3. resize to `size` x `size` (512 by default) and scale to [0, 1].

Every step is a function of one `(H, W, 3)` image, in the graph. OpenCV is not needed: the
radius rule, cv2's Gaussian kernel size for 8-bit images (`round(6 sigma + 1) | 1`), its
reflect-101 border, bilinear resizing with half-pixel centres and uint8 saturation are
reproduced with TensorFlow ops (the disc mask is `(x - cx)^2 + (y - cy)^2 <= r^2`, where cv2
rasterises its circle; they differ on some edge pixels).

Example:
```python
from domains.fundus.preprocessing import preprocess, read_fundus
image = read_fundus("retina.jpg")                  # uint8 (1411, 1411, 3)
x = preprocess(image, size=512)                    # float32 (512, 512, 3) in [0, 1]
```
"""

import math
import pathlib

import numpy as np
import tensorflow as tf

from core.data.augment import random_brightness_contrast, random_flip, random_rotate_scale_2d, random_saturation_hue

DEFAULT_SIZE = 512
GRAHAM_RADIUS = 300  # btgraham-300
GRAHAM_BLUR_DIVISOR = 30  # sigma = radius / 30
GRAHAM_MASK_RATIO = 0.9
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
# The training augmentations (the paper gives none): flips, any rotation, +-10 % scale, mild colour jitter.
AUGMENTATION = {"max_degrees": 180.0, "scale": (0.9, 1.1), "brightness": 0.1, "contrast": (0.8, 1.2),
                "saturation": (0.8, 1.2), "hue": 0.02}


def read_fundus(path):
    """A colour fundus photograph as uint8 RGB `(H, W, 3)`, with clear errors for unusable files.

    JPEG, PNG, TIFF and BMP are read with Pillow. RGBA is accepted when fully opaque (the alpha
    channel is dropped).

    Raises:
        FileNotFoundError: no such file.
        ValueError: an unreadable or truncated image, a grayscale or palette image, or an RGBA
            image with transparent pixels, naming the file.
    """
    from PIL import Image, UnidentifiedImageError

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file (expected a colour fundus photograph)")
    try:
        with Image.open(path) as opened:
            opened.load()  # decodes everything: a truncated file fails here
            mode = opened.mode
            array = np.asarray(opened)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"{path}: not a readable image (expected a JPEG/PNG/TIFF colour fundus photograph): "
                         f"{error}") from None
    if mode == "RGBA":
        if array[..., 3].min() < 255:
            raise ValueError(f"{path}: an RGBA image with transparent pixels; expected an opaque colour "
                             "photograph. Received: mode RGBA")
        array = array[..., :3]
    elif mode != "RGB":
        raise ValueError(f"{path}: expected a colour (RGB) fundus photograph. Received: mode {mode}"
                         f"{' (grayscale)' if mode in ('L', 'I', 'I;16', 'F', '1') else ''}, shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.uint8)


def _channel_sum(image):
    return tf.reduce_sum(tf.cast(image, tf.float32), axis=-1)


def fov_mask(image):
    """The field of view: pixels whose channel sum exceeds a tenth of the image's mean channel sum.

    The same rule as TFDS's radius estimate, applied to every pixel.

    Args:
        image: `(H, W, 3)` (any numeric dtype).

    Returns:
        bool `(H, W)`.
    """
    total = _channel_sum(image)
    return total > tf.reduce_mean(total) / 10.0


def fov_box(image, min_fraction=0.01):
    """(top, left, height, width) of the field of view: rows and columns more than `min_fraction` inside it.

    The whole image when no row or column qualifies.
    """
    mask = tf.cast(fov_mask(image), tf.float32)
    shape = tf.shape(mask)

    def extent(profile, length):
        inside = tf.where(profile > min_fraction)[:, 0]
        found = tf.size(inside) > 0
        start = tf.cond(found, lambda: tf.cast(tf.reduce_min(inside), tf.int32), lambda: 0)
        stop = tf.cond(found, lambda: tf.cast(tf.reduce_max(inside), tf.int32) + 1, lambda: length)
        return start, stop - start

    top, height = extent(tf.reduce_mean(mask, axis=1), shape[0])
    left, width = extent(tf.reduce_mean(mask, axis=0), shape[1])
    return top, left, height, width


def crop_to_fov(image):
    """Crop to the field of view's bounding box and pad with black to a centred square.

    Args:
        image: `(H, W, 3)`.

    Returns:
        `(S, S, 3)` of the input dtype, S = the larger side of the box.
    """
    image = tf.convert_to_tensor(image)
    top, left, height, width = fov_box(image)
    crop = tf.image.crop_to_bounding_box(image, top, left, height, width)
    side = tf.maximum(height, width)
    return tf.image.pad_to_bounding_box(crop, (side - height) // 2, (side - width) // 2, side, side)


def fov_radius(image):
    """TFDS's radius of the eyeball: half the number of middle-row pixels brighter than a tenth of the row's mean.

    Falls back to half the height when the rule finds less than one pixel (a black or corrupted image).
    """
    total = _channel_sum(image)
    row = total[tf.shape(total)[0] // 2]
    radius = tf.reduce_sum(tf.cast(row > tf.reduce_mean(row) / 10.0, tf.float32)) / 2.0
    return tf.where(radius < 1.0, tf.cast(tf.shape(total)[0], tf.float32) / 2.0, radius)


def gaussian_blur(image, sigma):
    """cv2.GaussianBlur(image, (0, 0), sigma) of an 8-bit image, in float: kernel `round(6 sigma + 1) | 1`, reflect-101 border.

    Args:
        image: `(H, W, C)`.
        sigma: float (a Python number: it sets the kernel's size).

    Returns:
        float32 `(H, W, C)`.
    """
    size = int(math.floor(6.0 * sigma + 1.0 + 0.5)) | 1
    taps = np.exp(-0.5 * (np.arange(size) - size // 2) ** 2 / sigma ** 2)
    taps = tf.constant(taps / taps.sum(), tf.float32)
    x = tf.transpose(tf.cast(image, tf.float32), [2, 0, 1])  # (C, H, W)
    # Separable blur as two matrix products (much faster on CPU than a 1-channel convolution).
    rows = _blur_matrix(tf.shape(x)[1], taps)
    cols = _blur_matrix(tf.shape(x)[2], taps)
    x = tf.matmul(tf.matmul(rows, x), cols, transpose_b=True)
    return tf.transpose(x, [1, 2, 0])


def _blur_matrix(length, taps):
    """(length, length) matrix M with (M v)[i] = sum_k taps[k] v[reflect101(i + k - half)]."""
    size = taps.shape[0]
    i = tf.range(length)[:, tf.newaxis] + tf.range(size)[tf.newaxis, :] - size // 2
    period = tf.maximum(2 * length - 2, 1)
    i = tf.math.floormod(i, period)
    j = tf.where(i >= length, period - i, i)  # reflect-101: ... 2 1 | 0 1 2 ... n-1 | n-2 n-3 ...
    target = tf.broadcast_to(tf.range(length)[:, tf.newaxis], tf.shape(j))
    indices = tf.reshape(tf.stack([target, j], axis=-1), (-1, 2))
    updates = tf.reshape(tf.broadcast_to(taps[tf.newaxis], tf.shape(j)), (-1,))
    return tf.scatter_nd(indices, updates, tf.stack([length, length]))


def _to_uint8(x):
    return tf.cast(tf.clip_by_value(tf.round(x), 0.0, 255.0), tf.uint8)


def btgraham(image, radius=GRAHAM_RADIUS, crop_to_radius=True):
    """Graham's normalisation exactly as TFDS's `btgraham-300` (before its JPEG encoding).

    1. Scale the image by `radius / r` (`fov_radius`; bilinear, each side rounded) so that the
       eyeball's radius is `radius` pixels;
    2. `4 img - 4 blur + 128`, blur = Gaussian of sigma `radius / 30` (`gaussian_blur`), rounded
       and saturated to uint8 as `cv2.addWeighted` does;
    3. 128 outside the centred disc of radius `int(0.9 radius)`; with `crop_to_radius`, cropped to
       that disc's bounding box (a `2 int(0.9 radius)` square when the image is large enough).

    Args:
        image: uint8 (or 0-255) `(H, W, 3)` RGB.
        radius: int. Target radius in pixels. Defaults to 300.
        crop_to_radius: bool. Defaults to True (the TFDS config does).

    Returns:
        uint8 tensor.
    """
    image = tf.convert_to_tensor(image)
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = float(radius) / fov_radius(image)
    new_size = tf.cast(tf.round(shape * scale), tf.int32)
    scaled = _to_uint8(tf.image.resize(tf.cast(image, tf.float32), new_size, method="bilinear", antialias=False))
    blurred = _to_uint8(gaussian_blur(scaled, radius / GRAHAM_BLUR_DIVISOR))
    sharpened = _to_uint8(4.0 * tf.cast(scaled, tf.float32) - 4.0 * tf.cast(blurred, tf.float32) + 128.0)
    mask_radius = int(radius * GRAHAM_MASK_RATIO)
    height, width = new_size[0], new_size[1]
    ys = tf.cast(tf.range(height) - height // 2, tf.float32)[:, tf.newaxis]
    xs = tf.cast(tf.range(width) - width // 2, tf.float32)[tf.newaxis, :]
    inside = (ys ** 2 + xs ** 2 <= float(mask_radius) ** 2)[..., tf.newaxis]
    masked = tf.where(inside, sharpened, tf.constant(128, tf.uint8))
    if not crop_to_radius:
        return masked
    y0, x0 = tf.maximum(height // 2 - mask_radius, 0), tf.maximum(width // 2 - mask_radius, 0)
    y1, x1 = tf.minimum(height // 2 + mask_radius, height), tf.minimum(width // 2 + mask_radius, width)
    return masked[y0:y1, x0:x1]


def preprocess(image, size=DEFAULT_SIZE, graham=True, radius=GRAHAM_RADIUS):
    """The model's input from a photograph: FOV crop, Graham's normalisation, resize, [0, 1].

    Args:
        image: uint8 `(H, W, 3)` RGB (`read_fundus`).
        size: int. Side of the output. Defaults to 512.
        graham: bool. Apply `btgraham` after the FOV crop. Defaults to True.
        radius: int. Graham's radius (300: `btgraham-300`; smaller is faster for small inputs,
            e.g. `size // 2` for the quick synthetic runs). Defaults to 300.

    Returns:
        float32 `(size, size, 3)` in [0, 1].
    """
    x = crop_to_fov(image)
    if graham:
        x = btgraham(x, radius=radius)
    x = tf.image.resize(tf.cast(x, tf.float32), (size, size), method="bilinear", antialias=True)
    x = tf.clip_by_value(x / 255.0, 0.0, 1.0)
    return tf.ensure_shape(x, (size, size, 3))


def augment(image, seed, options=None):
    """The training augmentation of one preprocessed image in [0, 1]: flips, rotation + scale, colour jitter.

    Graham-normalised images are grey (0.5) outside the disc, so rotation fills with 0.5.

    Args:
        image: float `(S, S, 3)` in [0, 1] (`preprocess`).
        seed: shape-`(2,)` integer seed.
        options: dict or None: keys of `AUGMENTATION` to override.

    Returns:
        float32 `(S, S, 3)` in [0, 1].
    """
    options = {**AUGMENTATION, **(options or {})}
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 4)
    x = random_flip(image, seeds[0])
    x = random_rotate_scale_2d(x, seeds[1], max_degrees=options["max_degrees"], scale=options["scale"],
                               fill_value=0.5)
    x = random_brightness_contrast(x, seeds[2], brightness=options["brightness"], contrast=options["contrast"])
    return random_saturation_hue(x, seeds[3], saturation=options["saturation"], hue=options["hue"])


def input_geometry(image, size=DEFAULT_SIZE, radius=GRAHAM_RADIUS, graham=True):
    """Where `preprocess(image, size, radius=radius)` takes its pixels from: numbers mapping input <-> photograph.

    The same steps as `crop_to_fov`, `btgraham` and the final resize, as coordinates: the FOV box,
    the padding to a square, Graham's scaling, its disc and the crop to it.

    Args:
        image: uint8 `(H, W, 3)`.
        size: int. The model's input side. Defaults to 512.
        radius: int. Graham's radius. Defaults to 300.
        graham: bool. As `preprocess`. Defaults to True.

    Returns:
        dict: "top", "left" (the FOV box's corner in the photograph), "pad_y", "pad_x" (its offset
        in the square of side "side"), "scaled" (the square's side after Graham's scaling),
        "y0", "y1", "x0", "x1" (the crop of the scaled square the input shows), "disc" (Graham's
        disc radius, centred at scaled // 2; None without Graham) and "size".
    """
    top, left, height, width = (int(v) for v in fov_box(image))
    side = max(height, width)
    geometry = {"top": top, "left": left, "pad_y": (side - height) // 2, "pad_x": (side - width) // 2, "side": side,
                "size": int(size)}
    if not graham:
        return {**geometry, "scaled": side, "y0": 0, "y1": side, "x0": 0, "x1": side, "disc": None}
    square = crop_to_fov(image)
    scaled = int(round(side * float(radius) / float(fov_radius(square))))
    disc = int(radius * GRAHAM_MASK_RATIO)
    centre = scaled // 2
    return {**geometry, "scaled": scaled, "y0": max(centre - disc, 0), "y1": min(centre + disc, scaled),
            "x0": max(centre - disc, 0), "x1": min(centre + disc, scaled), "disc": disc}


def _input_to_photograph(geometry, rows, cols):
    """Photograph coordinates (float) of model-input pixel centres `rows`, `cols` (half-pixel-centre resizes)."""
    g = geometry
    scale = g["side"] / g["scaled"]
    y_scaled = g["y0"] + (rows + 0.5) * (g["y1"] - g["y0"]) / g["size"] - 0.5
    x_scaled = g["x0"] + (cols + 0.5) * (g["x1"] - g["x0"]) / g["size"] - 0.5
    y = (y_scaled + 0.5) * scale - 0.5 - g["pad_y"] + g["top"]
    x = (x_scaled + 0.5) * scale - 0.5 - g["pad_x"] + g["left"]
    return y, x, y_scaled, x_scaled


def input_fov_mask(image, size=DEFAULT_SIZE, radius=GRAHAM_RADIUS, graham=True):
    """The pixels of the model's input (`preprocess(image, size, radius=radius)`) that show the field of view.

    Inside Graham's disc and, traced back to the photograph, inside its FOV (`fov_mask`): not the
    grey outside the disc, not the black padding of a photograph that is not square, not its dark
    border.

    Args:
        image: uint8 `(H, W, 3)`, the photograph.
        size: int. Defaults to 512.
        radius: int. Defaults to 300.
        graham: bool. Defaults to True.

    Returns:
        bool `(size, size)`.

    Example:
    ```python
    mask = input_fov_mask(read_fundus("retina.jpg"), size=128, radius=64)   # True on the disc
    ```
    """
    geometry = input_geometry(image, size, radius, graham)
    rows, cols = np.mgrid[:size, :size].astype(np.float64)
    y, x, y_scaled, x_scaled = _input_to_photograph(geometry, rows, cols)
    fov = np.asarray(fov_mask(image))
    yi, xi = np.round(y).astype(int), np.round(x).astype(int)
    valid = (yi >= 0) & (yi < fov.shape[0]) & (xi >= 0) & (xi < fov.shape[1])
    inside = np.zeros((size, size), bool)
    inside[valid] = fov[yi[valid], xi[valid]]
    if geometry["disc"] is not None:
        centre = geometry["scaled"] // 2
        inside &= (np.round(y_scaled) - centre) ** 2 + (np.round(x_scaled) - centre) ** 2 <= geometry["disc"] ** 2
    return inside


def input_to_photograph(values, image, radius=GRAHAM_RADIUS, graham=True):
    """A map over the model's input (`(S, S)`, e.g. a Grad-CAM heat map) drawn onto the photograph: `(H, W)`.

    Bilinear; 0 where the photograph's pixel is not shown to the model or lies outside its FOV.

    Args:
        values: `(S, S)` float, over `preprocess(image, S, radius=radius)`.
        image: uint8 `(H, W, 3)`, the photograph.
        radius: int. Defaults to 300.
        graham: bool. Defaults to True.

    Returns:
        float32 `(H, W)`.
    """
    from scipy import ndimage

    values = np.asarray(values, np.float32)
    size = values.shape[0]
    g = input_geometry(image, size, radius, graham)
    height, width = np.shape(image)[:2]
    y, x = np.mgrid[:height, :width].astype(np.float64)
    # The inverse of `_input_to_photograph`.
    scale = g["scaled"] / g["side"]
    y_scaled = (y - g["top"] + g["pad_y"] + 0.5) * scale - 0.5
    x_scaled = (x - g["left"] + g["pad_x"] + 0.5) * scale - 0.5
    rows = (y_scaled - g["y0"] + 0.5) * size / (g["y1"] - g["y0"]) - 0.5
    cols = (x_scaled - g["x0"] + 0.5) * size / (g["x1"] - g["x0"]) - 0.5
    out = ndimage.map_coordinates(values, [rows, cols], order=1, mode="constant", cval=0.0)
    shown = (rows >= -0.5) & (rows <= size - 0.5) & (cols >= -0.5) & (cols <= size - 0.5)
    if g["disc"] is not None:
        centre = g["scaled"] // 2
        shown &= (y_scaled - centre) ** 2 + (x_scaled - centre) ** 2 <= g["disc"] ** 2
    return np.where(shown & np.asarray(fov_mask(image)), out, 0.0).astype(np.float32)
