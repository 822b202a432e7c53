"""Stage 3 of `AramaicSynth`, the stone: procedural basalt or limestone, its relief and its colours.

Basalt is dark and fine-grained, with vesicles (pits) and some polish; limestone light, warm and
undulating, with veins. Both are 1/f^β fractal height and albedo fields (`noise.NOISE_BETAS`: fine,
coarse, pits, albedo_fine, albedo_coarse, veins) weighted by each example's drawn conditions, and
lit by the same light as the letter (`lighting.shade`). Heights are in pixels.

Example:
```python
from domains.aramaic.synth import AramaicSynth
synth = AramaicSynth(image_size=48, stones=("limestone",))
synth.example(22, stages=True).stages["stone"].shape   # (48, 48, 3): a blank limestone, lit
```
"""

import numpy as np

STONES = ("basalt", "limestone")


def stone_surface(column, noise):
    """Height `(N, S, S)` in pixels and albedo `(N, S, S, 3)` in [0.02, 1] of each example's stone, float32.

    Args:
        column: callable, key → the examples' drawn condition as one array: fine, coarse, pits,
            pit_level, albedo_fine, albedo_coarse, veins (weights of the fields) and colour `(N, 3)`.
        noise: dict name → `(N, S, S)` fields (`noise.noise_fields`).

    Example:
    ```python
    synth = AramaicSynth(image_size=32)   # from domains.aramaic.synth
    column = Columns(synth.conditions(2))
    height, albedo = stone_surface(column, noise_fields(synth._tiled, column("noise"), 32))
    ```
    """
    c = {name: column(name)[:, None, None] for name in ("fine", "coarse", "pits", "pit_level", "albedo_fine",
                                                        "albedo_coarse", "veins")}
    height = c["fine"] * noise["fine"] + c["coarse"] * noise["coarse"]
    height = height - c["pits"] * np.clip(noise["pits"] - c["pit_level"], 0, None)  # basalt's vesicles
    variation = c["albedo_fine"] * noise["albedo_fine"] + c["albedo_coarse"] * noise["albedo_coarse"]
    variation = variation - c["veins"] * np.clip(0.15 - np.abs(noise["veins"]), 0, None) / 0.15  # limestone's
    albedo = np.clip(column("colour")[:, None, None, :] * (1.0 + variation[..., None]), 0.02, 1.0)
    return height.astype("float32"), albedo.astype("float32")
