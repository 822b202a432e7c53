"""The fundus gate's confusion table on every real photograph the packages provide, and on degraded copies.

    python scripts/fundus_gate_table.py                   # the test photographs, at the paper's 512-px input
    python scripts/fundus_gate_table.py --role tuning     # the photographs the thresholds were set on
    python scripts/fundus_gate_table.py --model-size 128 --rows   # the shipped preset's input; one row per image

Each real fundus photograph the gate finds gradeable also gets its degraded copies
(`domains.fundus.gallery.variants`: a crop inside the field of view, an enlargement, a poor JPEG,
a blur, an under- and an over-exposure, a shrink below the model's need). Prints the confusion
table (what the photograph is x the gate's verdict), then the photographs whose verdict is not
one of those right for them; exits 1 if there is any.
"""

import argparse
import collections
import sys


def rows_of(role, model_size):
    """One dict per image: name, role, truth, verdict, reason, right (bool)."""
    from domains.fundus.gallery import is_right, photographs, variants
    from domains.fundus.gate import assess_gradeability

    rows = []
    for photo, image in photographs(role):
        verdict = assess_gradeability(image, model_size)
        rows.append({"image": photo.name, "role": photo.role, "truth": photo.truth, "verdict": verdict.verdict,
                     "reason": "; ".join(verdict.reasons), "right": is_right(verdict, photo.expected, image, model_size)})
        if photo.truth == "fundus" and verdict.gradeable:
            for name, copy, expected, reason in variants(image, model_size):
                got = assess_gradeability(copy, model_size)
                right = is_right(got, expected, copy, model_size, reason)
                rows.append({"image": f"{photo.name}: {name}", "role": photo.role, "truth": f"fundus, {name.split(' (')[0]}",
                             "verdict": got.verdict, "reason": "; ".join(got.reasons), "right": right})
    return rows


def confusion(rows):
    """Rows: what the images are (originals; each kind of copy), columns: the gate's verdicts, cells: counts."""
    from domains.fundus.gate import VERDICTS

    kinds = collections.OrderedDict()
    for row in rows:
        kind = row["truth"] if not row["truth"].startswith("fundus, shrunk") else "fundus, shrunk below the need"
        kinds.setdefault(kind, collections.Counter())[row["verdict"]] += 1
        kinds[kind]["right"] += row["right"]
        kinds[kind]["n"] += 1
    order = sorted(kinds, key=lambda kind: (kind.startswith("fundus, "), list(kinds).index(kind)))  # originals first
    return [{"photographs": kind, "n": kinds[kind]["n"], **{v: kinds[kind][v] for v in VERDICTS},
             "right": kinds[kind]["right"]} for kind in order]


def main(argv=None):
    """Print the table; return 0 when every verdict is right, else 1.

    Args:
        argv: list of str or None (the command line).

    Example:
    ```python
    main(["--role", "test", "--model-size", "512"])   # prints the table
    ```
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=("test", "tuning", "all"), default="test")
    parser.add_argument("--model-size", type=int, default=512, help="the model's input side (512: the paper's)")
    parser.add_argument("--rows", action="store_true", help="also print one row per image")
    args = parser.parse_args(argv)
    from core.cli import format_table

    rows = rows_of(None if args.role == "all" else args.role, args.model_size)
    print(f"The gate on the {args.role} photographs, for a model of {args.model_size}-px input "
          f"({len(rows)} images; 'right': the verdict is one that is true of the image)")
    print(format_table(confusion(rows)))
    shown = rows if args.rows else [row for row in rows if not row["right"]]
    if shown:
        print("\n" + ("every image:" if args.rows else "wrong verdicts:"))
        print(format_table(shown, ["image", "role", "truth", "verdict", "right", "reason"]))
    return 0 if all(row["right"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
