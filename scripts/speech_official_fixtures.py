"""Fixtures of the official APNet and HiFi-GAN generators for `tests/domains/speech/test_official.py`.

Runs the authors' `models.Generator` (APNet: github.com/YangAi520/APNet; HiFi-GAN:
github.com/jik876/hifi-gan; both `models.py`) with random weights on a random log-mel and saves
its state dict, the input and its outputs to a small `.npz`; the test converts the state dict
(`domains.speech.official`) and compares our outputs, with neither torch nor the clone. Run once
per model, with a Python that has torch (not the project's: torch is never its dependency) and a
clone of the official repository:

    /work/torchenv/bin/python scripts/speech_official_fixtures.py --official /path/to/APNet \\
        --output tests/domains/speech/fixtures/official_apnet.npz
    /work/torchenv/bin/python scripts/speech_official_fixtures.py --model hifigan --official /path/to/hifi-gan \\
        --output tests/domains/speech/fixtures/official_hifigan.npz

APNet: the configuration is tiny (8 channels, MRF kernels 3 and 5, 16 mels, n_fft 64, hop 16,
window 48, 20 frames) so that the file stays a few tens of kB; the weight-norm gains are drawn apart
from ‖v‖ (torch initialises g = ‖v‖, which would hide a gain that is not copied), and the layers
keep the official `init_weights` N(0, 0.01) directions times 30 so that the output is not tiny.
Two state dicts are saved: weight norm kept (`weight_g`/`weight_v`) and removed (`weight`).
Only numpy, torch and the official `models.py`/`utils.py` are used (matplotlib, imported by the
official `utils.py` for plotting, is stubbed when missing; the official forward pass hands
`torch.istft` a real `(..., 2)` tensor, as torch 1.8 took it, which is viewed as complex for torch ≥ 2).

HiFi-GAN: a small ResBlock1 configuration (`HIFIGAN_CONFIG`: 24 initial channels, upsampling
4·4 with kernels 8·8, MRF kernels 3 and 5 with dilations 1, 3, 5; the official code fixes 80 mels),
gains drawn as for APNet, a log-mel of 12 frames spread as N(-5, 3²) (an output up to about 0.5,
where tanh bends); under 250 kB; the same two state dicts and outputs. The parameter counts
of the official v1 (`config_v1.json` of the clone) with weight norm kept and removed are stored
too (`v1_parameters`, `v1_parameters_weight_norm`).
"""

import argparse
import json
import pathlib
import subprocess
import sys
import types

import numpy as np

CONFIG = {"num_mels": 16, "n_fft": 64, "hop_size": 16, "win_size": 48, "sampling_rate": 8000,
          "ASP_channel": 8, "PSP_channel": 8, "ASP_resblock_kernel_sizes": [3, 5],
          "PSP_resblock_kernel_sizes": [3, 5], "ASP_resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]],
          "PSP_resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]], "ASP_input_conv_kernel_size": 7,
          "PSP_input_conv_kernel_size": 7, "ASP_output_conv_kernel_size": 7,
          "PSP_output_R_conv_kernel_size": 7, "PSP_output_I_conv_kernel_size": 7}
FRAMES = 20
# config_v1.json's generator fields, scaled down (v1: 512 channels, 8·8·2·2 / 16·16·4·4, kernels 3·7·11).
HIFIGAN_CONFIG = {"resblock": "1", "upsample_rates": [4, 4], "upsample_kernel_sizes": [8, 8],
                  "upsample_initial_channel": 24, "resblock_kernel_sizes": [3, 5],
                  "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]]}
HIFIGAN_FRAMES = 12


def _stub_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        stub = types.ModuleType("matplotlib")
        stub.use = lambda *args, **kwargs: None
        stub.pylab = types.ModuleType("matplotlib.pylab")
        sys.modules.update({"matplotlib": stub, "matplotlib.pylab": stub.pylab})


def _accept_real_istft_input(torch):
    """The official code (torch 1.8) passes torch.istft a real `(..., 2)` tensor; torch ≥ 2 wants it complex."""
    istft = torch.istft

    def compatible(spec, *args, **kwargs):
        if not spec.is_complex() and spec.shape[-1] == 2:
            spec = torch.view_as_complex(spec.contiguous())
        return istft(spec, *args, **kwargs)

    torch.istft = compatible


def _randomise(generator, torch, direction_scale):
    """Gains apart from ‖v‖ (per output channel; per input channel of a transposed convolution), small biases."""
    with torch.no_grad():
        for name, parameter in generator.named_parameters():
            if name.endswith("weight_v"):
                parameter.mul_(direction_scale)
            elif name.endswith("weight_g"):
                parameter.copy_(torch.rand_like(parameter) * 0.8 + 0.2)
            elif name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.1)


