"""The official APNet and HiFi-GAN generators' weights (PyTorch state dicts) in our generators.

The official `models.py` (docs/papers.md §7; github.com/YangAi520/APNet) names its generator's
convolutions `ASP_input_conv`, `ASP_ResNet.<j>.convs1.<i>` / `convs2.<i>` (the MRF block of the
j-th kernel size, the i-th dilation and its dilation-1 partner), `ASP_output_conv`, and the same
with `PSP_` and `PSP_output_R_conv` / `PSP_output_I_conv`. Each is `weight_norm(Conv1d)`: its
state dict holds `weight_g` `(out, 1, 1)`, `weight_v` `(out, in, k)` and `bias`, or, in torch ≥ 2.1's
parametrisation, `parametrizations.weight.original0` / `original1`, or, after
`remove_weight_norm`, a plain `weight`. Ours are `WeightNormalization(Conv1D)` with kernel
`(k, in, out)` and one gain per output channel (`core.layers`): the gain and direction are copied
as they are (the torch model's training state), or the folded weight becomes the direction with
its own norm as gain. `fold=True` then returns the generator with weight normalisation folded
(`generator.fold_generator`), as a deployed vocoder runs.

A checkpoint of the official code is `torch.load(path, map_location="cpu")["generator"]`; the
converter takes any mapping of array-likes (torch tensors included), so torch is needed only to
read the file. `tests/domains/speech/test_official.py` checks the conversion against outputs of
the official code (`scripts/speech_official_fixtures.py`).

HiFi-GAN's official `models.py` (github.com/jik876/hifi-gan) names its generator's layers
`conv_pre`, `ups.<i>` (`weight_norm(ConvTranspose1d)`, weight `(in, out, k)`, one gain per *input*
channel), `resblocks.<i·K + j>.convs1.<d>` / `convs2.<d>` (`ResBlock1`: the j-th of the K MRF
kernels after the i-th upsampling, the d-th dilation and its dilation-1 partner) and `conv_post`;
`convert_official_hifigan` copies them into `build_hifigan_generator` (`up<i>_wn` with a
transposed kernel `(k, out, in)`, `mrf<i>_block<j>_conv<d>a_wn` / `b_wn`). Its checkpoints
(`g_02500000` of v1) hold `{"generator": state_dict}`, the same as APNet's. The converted v1 has the
official code's parameter counts: 13,926,017 with weight norm removed, 13,936,130 kept.

Example:
```python
# example: not run (needs torch and the authors' checkpoint, e.g. g_02030000)
import torch
state = torch.load("cp_APNet/g_02030000", map_location="cpu")["generator"]
generator = convert_official_generator(state, "16k", fold=True)   # 72,170,499 parameters
hifigan = convert_official_hifigan(torch.load("UNIVERSAL_V1/g_02500000", map_location="cpu")["generator"],
                                   fold=True)   # v1: 13,926,017 parameters
```
"""

import re

import numpy as np

from domains.speech.features import FEATURE_CONFIGS, FeatureConfig
from domains.speech.generator import build_generator, build_hifigan_generator, fold_generator

__all__ = ["HIFIGAN_V1", "convert_official_generator", "convert_official_hifigan", "official_hifigan_layer_names",
           "official_layer_names", "official_weight"]

# The paper's dilations; the state dict does not record them (they only set the padding).
PAPER_DILATIONS = (1, 3, 5)
# The generator fields of HiFi-GAN's official config_v1.json (the state dict records neither the
# strides nor the dilations).
HIFIGAN_V1 = {"resblock": "1", "upsample_rates": (8, 8, 2, 2), "upsample_kernel_sizes": (16, 16, 4, 4),
              "upsample_initial_channel": 512, "resblock_kernel_sizes": (3, 7, 11),
              "resblock_dilation_sizes": ((1, 3, 5), (1, 3, 5), (1, 3, 5))}
# What torch's three weight layouts call a weight-normalised module's tensors.
_WEIGHT_SUFFIXES = ("weight_g", "weight_v", "parametrizations.weight.original0", "parametrizations.weight.original1",
                    "weight", "bias")


