"""Train the shipped presets from the real sample data with a fixed seed: `make presets`.

    python scripts/make_presets.py                          # every preset of every domain
    python scripts/make_presets.py dr_synthetic_small       # one preset (or a domain: domains.fundus)
    python scripts/make_presets.py --score dr_synthetic_small   # only (re-)record its score
    python scripts/make_presets.py ssim_mni_long --from-run runs/ssim_long   # a finished background run
    python scripts/make_presets.py aramaic_letters_hands --record-run runs/aramaic_hands   # a candidate not shipped

Each domain's `presets.py` declares `RECIPES = {name: core.presets.Recipe(...)}`. A preset is
trained through its task (`resuite train TASK ...` in a throw-away folder), saved into
`presets/<name>/` of the model's package, then scored on its held-out data with `resuite
evaluate TASK --preset NAME ...` (the recipe's `evaluate` options); the score goes into its
`metadata.json`. Commit the folder. A long recipe runs in the background instead, with its
`resuite train` command (`Recipe.train_command`) and an `--output` folder, resumed after any stop;
`--from-run FOLDER` then makes the preset from that finished run (checked against the recipe).
Presets train with the CPU kernels `resuite` gives their task (`core.cli.use_cpu_kernels`, set
before TensorFlow starts; TF_ENABLE_ONEDNN_OPTS in the environment wins). A domain's `CANDIDATES`
are recipes not shipped; `--record-run FOLDER` keeps a finished run of one
that did not earn its preset: `presets/<name>_run.json` and `.png` (settings, results, curve).
"""

import argparse
import importlib
import pkgutil
import sys
import time


def recipes(kind="RECIPES"):
    """{preset name: (package, Recipe)} of every domain's `presets.py` (`kind`: RECIPES or CANDIDATES)."""
    import domains

    found = {}
    for module in sorted(m.name for m in pkgutil.walk_packages(domains.__path__, "domains.") if m.name.endswith(".presets")):
        for name, recipe in getattr(importlib.import_module(module), kind, {}).items():
            found[name] = (module.rpartition(".")[0], recipe)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="preset names or model packages, e.g. domains.fundus (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--score", action="store_true", help="only evaluate the saved presets and record their scores")
    parser.add_argument("--from-run", metavar="FOLDER",
                        help="make the one named preset from this finished `resuite train` run of its recipe")
    parser.add_argument("--record-run", metavar="FOLDER",
                        help="record this finished run of the one named candidate (CANDIDATES) beside the presets")
    args = parser.parse_args(argv)

    from core.cli import cpu_kind, declared_cpu_kernels, use_cpu_kernels

    # Before TensorFlow starts (it reads its kernel choice once): the kernels `resuite` gives every
    # task unless it declares others (`TaskRunner.cpu_kernels`); TF_ENABLE_ONEDNN_OPTS, if set, wins.
    kernels = use_cpu_kernels()
    from core.presets import make_preset, record_run, score_preset
    from core.registry import get_task

    if args.record_run:
        candidates = recipes("CANDIDATES")
        if len(args.names) != 1 or args.names[0] not in candidates:
            parser.error(f"--record-run records one candidate: name it; candidates: {', '.join(candidates)}. "
                         f"Received: {args.names}")
        recipe = candidates[args.names[0]][1]
        print(record_run(args.names[0], recipe, get_task(recipe.task), args.record_run, args.seed))
        return 0
    known = recipes()
    chosen = [name for name, (package, _) in known.items()
              if not args.names or name in args.names or package in args.names]
    unknown = [name for name in args.names if name not in known and name not in {p for p, _ in known.values()}]
    if unknown:
        parser.error(f"unknown preset or package {unknown}; known presets: {', '.join(known)}")
    if args.from_run and (len(args.names) != 1 or args.names[0] not in known or args.score):
        parser.error(f"--from-run makes one preset: name it (and no --score). Received: {args.names}")
    for name in chosen:
        start = time.time()
        recipe = known[name][1]
        print(f"== {name} ({recipe.task})", flush=True)
        declared = declared_cpu_kernels(recipe.task, cpu_kind())[0]
        if declared != kernels:
            print(f"   note: {recipe.task} trains with {declared} kernels under resuite, this process runs {kernels}; "
                  f"for its speed run it alone with TF_ENABLE_ONEDNN_OPTS={int(declared == 'onednn')}", flush=True)
        task = get_task(recipe.task)
        if args.score:
            score = score_preset(name, recipe, task, args.seed)
            print(f"   score: {score['metrics']}  baselines: {score['baselines']}", flush=True)
        else:
            folder = make_preset(name, recipe, task, args.seed, verbose=2, run_dir=args.from_run)
            print(f"   -> {folder}", flush=True)
        print(f"   ({time.time() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
