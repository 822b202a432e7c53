"""The real samples of domains.mri (domains/mri/samples.py): what they are, and fetchable from PyPI.

Registration and use by the domain are checked for every domain by tests/domains/test_template.py.
The network tests fetch only nibabel's 3.3 MB wheel.
"""

import hashlib
import pathlib
import shutil
import tempfile
from unittest import mock

import pytest

from core.data import samples
from core.testing import TestCase

NIBABEL = ("mri.anatomical",)
COLIN = ("mri.colin27", "mri.colin27_brain")  # Debian's mricron-data: DISGAN's never-trained test volumes
REQUIRED = ("mri.mni152_1mm",) + NIBABEL + COLIN


class MriSamplesTest(TestCase):
    def test_mri_samples_are_well_formed(self):
        mri = {name: sample for name, sample in samples.SAMPLES.items() if name.startswith("mri.")}
        self.assertEqual(set(mri), set(REQUIRED))
        for name, sample in mri.items():
            self.assertEqual(sample.domain, "mri")
            self.assertEqual(sample.name, name)
            expected = ("debian", "deb") if name in COLIN else ("pypi", "wheel")
            self.assertEqual((sample.registry, sample.artifact), expected, name)
            for field in ("version", "member", "description", "licence"):
                self.assertTrue(getattr(sample, field), f"{name}: {field}")
            self.assertRegex(sample.sha256, r"\A[0-9a-f]{64}\Z", name)
            self.assertGreater(sample.nbytes, 0)
            self.assertGreater(sample.artifact_mb, 0)
            self.assertFalse(sample.member.startswith("/"))
            self.assertFalse(sample.is_directory)
        self.assertEqual({mri[n].package for n in NIBABEL}, {"nibabel"})
        self.assertEqual({mri[n].package for n in COLIN}, {"mricron-data"})
        self.assertEqual(mri["mri.anatomical"].sha256, "1c089f37b6597a38bb4157a1e1b3f7f13f1bc9d4e7a8cfdfaf91d85cd8f66594")


class FetchNibabelSamplesTest(TestCase):
    """One real download of nibabel's wheel, in `setUpClass`, shared by the tests (all `network`)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cache = pathlib.Path(tempfile.mkdtemp(prefix="resuite-data-"))
        cls.addClassCleanup(shutil.rmtree, cls.cache, ignore_errors=True)
        cls.calls = []
        real = samples.archives.download

        def counting(sample, tmp, verbose):
            cls.calls.append(sample.package)
            return real(sample, tmp, verbose)

        with mock.patch.object(samples.archives, "download", counting):
            cls.results = samples.fetch_all(names=NIBABEL, cache_dir=cls.cache, verbose=False)

    @pytest.mark.network
    def test_fetch_real_wheel_once_and_load(self):
        nibabel = pytest.importorskip("nibabel")
        cache, results, calls = self.cache, self.results, self.calls
        self.assertEqual(calls, ["nibabel"])
        path = results["mri.anatomical"]
        self.assertEqual(path, cache / "mri.anatomical" / "anatomical.nii")
        self.assertEqual(hashlib.sha256(path.read_bytes()).hexdigest(), samples.SAMPLES["mri.anatomical"].sha256)
        self.assertEqual(nibabel.load(path).shape, (33, 41, 25))
        # the wheel was deleted: only the sample folder remains
        self.assertEqual(sorted(p.name for p in cache.iterdir()), sorted(NIBABEL))

    @pytest.mark.network
    def test_second_fetch_does_not_download(self):
        cache, results = self.cache, self.results
        mtime = results["mri.anatomical"].stat().st_mtime_ns

        def fail(*args):
            raise AssertionError("downloaded again")

        self.enter_context(mock.patch.object(samples.archives, "download", fail))
        self.assertEqual(samples.fetch("mri.anatomical", cache_dir=cache, verbose=False), results["mri.anatomical"])
        self.assertEqual(samples.path("mri.anatomical", cache_dir=cache), results["mri.anatomical"])
        self.assertEqual(results["mri.anatomical"].stat().st_mtime_ns, mtime)
        rows = {row["name"]: row for row in samples.status(cache_dir=cache)}
        self.assertTrue(rows["mri.anatomical"]["fetched"])
        self.assertFalse(rows["mri.mni152_1mm"]["fetched"])
        self.assertEqual(set(rows), set(samples.SAMPLES))
        self.assertEqual(samples.verify(cache_dir=cache), {name: results[name] for name in NIBABEL})
