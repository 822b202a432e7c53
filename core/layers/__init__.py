from core.layers.dense import DenseResidualBlock, ResidualInResidualDenseBlock
from core.layers.grouped import SplitGroupConv1D
from core.layers.pixel_shuffle import PixelShuffle, PixelUnshuffle
from core.layers.regularization import SqueezeExcitation, StochasticDepth
from core.layers.residual import InvertedResidualBlock, ResidualBlock
from core.layers.time_split import TimeSplitConv1D
from core.layers.wavelet import HaarDWT, HaarIDWT
from core.layers.weight_normalization import WeightNormalization, fold_weight_normalization

__all__ = [
    "DenseResidualBlock",
    "HaarDWT",
    "HaarIDWT",
    "InvertedResidualBlock",
    "PixelShuffle",
    "PixelUnshuffle",
    "ResidualBlock",
    "ResidualInResidualDenseBlock",
    "SplitGroupConv1D",
    "SqueezeExcitation",
    "StochasticDepth",
    "TimeSplitConv1D",
    "WeightNormalization",
    "fold_weight_normalization",
]