def _remove_weight_norm(generator):
    from torch.nn.utils import remove_weight_norm

    for module in generator.modules():
        if hasattr(module, "weight_g"):
            remove_weight_norm(module)


def _head(official):
    head = subprocess.run(["git", "-C", str(official), "rev-parse", "HEAD"], capture_output=True, text=True)
    return head.stdout.strip() if head.returncode == 0 else ""


def _apnet(official, output, seed):
    import torch
    from models import Generator  # the official code
    from utils import AttrDict

    _accept_real_istft_input(torch)
    torch.manual_seed(seed)
    generator = Generator(AttrDict(CONFIG))
    _randomise(generator, torch, 30.0)
    generator.eval()
    mel = torch.randn(1, CONFIG["num_mels"], FRAMES, generator=torch.Generator().manual_seed(seed + 1)) - 3.0
    with torch.no_grad():
        logamp, phase, real, imag, audio = generator(mel)
    kept = {f"kept/{k}": v.numpy() for k, v in generator.state_dict().items()}
    _remove_weight_norm(generator)
    with torch.no_grad():
        folded_audio = generator(mel)[4]
    removed = {f"removed/{k}": v.numpy() for k, v in generator.state_dict().items()}
    np.savez_compressed(
        output, **kept, **removed, mel=mel.numpy(), log_amplitude=logamp.numpy(), phase=phase.numpy(),
        real=real.numpy(), imag=imag.numpy(), waveform=audio.numpy(), waveform_removed=folded_audio.numpy(),
        config=json.dumps({**CONFIG, "frames": FRAMES, "torch": torch.__version__, "seed": seed,
                           "official_head": _head(official)}))
    return len(kept), torch.__version__, audio, folded_audio


def _hifigan(official, output, seed):
    import torch
    from env import AttrDict
    from models import Generator  # the official code

    def count(model):
        return sum(p.numel() for p in model.parameters())

    v1 = Generator(AttrDict(json.loads((official / "config_v1.json").read_text())))
    v1_weight_norm = count(v1)
    _remove_weight_norm(v1)
    v1_parameters = count(v1)
    del v1
    torch.manual_seed(seed)
    generator = Generator(AttrDict(HIFIGAN_CONFIG))
    _randomise(generator, torch, 1.0)  # with weight norm the scale of v is irrelevant; g sets the weights
    generator.eval()
    mel = 3.0 * torch.randn(1, 80, HIFIGAN_FRAMES, generator=torch.Generator().manual_seed(seed + 1)) - 5.0
    with torch.no_grad():
        audio = generator(mel)
    kept = {f"kept/{k}": v.numpy() for k, v in generator.state_dict().items()}
    _remove_weight_norm(generator)
    with torch.no_grad():
        folded_audio = generator(mel)
    removed = {f"removed/{k}": v.numpy() for k, v in generator.state_dict().items()}
    np.savez_compressed(
        output, **kept, **removed, mel=mel.numpy(), waveform=audio.numpy(), waveform_removed=folded_audio.numpy(),
        config=json.dumps({**HIFIGAN_CONFIG, "frames": HIFIGAN_FRAMES, "torch": torch.__version__, "seed": seed,
                           "official_head": _head(official), "v1_parameters": v1_parameters,
                           "v1_parameters_weight_norm": v1_weight_norm}))
    print(f"official v1: {v1_parameters:,} parameters with weight norm removed, {v1_weight_norm:,} kept")
    return len(kept), torch.__version__, audio, folded_audio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("apnet", "hifigan"), default="apnet")
    parser.add_argument("--official", required=True,
                        help="a clone of github.com/YangAi520/APNet (apnet) or github.com/jik876/hifi-gan (hifigan)")
    parser.add_argument("--output", required=True, help="the .npz to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    official = pathlib.Path(args.official).resolve()
    marker = {"apnet": "models.py", "hifigan": "config_v1.json"}[args.model]
    if not (official / "models.py").is_file() or not (official / marker).is_file():
        raise SystemExit(f"--official must be a clone of the official {args.model} repository (models.py, {marker}). "
                         f"Received: {official}")
    _stub_matplotlib()
    sys.path.insert(0, str(official))
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tensors, version, audio, folded_audio = (_apnet if args.model == "apnet" else _hifigan)(official, output, args.seed)
    print(f"{output}: {output.stat().st_size / 1e3:.1f} kB, {tensors} tensors; torch {version}; "
          f"max |waveform| {float(audio.abs().max()):.3g}, "
          f"|removed − kept| {float((folded_audio - audio).abs().max()):.2g}")


if __name__ == "__main__":
    main()
