"""DISGAN's grid and scaling findings of issue 28, measured on the MNI152 held-out slab.

What a misplaced grid costs, with tricubic interpolation of the every-second-voxel LR input as
the named baseline (PSNR / SSIM on the template's top 32 brain slices, the preset's test slab):

1. Aligned: LR voxel i on HR voxel 2i (the degradations' grid, the evaluation's, and since
   issue 28 the affine `resuite predict` writes).
2. The same output half an HR voxel off along one axis, then along all three: what comparing
   the old `predict` output with the truth by world coordinates gave (origin −90.5 for −90).
3. A block-average LR (LR voxel i centred on HR 2i + 0.5) interpolated on the 2i grid and on its
   own grid: a thick-slice acquisition compared voxel for voxel with a 2i-grid output.
4. The z-score statistics of training (the LR grid's foreground) beside those `predict` computes
   from the LR volume alone; the foreground share of training patches beside the test slab's.

Run: `python -m bench mri_disgan_grid` (about a minute).
"""

import argparse

import numpy as np


def main(argv=None):
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    from scipy import ndimage

    from bench.common import print_table
    from core.data import samples
    from domains.mri.disgan.data import PatchSampler, load_training_volume
    from domains.mri.disgan.evaluation import decimate, even_crop, interpolate, volume_metrics
    from domains.mri.disgan.inference import normalize_for_inference
    from domains.mri.disgan.training import template_test
    from domains.mri.io import load_volume

    path = samples.fetch("mri.mni152_1mm", verbose=False)
    hr = even_crop(load_volume(path)[0])
    region = template_test(path)[0][1]
    tricubic = interpolate(decimate(hr), 3, output_shape=hr.shape)
    block = hr.reshape(hr.shape[0] // 2, 2, hr.shape[1] // 2, 2, hr.shape[2] // 2, 2).mean((1, 3, 5))
    on_2i = interpolate(block, 3, output_shape=hr.shape)
    rows = []
    for name, volume in (
        ("tricubic, nearest LR, aligned (baseline)", tricubic),
        ("the same, half a voxel off along x", ndimage.shift(tricubic, (0.5, 0, 0), order=3, mode="nearest")),
        ("the same, half a voxel off along x, y, z", ndimage.shift(tricubic, (0.5,) * 3, order=3, mode="nearest")),
        ("tricubic, block-average LR, on the 2i grid", on_2i),
        ("tricubic, block-average LR, on its own 2i+0.5 grid", ndimage.shift(on_2i, (0.5,) * 3, order=3,
                                                                             mode="nearest")),
    ):
        metrics = volume_metrics(hr, volume, region)
        rows.append({"output": name, "PSNR (dB)": round(metrics["psnr"], 2), "SSIM": round(metrics["ssim"], 4)})
    print_table("Tricubic on the MNI152 held-out slab, by grid (issue 28)", rows)
    trained = load_training_volume(path)
    _, mean, std = normalize_for_inference(decimate(hr))
    sampler = PatchSampler([trained], 32, 0.2, regions=[[(0, hr.shape[0]), (0, hr.shape[1]), (0, region[2].start - 32)]],
                           seed=0)
    picks = np.random.default_rng(0).integers(len(sampler.corners[0]), size=500)
    shares = [trained.mask[tuple(slice(c, c + 32) for c in sampler.corners[0][i])].mean() for i in picks]
    print_table("Scaling and patch sampling", [
        {"quantity": "z-score mean / std, training", "value": f"{trained.mean:.3f} / {trained.std:.3f}"},
        {"quantity": "z-score mean / std, predict (LR alone)", "value": f"{mean:.3f} / {std:.3f}"},
        {"quantity": "foreground share, training patches (mean, min)", "value": f"{np.mean(shares):.2f}, {np.min(shares):.2f}"},
        {"quantity": "foreground share, test slab", "value": f"{trained.mask[region].mean():.2f}"},
    ])
    return 0