def official_layer_names(generator):
    """{official module name: our `WeightNormalization` layer name} for every convolution of `generator`.

    Args:
        generator: keras.Model from `build_generator`.

    Example:
    ```python
    names = official_layer_names(build_generator(FEATURE_CONFIGS["8k"], channels=8))
    names["PSP_ResNet.2.convs2.1"]   # 'psp_mrf_block2_conv1b_wn'
    ```
    """
    names = {}
    for layer in generator.layers:
        match = re.fullmatch(r"(asp|psp)_(input_conv|output_conv|output_r_conv|output_i_conv)_wn", layer.name)
        if match:
            branch, kind = match.groups()
            kind = {"output_r_conv": "output_R_conv", "output_i_conv": "output_I_conv"}.get(kind, kind)
            names[f"{branch.upper()}_{kind}"] = layer.name
            continue
        match = re.fullmatch(r"(asp|psp)_mrf_block(\d+)_conv(\d+)([ab])_wn", layer.name)
        if match:
            branch, block, index, half = match.groups()
            names[f"{branch.upper()}_ResNet.{block}.convs{1 if half == 'a' else 2}.{index}"] = layer.name
    return names


def official_weight(state_dict, name):
    """(g `(out,)`, v `(out, in, k)`, bias `(out,)`) of the official module `name`, in any of torch's layouts.

    A folded `weight` (after `remove_weight_norm`) comes back as its own direction with its norm as gain.

    Args:
        state_dict: mapping of str to array-like.
        name: str. The module's name, e.g. "ASP_input_conv".

    Raises:
        ValueError: the module or its bias is not in `state_dict`.

    Example:
    ```python
    g, v, bias = official_weight({"c.weight_g": np.ones((2, 1, 1)), "c.weight_v": np.ones((2, 3, 5)),
                                  "c.bias": np.zeros(2)}, "c")
    g.shape, v.shape   # ((2,), (2, 3, 5))
    ```
    """
    def get(key):
        return np.asarray(state_dict[key], dtype="float64")

    if f"{name}.weight_g" in state_dict:
        g, v = get(f"{name}.weight_g"), get(f"{name}.weight_v")
    elif f"{name}.parametrizations.weight.original0" in state_dict:
        g, v = get(f"{name}.parametrizations.weight.original0"), get(f"{name}.parametrizations.weight.original1")
    elif f"{name}.weight" in state_dict:
        v = get(f"{name}.weight")
        g = np.sqrt(np.sum(v ** 2, axis=(1, 2)))
    else:
        near = sorted(k for k in state_dict if k.startswith(name.split(".")[0]))[:4]
        raise ValueError(f"The official state dict has no convolution {name!r} (weight_g/weight_v, "
                         f"parametrizations.weight.original0/1 or weight). Received: keys such as {near}")
    if f"{name}.bias" not in state_dict:
        raise ValueError(f"The official state dict has no {name + '.bias'!r}. Received: {name!r} without a bias")
    return g.reshape(-1), v, get(f"{name}.bias")


