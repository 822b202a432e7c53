"""`resuite` CLI task `mri.disgan`: train, evaluate, predict (NIfTI → NIfTI) and a short demo.

    resuite train mri.disgan --output runs/disgan [--data HCP_ROOT] [--option key=value ...]
    resuite evaluate mri.disgan --model runs/disgan/best.keras
    resuite predict mri.disgan --model runs/disgan/generator.keras in.nii.gz [more.nii.gz ...]
    resuite predict mri.disgan --preset disgan_mni_small in.nii.gz
    resuite demo mri.disgan

Default data: the real MNI152 2009a template (`mri.mni152_1mm`), with its top 32 brain slices
held out for the test table (see `training.template_split`). `--data` trains on a folder of
volumes (HCP tree or flat) with whole volumes held out. `resuite train mri.disgan --help` lists
the options. With a warm-up, `train` reports the warm-up generator (before any GAN step)
beside the final DISGAN generator.
"""

import json
import math
import pathlib

import keras

from core.data import samples
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import set_seed
from domains.mri.disgan.discriminator import build_discriminator
from domains.mri.disgan.evaluation import print_tables, report, summary
from domains.mri.disgan.feature_extractor import build_feature_extractor
from domains.mri.disgan.generator import build_generator
from domains.mri.disgan.inference import sr_output_path, super_resolve_file
from domains.mri.disgan.training import folder_split, template_split, train_disgan

TEMPLATE = "mri.mni152_1mm"
WARM_UP_ROW = "DISGAN L1 warm-up only"
# `demo` trains this small configuration briefly, to show that training runs.
DEMO_OPTIONS = {
    "filters": 16, "num_rrdb": 1, "d_filters": 4, "fe_widths": [8, 16, 32, 64], "patch_size": 32,
    "pretrain_epochs": 1, "pretrain_steps_per_epoch": 10, "steps_per_epoch": 2, "batch_size": 4,
    "learning_rate": 1e-5,  # the GAN phase fine-tunes the warmed-up generator (see train_disgan)
    "noise_levels": [0.0],
}
SMOKE_DEMO_OPTIONS = {**DEMO_OPTIONS, "filters": 8, "pretrain_steps_per_epoch": 2, "steps_per_epoch": 1,
                      "batch_size": 2, "holdout_slices": 8}

OPTIONS = (
    # model
    Option("filters", int, 64, "generator width (the paper: 64)"),
    Option("num_rrdb", int, 3, "generator RRDB blocks (the paper: 3)"),
    Option("d_filters", int, 16, "discriminator width (the paper: 16)"),
    Option("d_levels", int, None, "discriminator levels (default: log2 of the patch size)"),
    Option("d_init", str, "paper", "discriminator initialiser", choices=("paper", "torch")),
    Option("fe_weights", str, None, "MedicalNet ResNet-10 weights (.weights.h5/.keras); random features otherwise"),
    Option("fe_widths", list, [64, 128, 256, 512], "feature-extractor stage widths"),
    # data
    Option("patch_size", int, 64, "HR training patch edge (voxels)"),
    Option("min_foreground", float, 0.2, "least brain fraction of a training patch"),
    Option("holdout_slices", int, 32, "axial slices of the template held out for the test table"),
    Option("pattern", str, None, "glob of the volumes under --data (default: HCP's T1w or every NIfTI)"),
    Option("degradation", str, "nearest", "how LR inputs are made", choices=("nearest", "kspace", "blur")),
    Option("train_noise", float, 0.0, "Rician σ on LR training inputs (z units)"),
    # schedule
    Option("batch_size", int, 4, "global batch size (or --batch-size)"),
    Option("steps_per_epoch", int, 100, "GAN steps per epoch (--epochs: GAN epochs, default 20)"),
    Option("learning_rate", float, 1e-4, "generator Adam rate in the GAN phase (the paper's)"),
    Option("discriminator_learning_rate", float, 1e-4, "discriminator Adam rate (the paper's)"),
    Option("pretrain_epochs", int, 0, "L1 warm-up epochs (the paper: none)"),
    Option("pretrain_steps_per_epoch", int, None, "warm-up steps per epoch (default: steps_per_epoch)"),
    Option("pretrain_learning_rate", float, 2e-4, "warm-up Adam rate (ESRGAN's)"),
    Option("pretrain_decay", bool, True, "cosine decay of the warm-up rate"),
    Option("pretrain_minutes", float, None, "wall-time budget of the warm-up"),
    Option("gan_minutes", float, None, "wall-time budget of the GAN phase"),
    # inference and evaluation
    Option("tile_size", int, 32, "LR tile edge of whole-volume inference"),
    Option("overlap", int, 8, "LR overlap of neighbouring tiles"),
    Option("blend", str, "cosine", "tile blending window", choices=("cosine", "linear")),
    Option("tile_batch", int, 1, "tiles per forward pass"),
    Option("noise_levels", list, [0.0, 0.05], "Rician σ of the evaluated LR inputs (fractions of p99)"),
    Option("compare_models", dict, {}, 'evaluate: more generators in the table, {"row name": path}'),
    Option("preset", str, None, "predict/evaluate with a shipped preset instead of --model (also: --preset NAME)"),
)


