"""Stage 5 of `AramaicSynth`, the photograph: the lit stone as a camera records it.

Exposure (to a drawn mean brightness), white balance, vignetting, focus blur (the paper's
Gaussian blur), sensor noise (shot noise ∝ √signal and read noise), gamma and JPEG compression
(p = 0.7, quality 30–95), each drawn per example.

Example:
```python
from domains.aramaic.synth import AramaicSynth
neutral = AramaicSynth(image_size=48, ablate="photo")   # mean exposure 0.5, gamma 2.2, nothing else
neutral.example(0).image.dtype   # uint8
```
"""

import io

import numpy as np

from domains.aramaic.noise import blur


def photograph(plans, column, noise, radiance, y, x):
    """Exposure, white balance, vignetting, focus blur, noise, gamma, JPEG → uint8 `(N, S, S, 3)`.

    Args:
        plans: list of N dicts of drawn conditions; "jpeg" is the JPEG quality, 0 for none.
        column: callable, key → the examples' drawn condition as one array: exposure,
            white_balance `(N, 3)`, vignette, focus `(N, 2)`, shot_noise, read_noise, gamma.
        noise: dict name → `(N, S, S)` fields (`noise.noise_fields`): sensor_r, sensor_g, sensor_b.
        radiance: float32 `(N, S, S, 3)` the lit surface (`lighting.shade`).
        y, x: float32 `(S, S)` pixel coordinates about the image's centre.

    Example:
    ```python
    synth = AramaicSynth(image_size=32)   # from domains.aramaic.synth
    plans = synth.conditions(2)
    column = Columns(plans)
    noise = noise_fields(synth._tiled, column("noise"), 32)
    images = photograph(plans, column, noise, np.full((2, 32, 32, 3), 0.4, "float32"), synth._y, synth._x)
    ```
    """
    exposure = column("exposure") / (radiance.mean(axis=(1, 2, 3)) + 1e-4)
    image = radiance * (exposure[:, None] * column("white_balance"))[:, None, None, :]
    falloff = (x ** 2 + y ** 2) / (y.shape[0] / 2) ** 2
    image = image * (1.0 - column("vignette")[:, None, None] * falloff)[..., None]
    image = np.clip(blur(image, column("focus")), 0, None)  # the paper's Gaussian blur; out of focus
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