def convert_official_generator(state_dict, feature_config="16k", dilations=PAPER_DILATIONS, fold=False):
    """Our APNet generator with the weights of an official APNet generator's state dict.

    The width, the MRF kernel sizes and the number of mels are read from the state dict; the
    dilations are not in it (the paper's 1, 3, 5 by default).

    Args:
        state_dict: mapping of str to array-like: the official `Generator.state_dict()` (the
            checkpoint's "generator" entry).
        feature_config: "16k", "8k", a `FeatureConfig` or its dict: the analysis the model was
            trained with (its n_fft must match the output convolutions). Defaults to "16k".
        dilations: sequence of int. The dilations of every MRF block. Defaults to (1, 3, 5).
        fold: bool. Return the generator with weight normalisation folded. Defaults to False.

    Returns:
        keras.Model: `build_generator`'s model with the official weights.

    Raises:
        ValueError: a module missing, or shapes that disagree with `feature_config`.

    Example:
    ```python
    # example: not run (needs the official state dict)
    generator = convert_official_generator(state, "16k", fold=True)
    outputs = generator(log_mel)   # log_amplitude, phase, real, imag, waveform
    ```
    """
    if isinstance(feature_config, str):
        config = FEATURE_CONFIGS[feature_config]
    elif isinstance(feature_config, FeatureConfig):
        config = feature_config
    else:
        config = FeatureConfig(**feature_config)
    _, v_in, _ = official_weight(state_dict, "ASP_input_conv")
    channels, num_mels, input_kernel = v_in.shape
    blocks = sorted({int(m.group(1)) for k in state_dict for m in [re.match(r"ASP_ResNet\.(\d+)\.", k)] if m})
    kernel_sizes = tuple(official_weight(state_dict, f"ASP_ResNet.{j}.convs1.0")[1].shape[-1] for j in blocks)
    _, v_out, _ = official_weight(state_dict, "ASP_output_conv")
    if num_mels != config.num_mels or v_out.shape[0] != config.num_bins:
        raise ValueError(f"The state dict is of a model with {num_mels} mels and {v_out.shape[0]} bins; the feature "
                         f"config has {config.num_mels} and {config.num_bins} (n_fft {config.n_fft}). "
                         f"Received: feature_config={config}")
    generator = build_generator(config, channels=int(channels), kernel_sizes=kernel_sizes,
                                dilations=(tuple(dilations),) * len(kernel_sizes), input_kernel=int(input_kernel),
                                output_kernel=int(v_out.shape[-1]))
    _assign_official_weights(generator, state_dict, official_layer_names(generator), "another configuration")
    return fold_generator(generator) if fold else generator


def _assign_official_weights(generator, state_dict, names, configuration):
    """Copy each official module's (v, g, bias) into our `WeightNormalization` layer, shapes checked.

    `names` maps official module names to our layer names; `configuration` says, in an error, what
    the state dict would have to be of.
    """
    for official, ours in names.items():
        g, v, bias = official_weight(state_dict, official)
        layer = generator.get_layer(ours)
        # torch (out, in, k) → Conv1D (k, in, out); a ConvTranspose1d's (in, out, k) → Conv1DTranspose (k, out, in).
        # The wrapped kernel is the direction v (WeightNormalization keeps it).
        for key, value, variable in ((f"{official}.weight", v.transpose(2, 1, 0), layer.layer.kernel),
                                     (f"{official}.weight_g", g, layer.g), (f"{official}.bias", bias, layer.layer.bias)):
            if value.shape != tuple(variable.shape):
                raise ValueError(f"{key}: shape {value.shape} (ours, transposed) where {ours} needs "
                                 f"{tuple(variable.shape)}. Received: a state dict of {configuration}")
            variable.assign(value.astype("float32"))


def official_hifigan_layer_names(generator):
    """{official module name: our `WeightNormalization` layer name} for every convolution of a HiFi-GAN generator.

    Args:
        generator: keras.Model from `build_hifigan_generator`.

    Example:
    ```python
    names = official_hifigan_layer_names(build_hifigan_generator(upsample_rates=(4, 4), upsample_kernel_sizes=(8, 8),
                                                                 channels=8))
    names["ups.1"], names["resblocks.4.convs2.0"]   # ('up1_wn', 'mrf1_block1_conv0b_wn')
    ```
    """
    blocks = {int(m.group(1)) for layer in generator.layers
              for m in [re.fullmatch(r"mrf0_block(\d+)_conv\d+a_wn", layer.name)] if m}
    names = {}
    for layer in generator.layers:
        if layer.name in ("conv_pre_wn", "conv_post_wn"):
            names[layer.name[: -len("_wn")]] = layer.name
        elif match := re.fullmatch(r"up(\d+)_wn", layer.name):
            names[f"ups.{match.group(1)}"] = layer.name
        elif match := re.fullmatch(r"mrf(\d+)_block(\d+)_conv(\d+)([ab])_wn", layer.name):
            stage, block, index, half = match.groups()
            names[f"resblocks.{int(stage) * len(blocks) + int(block)}.convs{1 if half == 'a' else 2}.{index}"] = \
                layer.name
    return names


