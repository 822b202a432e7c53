"""Fixtures of the official APNet generator for `tests/domains/speech/test_official.py`.

Runs the authors' `models.Generator` (github.com/YangAi520/APNet, `models.py`) with random weights
on a random log-mel and saves its state dict, the input and its outputs to a small `.npz`; the test
converts the state dict (`domains.speech.official`) and compares our outputs, with neither torch
nor the clone. Run once, with a Python that has torch (not the project's: torch is never its
dependency) and a clone of the official repository:

    /work/torchenv/bin/python scripts/speech_official_fixtures.py --official /path/to/APNet \\
        --output tests/domains/speech/fixtures/official_apnet.npz

The configuration is tiny (8 channels, MRF kernels 3 and 5, 16 mels, n_fft 64, hop 16, window
48, 20 frames) so that the file stays a few tens of kB; the weight-norm gains are drawn apart
from ‖v‖ (torch initialises g = ‖v‖, which would hide a gain that is not copied), and the layers
keep the official `init_weights` N(0, 0.01) directions times 30 so that the output is not tiny.
Two state dicts are saved: weight norm kept (`weight_g`/`weight_v`) and removed (`weight`).
Only numpy, torch and the official `models.py`/`utils.py` are used (matplotlib, imported by the
official `utils.py` for plotting, is stubbed when missing; the official forward pass hands
`torch.istft` a real `(..., 2)` tensor, as torch 1.8 took it, which is viewed as complex for torch ≥ 2).
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--official", required=True, help="a clone of github.com/YangAi520/APNet")
    parser.add_argument("--output", required=True, help="the .npz to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    official = pathlib.Path(args.official).resolve()
    if not (official / "models.py").is_file():
        raise SystemExit(f"--official must be a clone of the official APNet repository (models.py). "
                         f"Received: {official}")
    _stub_matplotlib()
    sys.path.insert(0, str(official))
    import torch
    from models import Generator  # the official code
    from torch.nn.utils import remove_weight_norm
    from utils import AttrDict

    _accept_real_istft_input(torch)
    torch.manual_seed(args.seed)
    generator = Generator(AttrDict(CONFIG))
    with torch.no_grad():
        for name, parameter in generator.named_parameters():
            if name.endswith("weight_v"):
                parameter.mul_(30.0)
            elif name.endswith("weight_g"):  # apart from ‖v‖, per output channel
                parameter.copy_(torch.rand_like(parameter) * 0.8 + 0.2)
            elif name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.1)
    generator.eval()
    mel = torch.randn(1, CONFIG["num_mels"], FRAMES, generator=torch.Generator().manual_seed(args.seed + 1)) - 3.0
    with torch.no_grad():
        logamp, phase, real, imag, audio = generator(mel)
    kept = {f"kept/{k}": v.numpy() for k, v in generator.state_dict().items()}
    for module in generator.modules():
        if hasattr(module, "weight_g"):
            remove_weight_norm(module)
    with torch.no_grad():
        folded_audio = generator(mel)[4]
    removed = {f"removed/{k}": v.numpy() for k, v in generator.state_dict().items()}
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    head = subprocess.run(["git", "-C", str(official), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit = head.stdout.strip() if head.returncode == 0 else ""
    np.savez_compressed(
        output, **kept, **removed, mel=mel.numpy(), log_amplitude=logamp.numpy(), phase=phase.numpy(),
        real=real.numpy(), imag=imag.numpy(), waveform=audio.numpy(), waveform_removed=folded_audio.numpy(),
        config=json.dumps({**CONFIG, "frames": FRAMES, "torch": torch.__version__, "seed": args.seed,
                           "official_head": commit}))
    print(f"{output}: {output.stat().st_size / 1e3:.1f} kB, {len(kept)} tensors; torch {torch.__version__}; "
          f"max |waveform| {float(audio.abs().max()):.3g}, |removed − kept| {float((folded_audio - audio).abs().max()):.2g}")


if __name__ == "__main__":
    main()
