"""DISGAN presets: small generators trained on the real MNI152 template, shipped in the package.

`disgan_mni_psnr` (the demo's): the PSNR-oriented generator (ESRGAN ships one beside its GAN
generator): 16 filters, 1 RRDB and a global residual (`build_generator(global_residual=True)`:
the network learns what to add to a cubic interpolation of its input), trained with L1 only on
32³ patches whose LR input is made by nearest, k-space truncation or blur + decimation at
random, seed 0, the template's top 32 brain slices held out (axial slices 124-155). Scored on
that slab and on Colin27 (Debian's mricron-data; a real single-subject T1 never trained on),
with and without skull, for nearest and k-space LR, beside tricubic.

`disgan_mni_psnr_mix4`: `disgan_mni_psnr` trained on (`init_preset`) with L1 for a further
time budget on LR made by all four degradations at random (nearest, 2×2×2 block average,
k-space truncation, blur of the LR voxel's FWHM): the block average, what a thick acquisition
gives, is new to it. The learning rate was chosen on the template's validation slab
(`python -m bench mri_disgan_recipe`), never on the test slab or Colin27. Scored on the slab and
on Colin27 for nearest and block-average LR, beside tricubic.

`disgan_mni_small`: the first preset (16 filters, 1 RRDB, no residual, nearest LR only, an L1
warm-up then GAN steps with the paper's losses, trained before the initialisation fix); kept
for comparison: it stays below tricubic on its slab.

`make presets` (scripts/make_presets.py NAME) trains a preset through the `mri.disgan` task
(its checkpoints in `~/.cache/resuite/preset_runs/`: the same command resumes a killed run); the
preset ships the generator and `DISGAN.from_preset` builds an untrained discriminator of the
shape its metadata records beside it. `resuite evaluate mri.disgan --preset NAME` with the
recipe's `evaluate` options repeats its stored score.

Example:
```python
from domains.mri.disgan import DISGAN
model = DISGAN.from_preset("disgan_mni_psnr")   # model.generator: LR (16³...) -> HR (x2)
model = DISGAN.from_preset()                    # DEFAULT_PRESET
```
"""

from core.presets import Recipe

# What `DISGAN.from_preset()` without a name and `resuite demo mri.disgan` use: the best on the
# template's validation slab (recipes are chosen there, never on the test slab or Colin27).
DEFAULT_PRESET = "disgan_mni_psnr_mix4"

RECIPES = {
    "disgan_mni_small": Recipe(
        task="mri.disgan",
        description="DISGAN generator (16 filters, 1 RRDB) trained on the MNI152 2009a template with its top 32 "
                    "brain slices held out: an L1 warm-up, then GAN steps with the paper's losses",
        options={"filters": 16, "num_rrdb": 1, "d_filters": 8, "patch_size": 32, "pretrain_epochs": 40,
                 "pretrain_steps_per_epoch": 60, "pretrain_learning_rate": 3e-4, "steps_per_epoch": 30,
                 "learning_rate": 1e-5, "pretrain_minutes": 35.0, "gan_minutes": 6.0, "noise_levels": [0.0]},
        epochs=10,
        # The held-out slab of the template (its top 32 brain slices), clean and noisy LR input.
        evaluate={"holdout_slices": 32, "noise_levels": [0.0, 0.05]},
    ),
    "disgan_mni_psnr": Recipe(
        task="mri.disgan",
        description="PSNR-oriented DISGAN generator (16 filters, 1 RRDB, global cubic residual) trained with L1 "
                    "only on the MNI152 2009a template (top 32 brain slices held out), LR made by nearest, "
                    "k-space truncation or blur + decimation at random",
        options={"filters": 16, "num_rrdb": 1, "d_filters": 8, "global_residual": True, "patch_size": 32,
                 "degradation": "mixed", "pretrain_epochs": 60, "pretrain_steps_per_epoch": 150,
                 "pretrain_learning_rate": 3e-4, "pretrain_minutes": 62.0, "noise_levels": [0.0]},
        epochs=0,
        # The held-out slab of the template and Colin27 (never trained on), nearest and k-space LR.
        evaluate={"holdout_slices": 32, "noise_levels": [0.0], "eval_degradations": ["nearest", "kspace"],
                  "test_samples": ["mri.colin27", "mri.colin27_brain"]},
    ),
    "disgan_mni_psnr_mix4": Recipe(
        task="mri.disgan",
        description="PSNR-oriented DISGAN generator (16 filters, 1 RRDB, global cubic residual): disgan_mni_psnr "
                    "trained on with L1 on the MNI152 2009a template (top 32 brain slices held out), LR made by "
                    "nearest, 2x2x2 block average, k-space truncation or blur + decimation at random",
        options={"filters": 16, "num_rrdb": 1, "d_filters": 8, "global_residual": True, "patch_size": 32,
                 "degradation": "mixed", "degradation_mix": ["nearest", "block", "kspace", "blur"],
                 "init_preset": "disgan_mni_psnr", "pretrain_epochs": 60, "pretrain_steps_per_epoch": 150,
                 "pretrain_learning_rate": 1e-4, "pretrain_minutes": 30.0, "noise_levels": [0.0]},
        epochs=0,
        # The held-out slab of the template and Colin27 (never trained on), nearest and block-average LR.
        evaluate={"holdout_slices": 32, "noise_levels": [0.0], "eval_degradations": ["nearest", "block"],
                  "test_samples": ["mri.colin27", "mri.colin27_brain"]},
    ),
}
