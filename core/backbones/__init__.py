from core.backbones.resnet import RESNET_SPECS, ResNetBackbone

__all__ = ["RESNET_SPECS", "ResNetBackbone"]
