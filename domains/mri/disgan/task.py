"""`resuite` CLI task `mri.disgan`: train, evaluate, predict (NIfTI → NIfTI) and a short demo.

    resuite train mri.disgan --output runs/disgan [--data HCP_ROOT] [--option key=value ...]
    resuite evaluate mri.disgan --model runs/disgan/best.keras
    resuite predict mri.disgan --model runs/disgan/generator.keras in.nii.gz [more.nii.gz ...]
    resuite demo mri.disgan

Default data: the real MNI152 2009a template (`mri.mni152_1mm`), with its top 32 brain slices
held out for the test table (see `training.template_split`). `--data` trains on a folder of
volumes (HCP tree or flat) with whole volumes held out.

Options (`--option key=value`), with defaults for `train`:
- model: `filters` (64), `num_rrdb` (3), `d_filters` (16), `d_levels` (log2 of the patch size),
  `d_init` ("paper": N(0, 1) as the official code), `fe_weights` (path of MedicalNet ResNet-10
  weights, `.weights.h5`/`.keras`; random features otherwise), `fe_widths`;
- data: `patch_size` (64, HR), `min_foreground` (0.2), `holdout_slices` (32), `degradation`
  ("nearest" | "kspace" | "blur"), `train_noise` (Rician σ on LR inputs, z units; 0);
- schedule: `--epochs` (GAN epochs, 20), `steps_per_epoch` (100), `learning_rate` (the
  generator's Adam rate in the GAN phase, 1e-4 as the paper), `discriminator_learning_rate`
  (1e-4, the paper's), `pretrain_epochs` (0: the
  paper has no warm-up), `pretrain_steps_per_epoch`, `pretrain_learning_rate` (2e-4, ESRGAN's),
  `pretrain_decay` (cosine, true), `pretrain_minutes` / `gan_minutes` (wall-time budgets),
  `batch_size` (4) or `--batch-size`;
- inference and evaluation: `tile_size` (32), `overlap` (8), `blend` ("cosine"), `tile_batch`
  (1), `noise_levels` ([0, 0.05]); `evaluate` also takes `compare_models` ({"row name": path}):
  more generators in the same table.

With a warm-up, `train` reports the warm-up generator (before any GAN step) beside the final
DISGAN generator.
"""

import json
import math
import pathlib

import keras

from core.data import samples
from core.evaluation import save_report
from core.registry import TaskRunner, register_task
from core.training import set_seed
from domains.mri.disgan.discriminator import build_discriminator
from domains.mri.disgan.evaluation import evaluate_volume, format_rows, plot_slices
from domains.mri.disgan.feature_extractor import build_feature_extractor
from domains.mri.disgan.generator import build_generator
from domains.mri.disgan.inference import sr_output_path, super_resolve_file
from domains.mri.disgan.training import folder_split, template_split, train_disgan
from domains.mri.io import load_volume

TEMPLATE = "mri.mni152_1mm"
WARM_UP_ROW = "DISGAN L1 warm-up only"
DEMO_OPTIONS = {
    "filters": 16, "num_rrdb": 1, "d_filters": 4, "fe_widths": [8, 16, 32, 64], "patch_size": 32,
    "pretrain_epochs": 2, "pretrain_steps_per_epoch": 15, "steps_per_epoch": 4, "batch_size": 4,
    "learning_rate": 1e-5,  # the GAN phase fine-tunes the warmed-up generator (see train_disgan)
}
DEMO_EPOCHS = 2


def _option(config, key, default):
    return config.options.get(key, default)


