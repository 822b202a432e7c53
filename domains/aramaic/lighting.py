"""Stage 2 of `AramaicSynth`, the carved relief under a raking light: shading and cast shadows.

The letter is a height map (incised or raised, `letter_form.stroke_profile` times a depth), added
to the stone's relief and lit by a raking light at a random azimuth and elevation: surface normals
from the height gradients (Lambert + a Blinn-Phong specular term on polished basalt, `shade`) and
cast shadows (a horizon test along the light's direction, `shadow`). Heights are in pixels.

Example:
```python
height = np.zeros((1, 48, 48), "float32")
height[0, :, 20:28] = -4.0                              # a groove 8 px wide, 4 deep
light = light_vector([0.0], [15.0])                     # from +x, 15 degrees above the stone
image = shade(height, np.full((1, 48, 48, 3), 0.5, "float32"), light, [0.1], [0.0])   # (1, 48, 48, 3)
```
"""

import numpy as np

RELIEFS = ("incised", "raised")


def light_vector(azimuth, elevation):
    """Unit vectors (x, y, z) towards the light, `(..., 3)` float32, from azimuth and elevation in degrees.

    Args:
        azimuth: degrees, array-like (0: from +x, 90: from +y).
        elevation: degrees above the surface, array-like of the same shape.

    Example:
    ```python
    light_vector([0.0], [90.0])   # [[0, 0, 1]] (up to rounding): straight above
    ```
    """
    a, e = np.deg2rad(azimuth), np.deg2rad(elevation)
    return np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], -1).astype("float32")


def shade(height, albedo, light, ambient, specular):
    """Lambert + Blinn-Phong shading of height maps `(N, S, S)` with cast shadows: `(N, S, S, 3)` in [0, 1].

    Args:
        height: float32 `(N, S, S)` heights in pixels.
        albedo: float32 `(N, S, S, 3)` surface colours in [0, 1].
        light: float32 `(N, 3)` unit vectors towards the light (`light_vector`).
        ambient: `(N,)` ambient fraction of the light.
        specular: `(N,)` strength of the specular highlight (polish).

    Example:
    ```python
    flat = shade(np.zeros((1, 32, 32), "float32"), np.full((1, 32, 32, 3), 0.5, "float32"),
                 light_vector([0.0], [45.0]), [0.2], [0.0])   # one uniform grey
    ```
    """
    gy, gx = np.gradient(height, axis=(1, 2))
    norm = 1.0 / np.sqrt(1.0 + gx * gx + gy * gy)
    nx, ny, nz = -gx * norm, -gy * norm, norm
    lx, ly, lz = (light[:, i, None, None] for i in range(3))
    diffuse = np.clip(nx * lx + ny * ly + nz * lz, 0.0, None)
    lit = shadow(height, light)
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


def shadow(height, light):
    """1 where the light reaches the surface, 0 in cast shadow (soft by half a pixel): `(N, S, S)`.

    A horizon test: marching towards the light (at most a third of the side), is any surface
    higher than the ray from here?

    Args:
        height: float32 `(N, S, S)` heights in pixels.
        light: float32 `(N, 3)` unit vectors towards the light (`light_vector`).

    Example:
    ```python
    height = np.zeros((1, 48, 48), "float32")
    height[0, :, 20:28] = -4.0
    shadow(height, light_vector([0.0], [15.0]))[0, :, 21:27].max()   # 0.0: the groove's floor is in shadow
    ```
    """
    size = height.shape[1]
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
