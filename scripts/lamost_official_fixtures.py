"""Numeric-parity fixtures of the official RRNet (PyTorch) for `RRNet.from_official`.

Run ONCE, with a Python that has torch, on a clone of the official repository (`Chan-0312/RRNet`):

    /work/torchenv/bin/python scripts/lamost_official_fixtures.py --clone /path/to/RRNet \\
        --output tests/domains/lamost/fixtures/official

It builds the official `models/RRNet.py` at small sizes (160 pixels, widths [2, 2, 4], 10 RNN
steps; the dense layers keep the official 256 and 128), with random weights (seeded), and writes,
in the official layout:

    <output>/data/refer_set/label_config.pkl        random flux and label statistics (the official keys)
    <output>/model_log/RRNet(Nr=[2-2-4]-Ns=10)_post-RNN_add-noise/SP0/weight_best.pkl   torch.save(state_dict)
    <output>/model_log/RRNet(Nr=[2-2-4]-Ns=10)_pre-RNN_add-noise/CA0/weight_best.pkl
    <output>/expected_<mode>_<member>.npz           flux (4, 160) in, the official mean and σ out

The official outputs follow `predict.py`: flux clipped to [−0.5, 2.5], standardised with
flux_mean/flux_std, `mu, sigma = net(x)`, then mean = mu · label_std + label_mean and
σ = √sigma · label_std. The test (`tests/domains/lamost/test_official.py`) needs neither torch
nor the clone. The fixtures are SYNTHETIC (random weights and inputs), made by the official code.
"""

import argparse
import pathlib
import pickle
import sys

import numpy as np

PIXELS, WIDTHS, STEPS = 160, [2, 2, 4], 10
LABEL_LIST = ["Teff[K]", "Logg", "vmic[km/s]", "CH", "NH", "OH", "MgH", "AlH", "SiH", "SH", "KH", "CaH", "TiH",
              "CrH", "MnH", "FeH", "NiH", "CuH", "C12C13", "vmac[km/s]", "chi2_R"]
SP = ["Teff[K]", "Logg", "FeH"]
CA = ["CH", "NH", "OH", "MgH", "AlH", "SiH", "SH", "KH", "CaH", "TiH", "CrH", "MnH", "NiH", "CuH"]
MEMBERS = (("post-RNN", "SP0", SP, 1), ("pre-RNN", "CA0", CA, 2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clone", required=True, help="folder of the official repository (models/RRNet.py)")
    parser.add_argument("--output", required=True, help="fixture folder")
    args = parser.parse_args(argv)
    import torch

    clone, output = pathlib.Path(args.clone), pathlib.Path(args.output)
    if not (clone / "models" / "RRNet.py").is_file():
        raise FileNotFoundError(f"{clone}: no models/RRNet.py (expected a clone of Chan-0312/RRNet)")
    sys.path.insert(0, str(clone))
    from models.RRNet import RRNet as OfficialRRNet

    rng = np.random.default_rng(0)
    config = {"label_list": LABEL_LIST,
              "label_mean": rng.normal(0.0, 1.0, len(LABEL_LIST)) * 100.0,
              "label_std": rng.uniform(0.2, 3.0, len(LABEL_LIST)),
              "flux_mean": rng.normal(1.0, 0.05, PIXELS).astype("float32"),
              "flux_std": rng.uniform(0.02, 0.2, PIXELS).astype("float32")}
    (output / "data" / "refer_set").mkdir(parents=True, exist_ok=True)
    with open(output / "data" / "refer_set" / "label_config.pkl", "wb") as file:
        pickle.dump(config, file, protocol=4)
    flux = np.clip(rng.normal(1.0, 0.15, (4, PIXELS)), -0.7, 2.7).astype("float32")   # some beyond the clip range
    for mode, member, labels, seed in MEMBERS:
        torch.manual_seed(seed)
        net = OfficialRRNet(mode=mode, num_lable=len(labels), list_ResBlock_inplanes=WIDTHS, num_rnn_sequence=STEPS,
                            len_spectrum=PIXELS)
        with torch.no_grad():   # livelier than torch's default init, so every layer shows in the output
            for parameter in net.parameters():
                parameter.add_(torch.randn_like(parameter) * 0.1)
        net.eval()
        name = f"RRNet(Nr=[{'-'.join(map(str, WIDTHS))}]-Ns={STEPS})_{mode}_add-noise"
        folder = output / "model_log" / name / member
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(net.state_dict(), folder / "weight_best.pkl")
        x = (np.clip(flux, -0.5, 2.5) - config["flux_mean"]) / config["flux_std"]
        with torch.no_grad():
            mu, variance = net(torch.tensor(x, dtype=torch.float32))
        index = [LABEL_LIST.index(label) for label in labels]
        mean = mu.numpy().astype("float64") * config["label_std"][index] + config["label_mean"][index]
        sigma = np.sqrt(variance.numpy().astype("float64")) * config["label_std"][index]
        np.savez(output / f"expected_{mode}_{member}.npz", flux=flux, mean=mean, sigma=sigma,
                 torch_version=np.array(torch.__version__))
        print(f"{folder}: {sum(p.numel() for p in net.parameters())} parameters; mean[0] {mean[0].round(3)}")


if __name__ == "__main__":
    main()
