"""`resuite` CLI task `mri.disgan`: train, evaluate, predict (NIfTI → NIfTI) and a short demo.

    resuite train mri.disgan --output runs/disgan [--data HCP_ROOT] [--option key=value ...]
    resuite evaluate mri.disgan --model runs/disgan/best.keras
    resuite evaluate mri.disgan --preset disgan_mni_psnr --option 'eval_degradations=["nearest","kspace"]'
    resuite predict mri.disgan --model runs/disgan/generator.keras in.nii.gz [more.nii.gz ...]
    resuite predict mri.disgan --preset disgan_mni_psnr in.nii.gz [--option output_dtype=float32]
    resuite demo mri.disgan

Default data: the real MNI152 2009a template (`mri.mni152_1mm`), with its top 32 brain slices
held out for the test table (see `training.template_split`). `--data` trains on a folder of
volumes (HCP tree or flat) with whole volumes held out. `resuite train mri.disgan --help` lists
the options. `evaluate` and `train` return `evaluation.report`: the model's PSNR / SSIM / NRMSE
per noise level beside tricubic, trilinear and nearest interpolation; with a warm-up, `train`
also scores the warm-up generator (before any GAN step): `warm_up_metrics`.
"""

import hashlib
import json
import math
import os
import pathlib

import keras

from core.data import samples
from core.model_files import load_model_file
from core.registry import Option, TaskRunner, register_task
from core.smoke import budget
from core.training import set_seed
from domains.mri.disgan.discriminator import build_discriminator
from domains.mri.disgan.data import DEGRADATIONS, TRAINING_DEGRADATIONS, find_volumes
from domains.mri.disgan.evaluation import report
from domains.mri.disgan.feature_extractor import build_feature_extractor
from domains.mri.disgan.generator import build_generator
from domains.mri.disgan.inference import read_for_super_resolution, sr_output_path, super_resolve_file
from domains.mri.disgan.model import DISGAN
from domains.mri.disgan.presets import DEFAULT_PRESET
from domains.mri.disgan.training import folder_split, template_split, template_test, train_disgan

TEMPLATE = "mri.mni152_1mm"
WARM_UP_ROW = "DISGAN L1 warm-up only"
DEMO_PRESET = DEFAULT_PRESET  # the PSNR-oriented generator: the best on the validation slab
# `demo` trains this small configuration briefly, to show that training runs.
DEMO_OPTIONS = {
    "filters": 16, "num_rrdb": 1, "d_filters": 4, "fe_widths": [8, 16, 32, 64], "patch_size": 32,
    "pretrain_epochs": 1, "pretrain_steps_per_epoch": 10, "steps_per_epoch": 1,
    "learning_rate": 1e-5,  # the GAN phase fine-tunes the warmed-up generator (see train_disgan)
    "noise_levels": [0.0],
}
SMOKE_DEMO_OPTIONS = {**DEMO_OPTIONS, "filters": 8, "pretrain_steps_per_epoch": 2, "steps_per_epoch": 1,
                      "holdout_slices": 8}
DEMO_BATCH_SIZE, SMOKE_DEMO_BATCH_SIZE = 2, 2

