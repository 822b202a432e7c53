"""The renderer's noise: a bank of periodic 1/f^β fields, each example's shifted and turned views, FFT blurs.

The fractal fields of the stone, the damage and the letter's jitter (and the white noise of the
elastic map and of the sensor) are not synthesised per example: `AramaicSynth` keeps a bank of up
to `NOISE_BANK_SIZE` periodic fields per spectrum of `NOISE_BETAS`, made once by FFT from a fixed
seed (`noise_bank`), and each example takes one field per use, cyclically shifted and turned by
one of the 8 symmetries of the square (`noise_fields`), all drawn from its generator; a periodic
1/f^β field shifted or turned is another field of the same statistics. Blurs with per-example
widths are one FFT over the chunk (`blur`).

Example:
```python
bank = noise_bank(64, bank_size(64))                   # (19, 16, 64, 64) float32, unit std
tiled = np.tile(bank, (1, 1, 2, 2))
choices = np.zeros((2, len(NOISE_BETAS), 4), "int64")   # 2 examples: field 0, unturned, unshifted
fields = noise_fields(tiled, choices, 64)              # name -> (2, 64, 64)
smooth = blur(fields["stains"], np.array([[1.0, 1.0], [0.0, 0.0]]))   # the second left as it is
```
"""

import numpy as np
from scipy import fft

# The noise fields of one example and their spectral exponents β (1/f^β; 0 is white noise), each
# of zero mean and unit standard deviation.
NOISE_BETAS = {"stroke": 2.5, "jitter_y": 3.0, "jitter_x": 3.0, "fine": 1.7, "coarse": 3.3, "pits": 0.6,
               "albedo_fine": 1.3, "albedo_coarse": 3.1, "veins": 2.8, "spall_edge": 2.5, "spall_floor": 1.5,
               "crust": 3.0, "crust_height": 1.5, "stains": 3.0, "elastic_y": 0.0, "elastic_x": 0.0,
               "sensor_r": 0.0, "sensor_g": 0.0, "sensor_b": 0.0}
NOISE_BANK_SIZE = 16  # periodic fields kept per spectrum (each then shifted by up to S × S and turned 8 ways)
NOISE_BANK_PIXELS = NOISE_BANK_SIZE * 64 * 64  # larger images keep fewer fields (at least 4): 60 MB at 224 px
NOISE_BANK_SEED = 20240402  # the bank is part of the renderer, the same for every stream seed


def bank_size(image_size):
    """Fields kept per spectrum at `image_size`: `NOISE_BANK_SIZE` up to 64 px, fewer above (at least 4).

    Args:
        image_size: int. Side of the images.

    Example:
    ```python
    bank_size(64), bank_size(224)   # (16, 4)
    ```
    """
    return int(np.clip(NOISE_BANK_PIXELS // image_size ** 2, 4, NOISE_BANK_SIZE))


def noise_bank(image_size, size_of_bank):
    """Periodic fields for each entry of `NOISE_BETAS`: float32 `(fields, bank, S, S)`, each of unit std.

    The same for every stream (seeded by `NOISE_BANK_SEED` and the image size).

    Args:
        image_size: int. Side S of the fields.
        size_of_bank: int. Fields per spectrum (`bank_size(image_size)`).

    Example:
    ```python
    noise_bank(32, 4).shape   # (19, 4, 32, 32)
    ```
    """
    size = image_size
    radius = np.hypot(np.fft.fftfreq(size)[:, None], np.fft.rfftfreq(size)[None, :])
    radius[0, 0] = 1.0
    betas = np.array(list(NOISE_BETAS.values()))[:, None, None, None]
    spectrum = radius[None, None] ** (-betas / 2.0)
    spectrum[..., 0, 0] = 0.0
    rng = np.random.default_rng([NOISE_BANK_SEED, size])
    white = rng.standard_normal((len(NOISE_BETAS), size_of_bank, size, size))
    fields = fft.irfft2(fft.rfft2(white) * spectrum, s=(size, size))
    fields /= fields.std(axis=(2, 3), keepdims=True)
    return fields.astype("float32")


def noise_fields(tiled, choices, image_size):
    """Name → `(N, S, S)` fields of the bank, each example's shifted and turned as it drew.

    Args:
        tiled: the bank (`noise_bank`) tiled 2 × 2 over its last two axes: `(fields, bank, 2S, 2S)`.
        choices: int `(N, len(NOISE_BETAS), 4)`: per example and field, (bank index, symmetry 0-7,
            shift y, shift x), as `AramaicSynth` draws them.
        image_size: int. S.

    Example:
    ```python
    tiled = np.tile(noise_bank(32, 4), (1, 1, 2, 2))
    noise_fields(tiled, np.zeros((3, len(NOISE_BETAS), 4), "int64"), 32)["fine"].shape   # (3, 32, 32)
    ```
    """
    size = image_size
    fields = {}
    for position, name in enumerate(NOISE_BETAS):
        views = []
        for bank, symmetry, dy, dx in choices[:, position]:
            # A cyclic shift of a periodic field is a window of the field tiled 2 × 2.
            field = tiled[position, bank, dy:dy + size, dx:dx + size]
            field = field.T if symmetry & 4 else field
            views.append(field[::-1 if symmetry & 2 else 1, ::-1 if symmetry & 1 else 1])
        fields[name] = np.stack(views)
    return fields


def blur(fields, sigma, wrap=False):
    """Gaussian blur of each field `(N, S, S[, C])` with its own widths `sigma` `(N, 2)` in pixels, by FFT.

    The borders are mirrored (as `scipy.ndimage`'s "reflect") over a margin of at least 6 pixels per
    64, enough for the widths used here (at most 2 per 64), or wrapped around with `wrap=True`. Only
    the fields of nonzero width are transformed, each on its own, so a field's result does not
    depend on the others in the chunk.

    Args:
        fields: float array `(N, S, S)` or `(N, S, S, C)`.
        sigma: `(N, 2)` widths (y, x) in pixels; 0 leaves a field unchanged.
        wrap: bool. Periodic borders instead of mirrored ones. Defaults to False.

    Example:
    ```python
    fields = np.random.default_rng(0).random((2, 32, 32)).astype("float32")
    smooth = blur(fields, [[1.5, 1.5], [0.0, 0.0]])
    smooth[0].std() < fields[0].std(), np.array_equal(smooth[1], fields[1])   # (True, True)
    ```
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
