"""DISGAN recipe choices measured on the MNI152 template's validation slab (never its test slab).

Each setting trains the preset-sized generator (16 filters, 1 RRDB, 32³ patches, L1 only) for a
few minutes of wall time through the `mri.disgan` task (from scratch, or `finetune_*` from the
shipped `disgan_mni_psnr`), on the template below its validation
slab, then scores it on the validation slab (the `patch_size` axial slices under the held-out
test slab; what recipes are chosen on) for each degradation beside tricubic. Colin27 and the
test slab are never read. Settings: `--settings NAME ...` among `SETTINGS`.

Run: `nice -n 10 python -m bench mri_disgan_recipe --minutes 3.5 --settings residual plain`
(each setting about `minutes` + 1 minutes; one JSON line per setting with `--jsonl PATH`);
`python -m bench mri_disgan_recipe --presets disgan_mni_psnr` scores shipped presets as they are.
"""

import argparse
import json
import pathlib
import tempfile
import time

BASE = {"filters": 16, "num_rrdb": 1, "d_filters": 8, "patch_size": 32, "pretrain_epochs": 1000,
        "pretrain_steps_per_epoch": 50, "pretrain_learning_rate": 3e-4, "noise_levels": [0.0],
        "degradation": "mixed", "global_residual": True}
SETTINGS = {
    "residual": {},
    "plain": {"global_residual": False},
    "residual_lr1e-3": {"pretrain_learning_rate": 1e-3},
    "residual_nearest_block": {"degradation_mix": ["nearest", "block"]},
    "residual_three_old": {"degradation_mix": ["nearest", "kspace", "blur"]},
    "finetune_psnr_preset": {"init_preset": "disgan_mni_psnr", "pretrain_learning_rate": 1e-4},
    "finetune_lr3e-4": {"init_preset": "disgan_mni_psnr", "pretrain_learning_rate": 3e-4},
    "finetune_lr3e-5": {"init_preset": "disgan_mni_psnr", "pretrain_learning_rate": 3e-5},
    "finetune_nearest_block": {"init_preset": "disgan_mni_psnr", "pretrain_learning_rate": 1e-4,
                               "degradation_mix": ["nearest", "block"]},
}
DEGRADATIONS = ("nearest", "block", "kspace", "blur")


def measure(name, minutes, seed=0):
    """Train setting `name` for `minutes` and score it on the validation slab: a dict of figures.

    `name` "preset:NAME" scores the shipped preset NAME as it is (no training).
    """
    from core.data import samples
    from core.registry import RunConfig, get_task
    from domains.mri.disgan.evaluation import evaluate_volume
    from domains.mri.io import load_volume

    task = get_task("mri.disgan")
    setting = {"init_preset": name.partition(":")[2], "pretrain_epochs": 0} if name.startswith("preset:") else SETTINGS[name]
    options = task.resolve_options({**BASE, **setting, "pretrain_minutes": minutes})
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        config = RunConfig(output_dir=pathlib.Path(folder), epochs=0, batch_size=4, seed=seed, options=options,
                           verbose=0)
        trained, split = task.train_networks(config)
        generator = trained["model"].generator
    seconds = time.perf_counter() - start
    path = samples.fetch("mri.mni152_1mm", verbose=False)
    low, high = split.description["validation_axial_slices"]
    region = (slice(None), slice(None), slice(low, high))
    volume = load_volume(path)[0]
    row = {"setting": name, "train_s": round(seconds), "steps": trained["summary"].get("pretrain", {}).get("steps", 0),
           "validation_axial_slices": [low, high]}
    for degradation in DEGRADATIONS:
        result = evaluate_volume(generator, volume, region, noise_levels=(0.0,), degradation=degradation)
        by = {r["method"]: r for r in result["tables"][0.0]}
        row[f"{degradation}_psnr"] = round(by["DISGAN"]["psnr"], 2)
        row[f"{degradation}_tricubic"] = round(by["tricubic"]["psnr"], 2)
        row[f"{degradation}_gain"] = round(by["DISGAN"]["psnr"] - by["tricubic"]["psnr"], 2)
        row[f"{degradation}_ssim_gain"] = round(by["DISGAN"]["ssim"] - by["tricubic"]["ssim"], 4)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.5)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--presets", nargs="*", default=[], help="shipped presets scored as they are (no training)")
    parser.add_argument("--jsonl", default=None, help="append one JSON line per setting here")
    args = parser.parse_args(argv)
    from bench.common import print_table

    rows = []
    for name in [f"preset:{preset}" for preset in args.presets] or args.settings:
        rows.append(measure(name, args.minutes))
        if args.jsonl:
            with open(args.jsonl, "a") as handle:
                handle.write(json.dumps(rows[-1]) + "\n")
        print(json.dumps(rows[-1]), flush=True)
    print_table(f"DISGAN recipes, {args.minutes} min each, MNI152 validation slab, PSNR gain over tricubic (dB)",
                [{"setting": r["setting"], "steps": r["steps"],
                  **{d: r[f"{d}_gain"] for d in DEGRADATIONS}} for r in rows])
    return 0