OPTIONS = (
    # model
    Option("filters", int, 64, "generator width (the paper: 64)"),
    Option("num_rrdb", int, 3, "generator RRDB blocks (the paper: 3)"),
    Option("d_filters", int, 16, "discriminator width (the paper: 16)"),
    Option("d_levels", int, None, "discriminator levels (default: log2 of the patch size)"),
    Option("d_init", str, "paper", "discriminator initialiser", choices=("paper", "torch")),
    Option("fe_weights", str, None, "MedicalNet ResNet-10 weights (.weights.h5/.keras); random features otherwise"),
    Option("fe_widths", list, [64, 128, 256, 512], "feature-extractor stage widths"),
    Option("init_preset", str, None, "start training from this shipped preset's generator (same shape)"),
    Option("global_residual", bool, False, "add a cubic interpolation of the input to the generator's output "
                                           "(not the paper's)"),
    # data
    Option("patch_size", int, 64, "HR training patch edge (voxels)"),
    Option("min_foreground", float, 0.2, "least brain fraction of a training patch"),
    Option("holdout_slices", int, 32, "axial slices of the template held out for the test table"),
    Option("pattern", str, None, "glob of the volumes under --data (default: HCP's T1w or every NIfTI)"),
    Option("degradation", str, "nearest", "how LR training inputs are made (mixed: one of degradation_mix per patch)",
           choices=TRAINING_DEGRADATIONS),
    Option("degradation_mix", list, [], f"with degradation=mixed, the ones drawn (default: all of {DEGRADATIONS})"),
    Option("train_noise", float, 0.0, "Rician σ on LR training inputs (z units)"),
    # schedule
    Option("steps_per_epoch", int, 100, "GAN steps per epoch (--epochs: GAN epochs)"),
    Option("learning_rate", float, 1e-4, "generator Adam rate in the GAN phase (the paper's)"),
    Option("discriminator_learning_rate", float, 1e-4, "discriminator Adam rate (the paper's)"),
    Option("pretrain_epochs", int, 0, "L1 warm-up epochs (the paper: none)"),
    Option("pretrain_steps_per_epoch", int, None, "warm-up steps per epoch (default: steps_per_epoch)"),
    Option("pretrain_learning_rate", float, 2e-4, "warm-up Adam rate (ESRGAN's)"),
    Option("pretrain_decay", bool, True, "cosine decay of the warm-up rate"),
    Option("pretrain_minutes", float, None, "wall-time budget of the warm-up (None: no limit)"),
    Option("gan_minutes", float, None, "wall-time budget of the GAN phase (None: no limit)"),
    # inference and evaluation
    Option("tile_size", int, 32, "LR tile edge of whole-volume inference"),
    Option("overlap", int, 8, "LR overlap of neighbouring tiles"),
    Option("blend", str, "cosine", "tile blending window", choices=("cosine", "linear")),
    Option("tile_batch", int, 1, "tiles per forward pass"),
    Option("noise_levels", list, [0.0, 0.05], "Rician σ of the evaluated LR inputs (fractions of p99)"),
    Option("eval_degradations", list, ["nearest"], f"how the evaluated LR inputs are made, some of {DEGRADATIONS}"),
    Option("test_samples", list, [], "registered real volumes also scored whole (never trained on), e.g. "
                                     '["mri.colin27", "mri.colin27_brain"]'),
    Option("mask_background", bool, True, "keep the input's exact background (e.g. 0 outside the head) in the output"),
    Option("output_dtype", str, "input", "dtype of the written volume", choices=("input", "float32")),
    Option("compare_models", dict, {}, 'evaluate: more models (DISGAN or generator files) scored alike, '
                                       '{"row name": path}'),
)


def _tile_options(options):
    return {"tile_size": options["tile_size"], "overlap": options["overlap"], "blend": options["blend"],
            "batch_size": options["tile_batch"]}


def _report(model, tests, config, output_dir, title):
    options = config.options
    return report(model, tests, output_dir, title, noise_levels=options["noise_levels"],
                  tile_options=_tile_options(options), seed=config.seed,
                  degradations=options["eval_degradations"], mask_background=options["mask_background"])


def _discriminator_shape(options, patch_size):
    return {"filters": options["d_filters"], "num_levels": options["d_levels"] or int(math.log2(patch_size)),
            "kernel_initializer": options["d_init"]}


def _networks(options, patch_size, seed=None):
    generator = build_generator(filters=options["filters"], num_rrdb=options["num_rrdb"],
                                global_residual=options["global_residual"], seed=seed)
    discriminator = build_discriminator(**_discriminator_shape(options, patch_size),
                                        seed=None if seed is None else seed + 1)
    extractor = build_feature_extractor(options["fe_weights"], widths=tuple(options["fe_widths"]))
    return generator, discriminator, extractor


