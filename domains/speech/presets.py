"""APNet presets: reduced-width 8 kHz generators trained on the real Asterisk recordings.

`apnet_asterisk_8k_spectral` is the one that speaks: the same 64-channel generator trained alone on
the paper's non-adversarial losses (`--option recipe=spectral`: amplitude, phase, spectrum and mel
terms with the paper's weights; Adam 2e-3, betas 0.8/0.99, constant, then a cosine decay over the
last 20 % of the steps; no discriminator), the recipe that `training.overfit_generator` showed to
lock the phase within minutes on this CPU. It ran in the background with a two-hour cap
(`minutes`: the run stops at the cap, wherever the schedule is) and became the preset with
`python scripts/make_presets.py apnet_asterisk_8k_spectral --from-run FOLDER`; its run's per-epoch
curve is kept beside it (`apnet_asterisk_8k_spectral_run.json`, `.png`), and its metadata's
`learning_curve` holds the scorings of four whole validation files and the CMU ARCTIC utterance
every 20 epochs (`--option score_every=20`: PESQ, STOI, F0 RMSE, V/UV, LSD, level).

`apnet_asterisk_8k_small` is the paper's GAN recipe on a short budget:

`make presets` (scripts/make_presets.py) trains it through the `speech.apnet` task (its
`make_preset`, which records the model's options, the training figures and the held-out files):
the Asterisk prompts (5 % of the files held out for validation, 5 % for the test, seed
0), a 64-channel APNet generator (the paper's structure at an eighth of its width, 1.46 M
parameters) against HiFi-GAN's discriminators at an eighth of their widths, for a budget of
300 steps (3 epochs of 100; the `minutes` option is only a safety cap far above need). The
preset ships the generator alone (5.9 MB in float32); `APNet.from_preset` rebuilds untrained
discriminators of the recorded shape, so the model can be fine-tuned. The held-out scores (12
test files and the CMU ARCTIC utterance, each beside Griffin-Lim) measured when it was trained
are in its `metadata.json` ("metrics"), and its "score" is `resuite evaluate speech.apnet --preset
apnet_asterisk_8k_small` on the same 12 test files (`RECIPES[...].evaluate`), which the template
test repeats.

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
RECIPES["apnet_asterisk_8k_small"].train_command("apnet_asterisk_8k_small")   # how it was trained
```
"""

from core.presets import Recipe

RECIPES = {
    "apnet_asterisk_8k_small": Recipe(
        "speech.apnet",
        "APNet vocoder, 8 kHz (n_fft 512, hop 40, window 160, 80 mels up to 4 kHz), generator at 64 channels "
        "(MRF kernels 3/7/11, dilations 1/3/5), trained on the real Asterisk recordings of one female voice",
        {"features": "8k", "channels": 64, "discriminator_scale": 0.125, "steps_per_epoch": 100, "test_files": 12,
         "minutes": 120.0},
        epochs=3, batch_size=16,
        # The 12 held-out Asterisk files of the training run's split (seed 0) beside Griffin-Lim:
        # the files its metadata "metrics" (test_*) came from.
        evaluate={"test_files": 12, "arctic": False},
    ),
    "apnet_asterisk_8k_spectral": Recipe(
        "speech.apnet",
        "APNet vocoder, 8 kHz, generator at 64 channels trained alone on the paper's non-adversarial losses "
        "(the spectral recipe: Adam 2e-3, constant then a cosine decay over the last 20 % of 36,000 steps) on the "
        "real Asterisk recordings of one female voice",
        {"features": "8k", "channels": 64, "discriminator_scale": 0.125, "steps_per_epoch": 100,
         "recipe": "spectral", "learning_rate": 2e-3, "test_files": 12, "minutes": 112.0, "score_every": 20},
        epochs=360, batch_size=16,
        evaluate={"test_files": 12, "arctic": False},
    ),
}
