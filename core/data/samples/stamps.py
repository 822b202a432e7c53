"""Verification stamps: `<cache>/<name>/.verified.json` = {"sha256": ..., "files": {path: [size, mtime_ns]}}.

A sample whose files keep the sizes and times of its last successful check is not hashed again;
a file of another size is damaged; a file with a new time is hashed again (once).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib

from core.data.samples.sample import Sample

STAMP = ".verified.json"  # in <cache>/<name>/: the size and mtime of each file when its checksum last matched


def problem(sample: Sample, target: pathlib.Path) -> str | None:
    """None when `target` holds the sample, else what is wrong (for an error message).

    Compares the stamp of the last verification, not the content. A sample without a stamp (fetched
    by an older resuite, or a stamp that could not be written) or whose files have new times only
    (a copied cache) is hashed again, and stamped when it matches.
    """
    if not target.exists():
        return "not fetched"
    if target.is_dir() != sample.is_directory:
        return f"damaged ({'a folder' if sample.is_directory else 'a file'} was expected at {target.name})"
    stamp, stats = read_stamp(target), file_stats(target)
    if stamp is not None and stamp["sha256"] != sample.sha256:
        return f"outdated (fetched with checksum {stamp['sha256']}, registered now with {sample.sha256})"
    if stamp is not None and stamp["files"] == stats:
        return None
    if stamp is not None:
        old = {path: size for path, (size, _) in stamp["files"].items()}
        changed = sorted(set(old) ^ set(stats) | {p for p in set(old) & set(stats) if old[p] != stats[p][0]})
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            return f"damaged (changed on disk after it was fetched: {shown} added, removed or resized since then)"
    if not hash_and_stamp(sample, target, stats):
        return "damaged (checksum mismatch)"
    return None


def hash_and_stamp(sample: Sample, target: pathlib.Path, stats: dict | None = None) -> bool:
    """Hash `target`; stamp it if it matches the sample's sha256 (and did not change meanwhile), else unstamp."""
    stats = file_stats(target) if stats is None else stats
    matches = checksum(target) == sample.sha256
    try:
        if not matches:
            (target.parent / STAMP).unlink(missing_ok=True)
        elif file_stats(target) == stats:
            write_stamp(sample, target, stats)
    except OSError:  # a read-only cache: hash again next time
        pass
    return matches


def file_stats(target: pathlib.Path) -> dict[str, list[int]]:
    """`{path relative to the sample's folder: [size, mtime_ns]}` of the file, or of every file of the folder."""
    if not target.is_dir():
        info = target.stat()
        return {target.name: [info.st_size, info.st_mtime_ns]}
    stats, folders = {}, [(target, target.name)]
    while folders:  # os.scandir, not Path.rglob: 10x faster on the 568 files of a folder sample
        folder, relative = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, f"{relative}/{entry.name}"))
                elif entry.is_file():
                    info = entry.stat()
                    stats[f"{relative}/{entry.name}"] = [info.st_size, info.st_mtime_ns]
    return stats


def write_stamp(sample: Sample, target: pathlib.Path, stats: dict) -> None:
    stamp = target.parent / STAMP
    partial = stamp.with_name(f"{STAMP}.{os.getpid()}.tmp")
    partial.write_text(json.dumps({"sha256": sample.sha256, "files": stats}, indent=1))
    os.replace(partial, stamp)


def read_stamp(target: pathlib.Path) -> dict | None:
    """The stamp next to `target`, or None when there is none or it is unreadable."""
    try:
        stamp = json.loads((target.parent / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if not (isinstance(stamp, dict) and isinstance(stamp.get("sha256"), str) and isinstance(stamp.get("files"), dict)
            and all(isinstance(v, list) and len(v) == 2 for v in stamp["files"].values())):
        return None
    return stamp


def checksum(target: pathlib.Path) -> str:
    """sha256 of a file, or of a folder's manifest (`"<sha256>  <relative path>\\n"` sorted by path)."""
    if not target.is_dir():
        return file_sha256(target)
    files = sorted((p.relative_to(target).as_posix(), p) for p in target.rglob("*") if p.is_file())
    manifest = "".join(f"{file_sha256(p)}  {relative}\n" for relative, p in files)
    return hashlib.sha256(manifest.encode()).hexdigest()


def file_sha256(file: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


