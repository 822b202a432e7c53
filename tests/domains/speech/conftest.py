"""Shared by the speech tests: the smallest APNet that runs every code path (a few thousand parameters)."""

from core.layers import WeightNormalization
from domains.speech.discriminator import build_multi_period_discriminator, build_multi_scale_discriminator
from domains.speech.features import FEATURE_CONFIGS
from domains.speech.generator import build_generator
from domains.speech.model import APNet
from domains.speech.task import SMOKE_DEMO_BATCH_SIZE, SMOKE_DEMO_OPTIONS

# The task's options and batch size for the smallest network of its smoke demo (a training run through the CLI task).
TINY_OPTIONS = {**SMOKE_DEMO_OPTIONS, "periods": [2], "arctic": False}
TINY_BATCH_SIZE = SMOKE_DEMO_BATCH_SIZE


def tiny_apnet(**kwargs):
    generator = build_generator(FEATURE_CONFIGS["8k"], channels=4, kernel_sizes=(3,), dilations=((1,),))
    discriminator = {"mpd": build_multi_period_discriminator((2,), (2, 2, 2, 2, 2)),
                     "msd": build_multi_scale_discriminator(1, (16,) * 7)}
    return APNet(generator, discriminator, feature_config="8k", **kwargs)


def gains(model):
    """The weight-normalisation gains of a model (what torch's `remove_weight_norm` removes)."""
    return sum(int(layer.g.shape[0]) for layer in model._flatten_layers() if isinstance(layer, WeightNormalization))
