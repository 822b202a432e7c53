"""Train and test the HAR tasks on the real BasicMotions data over several seeds; print a table.

usage: python scripts/har_seeds.py [--seeds 0 1 2 3 4] [--output runs/har-seeds]
Each run is `resuite train TASK --seed S` (test accuracy of the checkpoint chosen on validation,
beside its report's random forest baseline: fitted on the same seed's training split).
"""

import argparse
import json
import pathlib
import statistics

from core.cli import format_table, main as resuite

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
parser.add_argument("--tasks", nargs="+", default=["har.fusionactnet", "har.resnet1d"])
parser.add_argument("--output", default="runs/har-seeds")
args = parser.parse_args()

rows = []
for task in args.tasks:
    accuracies, f1s, forests = [], [], []
    for seed in args.seeds:
        out = pathlib.Path(args.output) / f"{task}-seed{seed}"
        resuite(["train", task, "--seed", str(seed), "--output", str(out), "--verbose", "0"])
        result = json.loads((out / "train_results.json").read_text())
        accuracies.append(result["metrics"]["accuracy"])
        f1s.append(result["metrics"]["macro_f1"])
        forests.append(result["baselines"]["random_forest"]["accuracy"])
    rows.append({
        "task": task,
        "seeds": len(args.seeds),
        "test accuracy (mean ± sd)": f"{statistics.mean(accuracies):.3f} ± {statistics.pstdev(accuracies):.3f}",
        "min": min(accuracies),
        "macro-F1 (mean)": statistics.mean(f1s),
        "per seed": " ".join(f"{a:.3f}" for a in accuracies),
        "random forest accuracy (mean)": statistics.mean(forests),
    })
print(format_table(rows))