def _split(config, patch_size):
    options, seed = config.options, config.seed
    if config.data:
        return folder_split(config.data, patch_size, options["min_foreground"], seed=seed, pattern=options["pattern"])
    return template_split(samples.fetch(TEMPLATE, verbose=False), patch_size, options["holdout_slices"],
                          options["min_foreground"], seed=seed)


def preset_run_folder(config):
    """A preset's training folder that outlives the run: `make_presets.py NAME` again resumes it.

    `core.presets.make_preset` trains in a throw-away folder; a DISGAN preset trains for an hour
    or more, so its checkpoints go to `$RESUITE_PRESET_RUNS` (default
    `~/.cache/resuite/preset_runs`) under a name made from the seed and options: the same
    recipe finds its backups again after a kill (`train_disgan` resumes from them).

    Args:
        config: RunConfig of the recipe's run.

    Example:
    ```python
    # example: not run (needs a RunConfig)
    preset_run_folder(config)   # ~/.cache/resuite/preset_runs/mri.disgan-seed0-3f2a9c1d
    ```
    """
    root = pathlib.Path(os.environ.get("RESUITE_PRESET_RUNS", pathlib.Path.home() / ".cache" / "resuite" / "preset_runs"))
    key = json.dumps({"options": config.options, "epochs": config.epochs, "batch_size": config.batch_size},
                     sort_keys=True, default=str)
    return root / f"mri.disgan-seed{config.seed}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _minutes(value):
    return None if value is None else 60 * value


