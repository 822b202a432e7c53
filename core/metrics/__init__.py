from core.metrics.image import PSNR, SSIM, nrmse, psnr, ssim
from core.metrics.losses import (
    GaussianNLL,
    ensemble_gaussian,
    least_squares_gan_losses,
    mean_per_example,
    relativistic_average_losses,
)

__all__ = [
    "GaussianNLL",
    "PSNR",
    "SSIM",
    "ensemble_gaussian",
    "least_squares_gan_losses",
    "mean_per_example",
    "nrmse",
    "psnr",
    "relativistic_average_losses",
    "ssim",
]
