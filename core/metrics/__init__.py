from core.metrics.image import PSNR, SSIM, nrmse, psnr, ssim
from core.metrics.losses import (
    GaussianNLL,
    ensemble_gaussian,
    least_squares_gan_losses,
    mean_per_example,
    relativistic_average_losses,
)
from core.metrics.spectral import feature_matching_loss, mel_l1_loss, multi_resolution_stft_loss

__all__ = [
    "GaussianNLL",
    "PSNR",
    "SSIM",
    "ensemble_gaussian",
    "feature_matching_loss",
    "least_squares_gan_losses",
    "mean_per_example",
    "mel_l1_loss",
    "multi_resolution_stft_loss",
    "nrmse",
    "psnr",
    "relativistic_average_losses",
    "ssim",
]
