"""Choose a HAR recipe by leave-subjects-out cross-validation on the watch set's training subjects.

Each recipe is a set of `resuite train` options of `har.fusionactnet` (or `har.resnet1d`); every
fold trains the task's own model with them on some training subjects (1-7) and scores the others
(`domains.har.crossval`: the test subjects 8-10 are dropped before the folds are made, never
read). One JSON line per recipe is appended to `--out`: its pooled window and recording accuracy
(mean and log-probability votes), per fold, and the random forest's on the same folds.

    python scripts/har_cv.py --recipe base '{"width": 0.25, "expert_epochs": [5, 5]}' --epochs 10
    python scripts/har_cv.py --recipe rot30 '{"rotation_degrees": 30}' --fold 0 --out cv.jsonl   # one fold per run
    python scripts/har_cv.py --aggregate --out cv.jsonl      # pool the folds of each recipe: the table

The README's validation table (section "HAR on long recordings") comes from these lines.
"""

import argparse
import json
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", nargs=2, action="append", metavar=("NAME", "OPTIONS_JSON"), default=[],
                        help="a name and the task options (JSON; \"epochs\" too) of one recipe; repeat for several")
    parser.add_argument("--fold", type=int, action="append", help="run only this fold (repeat for several)")
    parser.add_argument("--no-forest", action="store_true", help="skip the random forest on the same folds")
    parser.add_argument("--aggregate", action="store_true", help="print the pooled scores of every recipe in --out")
    parser.add_argument("--task", default="har.fusionactnet", choices=("har.fusionactnet", "har.resnet1d"))
    parser.add_argument("--epochs", type=int, default=10, help="fused (or ResNet) epochs. Default 10")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="har_cv.jsonl", help="JSON lines to append to")
    args = parser.parse_args(argv)
    if args.aggregate:
        return aggregate(args.out)

    from core.registry import RunConfig, get_task
    from core.training import set_seed
    from domains.har.crossval import cross_validate
    from domains.har.evaluation import as_probabilities, random_forest_probabilities
    from domains.har.task import _load

    task = get_task(args.task)
    for name, text in args.recipe:
        given = json.loads(text)
        epochs = int(given.pop("epochs", args.epochs))
        start = time.time()
        with tempfile.TemporaryDirectory() as scratch:
            config = RunConfig(output_dir=pathlib.Path(scratch), epochs=epochs, batch_size=args.batch_size,
                               seed=args.seed, dataset="watch", verbose=0, options=task.resolve_options(given))
            data = _load(config, min_length=task.min_length)

            def fit_predict(fold, index):
                set_seed(args.seed)
                config.output_dir = pathlib.Path(scratch) / f"fold{index}"
                with config.scope():
                    model, _ = task.build_model(fold, config)
                    task.train_model(model, fold, config)
                return as_probabilities(model.predict(fold.x_test, verbose=0))

            runs = {"model": cross_validate(data, fit_predict, args.folds, only=args.fold)}
            if not args.no_forest:
                runs["forest"] = cross_validate(
                    data, lambda fold, index: random_forest_probabilities(fold, seed=args.seed), args.folds, only=args.fold)
        seconds = round(time.time() - start)
        with open(args.out, "a") as f:
            for model, scores in runs.items():
                for fold in scores["predictions"]:
                    line = {"name": name if model == "model" else "forest", "task": args.task if model == "model"
                            else "random forest", "options": given, "epochs": epochs, "batch_size": args.batch_size,
                            "folds": args.folds, "seed": args.seed, "seconds": seconds,
                            **{key: (value.tolist() if hasattr(value, "tolist") else value) for key, value in fold.items()}}
                    f.write(json.dumps(line) + "\n")
        scores = runs["model"]
        print(f"{name} folds {[p['fold'] for p in scores['per_fold']]}: windows {scores['window_accuracy']:.3f}, "
              f"recordings mean {scores['recording_accuracy_mean']:.3f} log {scores['recording_accuracy_log']:.3f} "
              f"({scores['recordings']}); {seconds} s", flush=True)


def aggregate(path):
    """Print one row per recipe of `path`: pooled over its folds (the latest line of each fold)."""
    from domains.har.crossval import pooled_scores

    recipes = {}
    for line in map(json.loads, open(path)):
        key = (line["name"], json.dumps(line["options"], sort_keys=True), line["epochs"])
        if line["name"] == "forest":
            key = ("forest", json.dumps({k: v for k, v in line["options"].items()
                                         if k in ("window_seconds", "step_seconds")}, sort_keys=True), 0)
        recipes.setdefault(key, {})[line["fold"]] = line
    print("| recipe | options | epochs | folds | windows | recordings (mean vote) | recordings (log vote) | n |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, options, epochs), folds in recipes.items():
        lines = [folds[k] for k in sorted(folds)]
        scores = pooled_scores(lines)
        complete = len(lines) == lines[0]["folds"]
        print(f"| {name} | `{options}` | {epochs} | {len(lines)}/{lines[0]['folds']}{'' if complete else ' (partial)'} | "
              f"{scores['window_accuracy']:.3f} | {scores['recording_accuracy_mean']:.3f} | "
              f"{scores['recording_accuracy_log']:.3f} | {scores['recordings']} |")


if __name__ == "__main__":
    main()
