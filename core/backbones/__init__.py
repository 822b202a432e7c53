from core.backbones.resnet import RESNET_SPECS, ResNetBackbone, image_resnet

__all__ = ["RESNET_SPECS", "ResNetBackbone", "image_resnet"]
