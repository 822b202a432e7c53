"""The official APNet generator's weights (PyTorch state dict) in our `build_generator`.

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

Example:
```python
# example: not run (needs torch and the authors' checkpoint, e.g. g_02030000)
import torch
state = torch.load("cp_APNet/g_02030000", map_location="cpu")["generator"]
generator = convert_official_generator(state, "16k", fold=True)   # 72,170,499 parameters
```
"""

import re

import numpy as np

from domains.speech.features import FEATURE_CONFIGS, FeatureConfig
from domains.speech.generator import build_generator, fold_generator

__all__ = ["convert_official_generator", "official_weight", "official_layer_names"]

# The paper's dilations; the state dict does not record them (they only set the padding).
PAPER_DILATIONS = (1, 3, 5)


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
        ValueError: the module is not in `state_dict`.

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
        raise ValueError(f"The official APNet state dict has no convolution {name!r} (weight_g/weight_v, "
                         f"parametrizations.weight.original0/1 or weight). Received: keys such as {near}")
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
    for official, ours in official_layer_names(generator).items():
        g, v, bias = official_weight(state_dict, official)
        layer = generator.get_layer(ours)
        kernel = layer.layer.kernel  # the direction v (WeightNormalization keeps the wrapped kernel)
        expected = tuple(kernel.shape)
        if v.transpose(2, 1, 0).shape != expected:
            raise ValueError(f"{official}: weight of shape {v.shape} (out, in, k); ours {ours} needs "
                             f"{expected[::-1]}. Received: state dict of another configuration")
        kernel.assign(v.transpose(2, 1, 0).astype("float32"))
        layer.g.assign(g.astype("float32"))
        layer.layer.bias.assign(bias.astype("float32"))
    return fold_generator(generator) if fold else generator