def convert_official_hifigan(state_dict, config=None, fold=False):
    """Our HiFi-GAN generator (`build_hifigan_generator`) with the weights of an official generator's state dict.

    The official `Generator` takes a mel `(batch, mels, frames)` and returns `(batch, 1, frames · hop)`;
    ours takes `(batch, frames, mels)` and returns `(batch, frames · hop)`, the same numbers.

    Args:
        state_dict: mapping of str to array-like: the official `Generator.state_dict()` (a
            checkpoint's "generator" entry; the checkpoint itself is unwrapped too), weight norm
            kept (either torch layout) or removed.
        config: dict or None: the official config's generator fields `upsample_rates`,
            `upsample_kernel_sizes`, `upsample_initial_channel`, `resblock_kernel_sizes`,
            `resblock_dilation_sizes`, `resblock` (a whole `config_v1.json` will do; other fields
            are ignored); missing fields are v1's (`HIFIGAN_V1`). Defaults to v1.
        fold: bool. Return the generator with weight normalisation folded (as the official
            inference runs it, after `remove_weight_norm`). Defaults to False.

    Returns:
        keras.Model: `build_hifigan_generator`'s model with the official weights.

    Raises:
        ValueError: a ResBlock2 configuration (v3), an upsampling kernel minus its rate that is
            odd, a module missing, a tensor of another shape, or keys the configuration does not use.

    Example:
    ```python
    # example: not run (needs the official state dict)
    hifigan = convert_official_hifigan(checkpoint["generator"], json.load(open("config_v1.json")), fold=True)
    waveform = hifigan(np.transpose(mel, (0, 2, 1)))   # mel as the official code takes it: (batch, 80, frames)
    ```
    """
    if "generator" in state_dict and not hasattr(state_dict["generator"], "shape"):
        state_dict = state_dict["generator"]
    config = {**HIFIGAN_V1, **{k: v for k, v in dict(config or {}).items() if k in HIFIGAN_V1}}
    if str(config["resblock"]) != "1":
        raise ValueError(f"Only HiFi-GAN's ResBlock1 (config_v1/v2) converts; ResBlock2 (config_v3) has no "
                         f"counterpart in build_hifigan_generator. Received: resblock={config['resblock']!r}")
    rates, kernels = tuple(config["upsample_rates"]), tuple(config["upsample_kernel_sizes"])
    if len(rates) != len(kernels) or any((k - u) % 2 for k, u in zip(kernels, rates)):
        # torch pads (k-u)//2 each side: an odd k - u gives one sample more than ours per stage.
        raise ValueError(f"One upsampling kernel per rate, each kernel - rate even. Received: "
                         f"upsample_rates={rates}, upsample_kernel_sizes={kernels}")
    _, v_pre, _ = official_weight(state_dict, "conv_pre")
    generator = build_hifigan_generator(
        num_mels=int(v_pre.shape[1]), upsample_rates=rates, upsample_kernel_sizes=kernels,
        channels=int(config["upsample_initial_channel"]), kernel_sizes=tuple(config["resblock_kernel_sizes"]),
        dilations=tuple(tuple(d) for d in config["resblock_dilation_sizes"]))
    names = official_hifigan_layer_names(generator)
    _assign_official_weights(generator, state_dict, names,
                             f"another configuration than { {k: config[k] for k in HIFIGAN_V1} }")
    known = {f"{name}.{suffix}" for name in names for suffix in _WEIGHT_SUFFIXES}
    unused = sorted(key for key in state_dict if key not in known)
    if unused:
        raise ValueError(f"The official HiFi-GAN state dict has keys that the configuration does not use: "
                         f"{unused[:6]}{' …' if len(unused) > 6 else ''}. Received: config={config}")
    return fold_generator(generator) if fold else generator
