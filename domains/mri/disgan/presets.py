"""DISGAN presets: a small generator trained on the real MNI152 template, shipped in the package.

`make presets` (scripts/make_presets.py) trains it with `make_presets()`: a small
configuration (16 filters, 1 RRDB, 32³ patches: the fastest to train on a CPU), an L1 warm-up then
GAN steps (each phase capped in minutes), seed 0, with the template's top 32 brain slices held out; the held-out scores are
stored in the preset's `metadata.json`.

Example:
```python
from domains.mri.disgan.presets import load_preset_generator
generator = load_preset_generator("disgan_mni_small")   # LR (16³...) -> HR (x2)
```
"""

from core import presets

PACKAGE = "domains.mri.disgan"
DEFAULT_PRESET = "disgan_mni_small"
# name: (description, task options, GAN epochs)
RECIPES = {
    DEFAULT_PRESET: (
        "DISGAN generator (16 filters, 1 RRDB) trained on the MNI152 2009a template with its top 32 "
        "brain slices held out: an L1 warm-up, then GAN steps with the paper's losses",
        {"filters": 16, "num_rrdb": 1, "d_filters": 8, "patch_size": 32, "pretrain_epochs": 40,
         "pretrain_steps_per_epoch": 60, "pretrain_learning_rate": 3e-4, "steps_per_epoch": 30,
         "learning_rate": 1e-5, "pretrain_minutes": 35.0, "gan_minutes": 6.0, "noise_levels": [0.0]},
        10,
    ),
}


def load_preset_generator(name=DEFAULT_PRESET):
    """The generator of a shipped DISGAN preset (`core.presets.list_presets("domains.mri.disgan")`).

    Args:
        name: str. Defaults to "disgan_mni_small".
    """
    return presets.load_preset(PACKAGE, name)


def make_presets(names=None, seed=0, verbose=1):
    """Train and save the presets (the command behind `make presets`), returning their metadata.

    Args:
        names: list of str or None (all of `RECIPES`).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
    """
    from domains.mri.disgan.evaluation import report, summary
    from domains.mri.disgan.task import DISGANTask

    made = {}
    for name in names or RECIPES:
        description, options, epochs = RECIPES[name]
        task = DISGANTask()
        with presets.preset_run(task, name, options, epochs, seed, verbose) as (config, command):
            trained, split = task.train_networks(config)
            generator = trained["model"].generator
            scores = summary(report({"DISGAN": generator}, split.test, config.output_dir, name,
                                    noise_levels=(0.0, 0.05), seed=seed))
        made[name] = presets.save_preset(generator, PACKAGE, name, {
            "description": description,
            "command": command,
            "seed": seed,
            "held_out": split.description["test_axial_slices"],
            # DISGAN.from_preset builds an untrained discriminator of this shape beside the generator.
            "discriminator": {"filters": options["d_filters"], "num_levels": options["patch_size"].bit_length() - 1},
            "metrics": scores,
            "training": trained["summary"],
        })
    return made