def load_generator(path):
    """The generator of a saved DISGAN `.keras`, or a saved generator `.keras` itself."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file (expected a DISGAN or generator .keras)")
    model = keras.saving.load_model(str(path), compile=False)
    return getattr(model, "generator", model)


def _tile_options(options):
    return {"tile_size": options["tile_size"], "overlap": options["overlap"], "blend": options["blend"],
            "batch_size": options["tile_batch"]}


def _report(generators, tests, config, title):
    options = config.options
    return report(generators, tests, config.output_dir, title, noise_levels=options["noise_levels"],
                  tile_options=_tile_options(options), seed=config.seed)


def _networks(options, patch_size):
    levels = options["d_levels"] or int(math.log2(patch_size))
    generator = build_generator(filters=options["filters"], num_rrdb=options["num_rrdb"])
    discriminator = build_discriminator(filters=options["d_filters"], num_levels=levels,
                                        kernel_initializer=options["d_init"])
    extractor = build_feature_extractor(options["fe_weights"], widths=tuple(options["fe_widths"]))
    return generator, discriminator, extractor


def _split(config, patch_size):
    options, seed = config.options, config.seed
    if config.data:
        return folder_split(config.data, patch_size, options["min_foreground"], seed=seed, pattern=options["pattern"])
    return template_split(samples.fetch(TEMPLATE, verbose=False), patch_size, options["holdout_slices"],
                          options["min_foreground"], seed=seed)


def _minutes(value):
    return None if value is None else 60 * value


@register_task
class DISGANTask(TaskRunner):
    """DISGAN ×2 super-resolution of 3-D MRI (NIfTI to NIfTI), on the MNI152 template by default."""

    name = "mri.disgan"
    description = "DISGAN: 3-D RRDB SR generator + wavelet UNet discriminator (x2, NIfTI in/out)"
    samples = (TEMPLATE,)
    saved_models = ("DISGAN", "disgan_generator")  # a whole DISGAN or its generator
    options = OPTIONS

    def train(self, config):
        trained, split = self.train_networks(config)
        generator = trained["model"].generator
        models = {"DISGAN": generator}
        warm_up = config.output_dir / "pretrain" / "best.keras"
        if config.options["pretrain_epochs"] and warm_up.exists():
            models[WARM_UP_ROW] = load_generator(warm_up)
        results = _report(models, split.test, config, self.name)
        if config.verbose:
            print_tables(results)
        return {"best_model": str(config.output_dir / "best.keras"),
                "generator": str(config.output_dir / "generator.keras"),
                "generator_parameters": int(generator.count_params()),
                **summary(results), "training": trained["summary"]}

    def train_networks(self, config):
        """Split the data and train (`train_disgan`) without the test report: `(trained, split)`."""
        set_seed(config.seed)
        options = config.options
        patch_size = options["patch_size"]
        split = _split(config, patch_size)
        with config.scope():
            generator, discriminator, extractor = _networks(options, patch_size)
            if config.model_path:
                generator.set_weights(load_generator(config.model_path).get_weights())
            trained = train_disgan(
                generator, discriminator, extractor, split, config.output_dir,
                epochs=config.epochs if config.epochs is not None else 20,
                steps_per_epoch=options["steps_per_epoch"],
                learning_rate=options["learning_rate"],
                discriminator_learning_rate=options["discriminator_learning_rate"],
                pretrain_epochs=options["pretrain_epochs"],
                pretrain_steps_per_epoch=options["pretrain_steps_per_epoch"],
                pretrain_learning_rate=options["pretrain_learning_rate"],
                pretrain_decay=options["pretrain_decay"],
                batch_size=config.batch_size or options["batch_size"],
                degradation=options["degradation"],
                noise_sigma=options["train_noise"],
                pretrain_seconds=_minutes(options["pretrain_minutes"]),
                gan_seconds=_minutes(options["gan_minutes"]),
                seed=config.seed, verbose=config.verbose,
            )
        return trained, split

    def _generator(self, config):
        from domains.mri.disgan.presets import load_preset_generator

        if config.options["preset"]:
            return load_preset_generator(config.options["preset"])
        if not config.model_path:
            raise ValueError("Give a model: --model PATH (a DISGAN or generator .keras) or --preset NAME")
        return load_generator(config.model_path)

    def _template_test(self, config):
        return template_split(samples.fetch(TEMPLATE, verbose=False), config.options["patch_size"],
                              config.options["holdout_slices"], seed=config.seed).test

    def evaluate(self, config):
        models = {"DISGAN": self._generator(config)}
        for row, path in config.options["compare_models"].items():
            models[row] = load_generator(path)
        if config.data:
            from domains.mri.disgan.data import find_volumes

            tests = [(str(p), None) for p in find_volumes(config.data, config.options["pattern"])]
        else:
            tests = self._template_test(config)
        results = _report(models, tests, config, self.name)
        if config.verbose:
            print_tables(results)
        return {"model": str(config.model_path or config.options["preset"]), **summary(results)}

    def predict(self, config, inputs):
        generator = self._generator(config)
        rows = []
        for path in inputs:
            out = sr_output_path(path, config.output_dir)
            rows.append(super_resolve_file(generator, path, out, **_tile_options(config.options)))
            if config.verbose:
                print(f"{path} {rows[-1]['input_shape']} -> {out} {rows[-1]['output_shape']} "
                      f"({rows[-1]['seconds']:.1f} s)", flush=True)
        (config.output_dir / "predictions.json").write_text(json.dumps(rows, indent=2))
        return {"volumes": len(rows), "outputs": ", ".join(r["output"] for r in rows),
                "predictions_json": str(config.output_dir / "predictions.json")}

    def demo(self, config):
        """The shipped preset on the held-out slab beside tricubic, then a brief training run."""
        from domains.mri.disgan.presets import DEFAULT_PRESET, load_preset_generator

        config.options = self.resolve_options(budget(DEMO_OPTIONS, smoke=SMOKE_DEMO_OPTIONS))
        config.epochs = config.epochs or 1
        trained, split = self.train_networks(config)  # its split also gives the held-out slab
        preset = load_preset_generator(DEFAULT_PRESET)
        tests = split.test
        if config.options["holdout_slices"] < 32:  # smoke: a small corner of the slab
            tests = [(path, (slice(74, 122), slice(90, 138), region[2])) for path, region in tests]
        scored = summary(report({"DISGAN": preset}, tests, config.output_dir / "preset", self.name,
                                noise_levels=(0.0,), tile_options=_tile_options(config.options), seed=config.seed))
        row = {"result": (f"preset {DEFAULT_PRESET}: PSNR {scored['sr_DISGAN_psnr']:.2f} dB on the "
                         f"held-out slab, {scored['sr_DISGAN_gain_over_tricubic_db']:+.2f} dB over tricubic"),
               "baseline": f"tricubic {scored['sr_tricubic_psnr']:.2f} dB"}
        gan = trained["summary"]["gan"]
        row["note"] = (f"also trained a tiny DISGAN for {config.options['pretrain_epochs']} warm-up + "
                       f"{gan.get('steps', 0)} GAN steps ({gan.get('patches_per_second', 0):.2f} patches/s) to show "
                       "training runs (not scored)")
        return row
