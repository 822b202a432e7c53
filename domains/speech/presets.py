"""APNet presets: a reduced-width 8 kHz generator trained on the real Asterisk recordings.

`make presets` (scripts/make_presets.py) trains it with `make_presets()`: the `speech.apnet`
task on the Asterisk prompts (5 % of the files held out for validation, 5 % for the test, seed
0), a 64-channel APNet generator (the paper's structure at an eighth of its width, 1.46 M
parameters) against HiFi-GAN's discriminators at an eighth of their widths, for a budget of
300 steps (3 epochs of 100; the `minutes` option is only a safety cap far above need). The
preset ships the generator alone (5.9 MB in float32); `APNet.from_preset` rebuilds untrained
discriminators of the recorded shape, so the model can be fine-tuned. The held-out scores (12
test files and the CMU ARCTIC utterance, each beside Griffin-Lim) are in its `metadata.json`.

The recipe is the paper's, unchanged: AdamW 2e-4 (betas 0.8/0.99, ×0.999 per epoch), batch 16
of 0.5 s segments, discriminators updated first, adversarial from the first step, the loss
weights 45/100/20/2.25/45. Neither the paper nor the official code has a generator-only
warm-up, so none is used, and the learning rate is the paper's. What the budget buys is set by
the cost of a GAN step here: profiled at 16 × 4000 samples (load 3-5 on the shared 2-core
machine), a step took about 1.4 s, of which the discriminator update about 0.8 s and the
generator's forward and backward pass with all the non-adversarial losses about 0.2 s. 300 steps
is a short run: the preset shows the path (mel → amplitude and phase → waveform) on real speech,
not the paper's quality, and the phase losses have barely moved from their random-phase values.

Example:
```python
from domains.speech import APNet
model = APNet.from_preset("apnet_asterisk_8k_small")
```
"""

import json
import pathlib

import keras

from core import presets

PACKAGE = "domains.speech"
DEFAULT_PRESET = "apnet_asterisk_8k_small"
RECIPES = {
    DEFAULT_PRESET: (
        "APNet vocoder, 8 kHz (n_fft 512, hop 40, window 160, 80 mels up to 4 kHz), generator at 64 channels "
        "(MRF kernels 3/7/11, dilations 1/3/5), trained on the real Asterisk recordings of one female voice",
        {"features": "8k", "channels": 64, "discriminator_scale": 0.125, "batch_size": 16, "steps_per_epoch": 100,
         "test_files": 12, "minutes": 120.0},
        3,
    ),
}


def available_presets():
    """{name: metadata} of the shipped presets."""
    return presets.list_presets(PACKAGE)


def load_preset_generator(name=DEFAULT_PRESET):
    """The trained generator of a preset, and its metadata."""
    generator = presets.load_preset(PACKAGE, name, keras.Model)
    return generator, available_presets()[name]


def make_presets(names=None, seed=0, verbose=2):
    """Train and save the presets (the command behind `make presets`), returning their folders.

    Args:
        names: list of str or None (all of `RECIPES`).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 2.
    """
    from domains.speech.task import APNetTask

    def describe(results, config):
        generator = keras.saving.load_model(results["generator"], compile=False)
        metrics = {key: value for key, value in results.items() if key.startswith(("test_", "arctic_"))}
        options = {key: config.options[key] for key in ("features", "channels", "kernel_sizes",
                                                         "discriminator_scale", "periods", "msd_scales")}
        training = {key: results[key] for key in ("steps", "segments_per_second", "best_epoch", "best_val_mel",
                                                  "train_files")}
        split = json.loads(pathlib.Path(results["split_json"]).read_text())
        return generator, {"options": options, "training": training, "metrics": metrics,
                           "test_files": [pathlib.Path(p).name for p in split["test"]]}

    return presets.train_presets(APNetTask(), PACKAGE, RECIPES, describe, names, seed, verbose)