def _slug(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


@register_task
class DISGANTask(TaskRunner):
    """DISGAN ×2 super-resolution of 3-D MRI (NIfTI to NIfTI), on the MNI152 template by default.

    `--model` takes a saved DISGAN (`best.keras` of a run) or a generator alone
    (`generator.keras`, or the L1 warm-up's `pretrain/best.keras`); `--preset` a shipped one.
    `train` starts from the generator of either when given.

    Example:
    ```python
    import pathlib
    from core.registry import RunConfig, get_task
    task = get_task("mri.disgan")
    result = task.evaluate(RunConfig(output_dir=pathlib.Path("runs/eval"), preset="disgan_mni_small"))
    result["metrics"]["psnr_noise0"], result["baselines"]["tricubic"]["psnr_noise0"]
    ```
    """

    name = "mri.disgan"
    description = "DISGAN: 3-D RRDB SR generator + wavelet UNet discriminator (x2, NIfTI in/out)"
    samples = (TEMPLATE, "mri.colin27", "mri.colin27_brain")  # trained on the template, tested on Colin27 too
    model_class = DISGAN
    epochs = 20  # GAN epochs (the paper's)
    batch_size = 4  # the paper's
    inputs = ("data", "model", "preset")
    saved_models = ("DISGAN", "disgan_generator")  # a whole DISGAN or its generator
    cpu_kernels = "onednn"  # 1.36x Eigen's speed on AVX2 (issue #29), 2.5x on AVX-512 (bench/results/engines.json)
    options = OPTIONS

    def load_model(self, config):
        """`--preset NAME` (a DISGAN) or `--model PATH`: a saved DISGAN or a generator alone.

        Args:
            config: RunConfig with `preset` or `model_path`.

        Returns:
            a `DISGAN` or a generator `keras.Model`: what `evaluation.report` and inference take.

        Raises:
            ValueError: neither given (listing the presets), or a file that is not a Keras model.
            FileNotFoundError: no such file.

        Example:
        ```python
        # example: not run (needs a trained generator)
        import pathlib
        from core.registry import RunConfig
        generator = DISGANTask().load_model(RunConfig(output_dir=pathlib.Path("runs"),
                                                      model_path="runs/disgan/generator.keras"))
        ```
        """
        if config.model_path and not config.preset:
            return load_model_file(config.model_path, keras.Model, hint=": a DISGAN or its generator")
        return super().load_model(config)

    def train(self, config):
        trained, split = self.train_networks(config)
        model = trained["model"]
        results = _report(model, split.test, config, config.output_dir, f"{self.name}: trained DISGAN")
        warm_up = config.output_dir / "pretrain" / "best.keras"
        extra = {}
        if config.options["pretrain_epochs"] and warm_up.exists():
            before_gan = _report(load_model_file(warm_up, keras.Model), split.test, config,
                                 config.output_dir / "warm_up", f"{self.name}: {WARM_UP_ROW}")
            extra["warm_up_metrics"] = before_gan["metrics"]
        return {**results, "best_model": str(config.output_dir / "best.keras"),
                "generator": str(config.output_dir / "generator.keras"),
                "generator_parameters": int(model.generator.count_params()), **extra,
                "training": trained["summary"]}

    def make_preset(self, config):
        """Train the preset's DISGAN; record the held-out slab, the discriminator's shape and the training summary.

        `DISGAN.from_preset` rebuilds an untrained discriminator of the recorded shape beside the
        shipped generator.

        Args:
            config: RunConfig of the recipe's run (`core.presets.make_preset` makes it).

        Returns:
            (DISGAN, metadata dict).

        Example:
        ```python
        # example: not run (about 43 minutes of training)
        from core.presets import make_preset
        from domains.mri.disgan.presets import RECIPES
        make_preset("disgan_mni_small", RECIPES["disgan_mni_small"], DISGANTask())   # calls make_preset(config)
        ```
        """
        config.output_dir = preset_run_folder(config)
        trained, split = self.train_networks(config)
        options = config.options
        shape = _discriminator_shape(options, options["patch_size"])
        shape.pop("kernel_initializer")  # weights are untrained when rebuilt: the initialiser only
        metadata = {"held_out": split.description.get("test_axial_slices"), "discriminator": shape,
                    "training": trained["summary"]}
        return trained["model"], metadata

    def train_networks(self, config):
        """Split the data and train (`train_disgan`) without the test report: `(trained, split)`.

        Args:
            config: RunConfig with its options resolved (`epochs`, `batch_size` filled in).

        Returns:
            (dict of `train_disgan`, DataSplit).

        Example:
        ```python
        # example: not run (minutes of training)
        import pathlib
        from core.registry import RunConfig
        config = RunConfig(output_dir=pathlib.Path("runs/tiny"), epochs=1, batch_size=2,
                           options=DISGANTask.resolve_options({"filters": 8, "num_rrdb": 1, "patch_size": 32}))
        trained, split = DISGANTask().train_networks(config)
        trained["model"].generator, split.test
        ```
        """
        set_seed(config.seed)
        options = config.options
        patch_size = options["patch_size"]
        split = _split(config, patch_size)
        with config.scope():
            generator, discriminator, extractor = _networks(options, patch_size, config.seed)
            if config.model_path or config.preset:
                start = self.load_model(config)
                generator.set_weights(getattr(start, "generator", start).get_weights())
            elif options["init_preset"]:
                generator.set_weights(DISGAN.from_preset(options["init_preset"]).generator.get_weights())
            trained = train_disgan(
                generator, discriminator, extractor, split, config.output_dir,
                epochs=config.epochs,
                steps_per_epoch=options["steps_per_epoch"],
                learning_rate=options["learning_rate"],
                discriminator_learning_rate=options["discriminator_learning_rate"],
                pretrain_epochs=options["pretrain_epochs"],
                pretrain_steps_per_epoch=options["pretrain_steps_per_epoch"],
                pretrain_learning_rate=options["pretrain_learning_rate"],
                pretrain_decay=options["pretrain_decay"],
                batch_size=config.batch_size,
                degradation=options["degradation"],
                degradation_mix=options["degradation_mix"] or None,
                noise_sigma=options["train_noise"],
                pretrain_seconds=_minutes(options["pretrain_minutes"]),
                gan_seconds=_minutes(options["gan_minutes"]),
                seed=config.seed, verbose=config.verbose,
            )
        return trained, split

    def _tests(self, config):
        if config.data:
            tests = [(str(path), None) for path in find_volumes(config.data, config.options["pattern"])]
        else:
            tests = template_test(samples.fetch(TEMPLATE, verbose=False), config.options["holdout_slices"])
        # Whole volumes of another source, labelled so that their scores are reported on their own.
        return tests + [(str(samples.fetch(name, verbose=False)), None, name.rpartition(".")[2])
                        for name in config.options["test_samples"]]

    def evaluate(self, config):
        model = self.load_model(config)
        tests = self._tests(config)
        title = f"{self.name}: {config.preset or config.model_path}"
        results = _report(model, tests, config, config.output_dir, title)
        compared = {}
        for row, path in config.options["compare_models"].items():
            other = load_model_file(path, keras.Model)
            compared[row] = _report(other, tests, config, config.output_dir / _slug(row), f"{self.name}: {row}")["metrics"]
        if compared:
            results["compared"] = compared
        return {**results, "model": str(config.preset or config.model_path)}

    def predict(self, config, inputs):
        model = self.load_model(config)
        generator = getattr(model, "generator", model)
        tiles = _tile_options(config.options)
        for path in inputs:  # read (and check) every volume before writing anything; read again below
            read_for_super_resolution(path, tiles["tile_size"])
        rows = []
        for path in inputs:
            out = sr_output_path(path, config.output_dir)
            rows.append(super_resolve_file(generator, path, out, output_dtype=config.options["output_dtype"],
                                           mask_background=config.options["mask_background"], **tiles))
            if config.verbose:
                print(f"{path} {rows[-1]['input_shape']} -> {out} {rows[-1]['output_shape']} "
                      f"({rows[-1]['seconds']:.1f} s)", flush=True)
        (config.output_dir / "predictions.json").write_text(json.dumps(rows, indent=2))
        return {"volumes": len(rows), "outputs": ", ".join(r["output"] for r in rows),
                "predictions_json": str(config.output_dir / "predictions.json")}

    def demo(self, config):
        """The shipped preset on the held-out slab beside tricubic, then a brief training run."""
        config.options = self.resolve_options(budget(DEMO_OPTIONS, smoke=SMOKE_DEMO_OPTIONS))
        # Smoke mode (the suite runs every demo) warms up only: the GAN phase has its own tests.
        config.epochs = budget(1, smoke=0) if config.epochs is None else config.epochs
        config.batch_size = config.batch_size or budget(DEMO_BATCH_SIZE, smoke=SMOKE_DEMO_BATCH_SIZE)
        trained, split = self.train_networks(config)  # its split also gives the held-out slab
        preset = DISGAN.from_preset(DEMO_PRESET)
        tests = split.test
        if config.options["holdout_slices"] < 32:  # smoke: a small corner of the slab
            tests = [(path, (slice(74, 122), slice(90, 138), region[2])) for path, region in tests]
        scored = report(preset, tests, config.output_dir / "preset", f"preset {DEMO_PRESET}", noise_levels=(0.0,),
                        tile_options=_tile_options(config.options), seed=config.seed)
        psnr, tricubic = scored["metrics"]["psnr_noise0"], scored["baselines"]["tricubic"]["psnr_noise0"]
        row = {"result": (f"preset {DEMO_PRESET}: PSNR {psnr:.2f} dB on the held-out slab, "
                          f"{psnr - tricubic:+.2f} dB over tricubic"),
               "baseline": f"tricubic {tricubic:.2f} dB"}
        gan = trained["summary"]["gan"]
        phases = (f"{config.options['pretrain_epochs']} warm-up epoch(s) + {gan['steps']} GAN steps "
                  f"({gan['patches_per_second']:.2f} patches/s)" if gan.get("steps") else
                  f"{config.options['pretrain_epochs']} warm-up epoch(s), no GAN step")
        row["note"] = f"also trained a tiny DISGAN for {phases} to show training runs (not scored)"
        return row