def load_generator(path):
    """The generator of a saved DISGAN `.keras`, or a saved generator `.keras` itself."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file (expected a DISGAN or generator .keras)")
    model = keras.saving.load_model(str(path), compile=False)
    return getattr(model, "generator", model)


def _tile_options(config):
    return {"tile_size": int(_option(config, "tile_size", 32)), "overlap": int(_option(config, "overlap", 8)),
            "blend": _option(config, "blend", "cosine"), "batch_size": int(_option(config, "tile_batch", 1))}


def _networks(config, patch_size):
    levels = int(_option(config, "d_levels", int(math.log2(patch_size))))
    generator = build_generator(filters=int(_option(config, "filters", 64)), num_rrdb=int(_option(config, "num_rrdb", 3)))
    discriminator = build_discriminator(filters=int(_option(config, "d_filters", 16)), num_levels=levels,
                                        kernel_initializer=_option(config, "d_init", "paper"))
    extractor = build_feature_extractor(_option(config, "fe_weights", None),
                                        widths=tuple(_option(config, "fe_widths", (64, 128, 256, 512))))
    return generator, discriminator, extractor


def _split(config, patch_size):
    seed, min_fg = config.seed, float(_option(config, "min_foreground", 0.2))
    if config.data:
        return folder_split(config.data, patch_size, min_fg, seed=seed, pattern=_option(config, "pattern", None))
    return template_split(samples.fetch(TEMPLATE, verbose=False), patch_size,
                          int(_option(config, "holdout_slices", 32)), min_fg, seed=seed)


def report(generator, tests, output_dir, config, title):
    """Evaluate on the test volumes/regions: tables (JSON) and slice plots (PNG).

    `generator`: one model or a dict `{row name: model}`.
    """
    output_dir = pathlib.Path(output_dir)
    levels = tuple(float(v) for v in _option(config, "noise_levels", [0.0, 0.05]))
    results = {"tables": [], "plots": []}
    for index, (path, region) in enumerate(tests):
        volume, _, _ = load_volume(path)
        evaluation = evaluate_volume(generator, volume, region, noise_levels=levels, seed=config.seed,
                                     tile_options=_tile_options(config))
        where = "whole volume" if region is None else f"axial slices {region[2].start}-{region[2].stop - 1}"
        for level, rows in evaluation["tables"].items():
            kind = "super-resolution (clean LR)" if level == 0 else f"denoising (LR + Rician noise σ={level:.0%} of p99)"
            results["tables"].append({"volume": path, "region": where, "task": kind, "noise": level, "rows": rows,
                                      "psnr_gain_over_tricubic_db": evaluation["gains"][level]})
            predictions = evaluation["predictions"][level]
            hr = evaluation["hr"]
            plot = plot_slices(hr, predictions, output_dir / f"slices_{index}_noise{level:g}.png",
                               slice_index=hr.shape[2] // 2,
                               title=f"{title}: {pathlib.Path(path).name}, {where}, {kind}")
            results["plots"].append(str(plot))
    save_report(results, output_dir / "test_report.json")
    return results


def _summary(results):
    flat = {}
    for table in results["tables"]:
        tag = "sr" if table["noise"] == 0 else f"denoise{table['noise']:g}"
        for row in table["rows"]:
            method = row["method"].replace(" ", "_")
            flat[f"{tag}_{method}_psnr"] = round(row["psnr"], 3)
            flat[f"{tag}_{method}_ssim"] = round(row["ssim"], 4)
            flat[f"{tag}_{method}_nrmse"] = round(row["nrmse"], 4)
        for model, gain in table["psnr_gain_over_tricubic_db"].items():
            flat[f"{tag}_{model.replace(' ', '_')}_gain_over_tricubic_db"] = round(gain, 3)
    return flat


def print_tables(results):
    from core.cli import format_table

    for table in results["tables"]:
        print(f"\n{table['task']} — {pathlib.Path(table['volume']).name}, {table['region']}")
        print(format_table(format_rows(table["rows"])))
        for model, gain in table["psnr_gain_over_tricubic_db"].items():
            print(f"{model} − tricubic: {gain:+.2f} dB PSNR")


@register_task
class DISGANTask(TaskRunner):
    """DISGAN ×2 super-resolution of 3-D MRI (NIfTI to NIfTI), on the MNI152 template by default."""

    name = "mri.disgan"
    description = "DISGAN: 3-D RRDB SR generator + wavelet UNet discriminator (x2, NIfTI in/out)"
    samples = (TEMPLATE,)

    def train(self, config):
        set_seed(config.seed)
        patch_size = int(_option(config, "patch_size", 64))
        split = _split(config, patch_size)
        with config.scope():
            generator, discriminator, extractor = _networks(config, patch_size)
            if config.model_path:
                generator.set_weights(load_generator(config.model_path).get_weights())
            minutes = {k: _option(config, k, None) for k in ("pretrain_minutes", "gan_minutes")}
            trained = train_disgan(
                generator, discriminator, extractor, split, config.output_dir,
                epochs=config.epochs if config.epochs is not None else 20,
                steps_per_epoch=int(_option(config, "steps_per_epoch", 100)),
                learning_rate=float(_option(config, "learning_rate", 1e-4)),
                discriminator_learning_rate=float(_option(config, "discriminator_learning_rate", 1e-4)),
                pretrain_epochs=int(_option(config, "pretrain_epochs", 0)),
                pretrain_steps_per_epoch=_option(config, "pretrain_steps_per_epoch", None),
                pretrain_learning_rate=float(_option(config, "pretrain_learning_rate", 2e-4)),
                pretrain_decay=bool(_option(config, "pretrain_decay", True)),
                batch_size=config.batch_size or int(_option(config, "batch_size", 4)),
                degradation=_option(config, "degradation", "nearest"),
                noise_sigma=float(_option(config, "train_noise", 0.0)),
                pretrain_seconds=None if minutes["pretrain_minutes"] is None else 60 * float(minutes["pretrain_minutes"]),
                gan_seconds=None if minutes["gan_minutes"] is None else 60 * float(minutes["gan_minutes"]),
                seed=config.seed, verbose=config.verbose,
            )
        generator = trained["model"].generator
        models = {"DISGAN": generator}
        warm_up = config.output_dir / "pretrain" / "best.keras"
        if int(_option(config, "pretrain_epochs", 0)) and warm_up.exists():
            models[WARM_UP_ROW] = load_generator(warm_up)
        results = report(models, split.test, config.output_dir, config, self.name)
        if config.verbose:
            print_tables(results)
        return {"best_model": str(config.output_dir / "best.keras"),
                "generator": str(config.output_dir / "generator.keras"),
                "generator_parameters": int(generator.count_params()),
                **_summary(results), "training": trained["summary"]}

    def evaluate(self, config):
        models = {"DISGAN": load_generator(config.model_path)}
        for row, path in (_option(config, "compare_models", None) or {}).items():
            models[row] = load_generator(path)
        if config.data:
            from domains.mri.disgan.data import find_volumes

            tests = [(str(p), None) for p in find_volumes(config.data, _option(config, "pattern", None))]
        else:
            patch_size = int(_option(config, "patch_size", 32))
            tests = template_split(samples.fetch(TEMPLATE, verbose=False), patch_size,
                                   int(_option(config, "holdout_slices", 32)), seed=config.seed).test
        results = report(models, tests, config.output_dir, config, self.name)
        if config.verbose:
            print_tables(results)
        return {"model": str(config.model_path), **_summary(results)}

    def predict(self, config, inputs):
        generator = load_generator(config.model_path)
        rows = []
        for path in inputs:
            out = sr_output_path(path, config.output_dir)
            rows.append(super_resolve_file(generator, path, out, **_tile_options(config)))
            if config.verbose:
                print(f"{path} {rows[-1]['input_shape']} -> {out} {rows[-1]['output_shape']} "
                      f"({rows[-1]['seconds']:.1f} s)", flush=True)
        (config.output_dir / "predictions.json").write_text(json.dumps(rows, indent=2))
        return {"volumes": len(rows), "outputs": ", ".join(r["output"] for r in rows),
                "predictions_json": str(config.output_dir / "predictions.json")}

    def demo(self, config):
        for key, value in DEMO_OPTIONS.items():
            config.options.setdefault(key, value)
        config.options.setdefault("noise_levels", [0.0])
        config.epochs = config.epochs or DEMO_EPOCHS
        results = self.train(config)
        return {"sr_psnr_disgan": results.get("sr_DISGAN_psnr"), "sr_psnr_tricubic": results.get("sr_tricubic_psnr"),
                "gain_db": results.get("sr_DISGAN_gain_over_tricubic_db"), "note": "tiny config, seconds of training"}
