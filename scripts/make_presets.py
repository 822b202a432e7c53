"""Train every domain's presets from the real sample data with a fixed seed: `make presets`.

    python scripts/make_presets.py                 # every `domains/**/presets.py`
    python scripts/make_presets.py domains.mri.quality.presets

Each presets module has `make_presets(seed=0)`, which trains, scores on held-out data and saves
`presets/<name>/model.keras` + `metadata.json` inside its package (commit them).
"""

import argparse
import importlib
import pkgutil
import sys
import time


def preset_modules():
    """Dotted names of every `presets` module under `domains`."""
    import domains

    return sorted(m.name for m in pkgutil.walk_packages(domains.__path__, "domains.")
                  if m.name.endswith(".presets"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="presets modules (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in args.modules or preset_modules():
        start = time.time()
        print(f"== {name}", flush=True)
        made = importlib.import_module(name).make_presets(seed=args.seed)
        for preset, folder in made.items():
            print(f"   {preset} -> {folder} ({time.time() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
