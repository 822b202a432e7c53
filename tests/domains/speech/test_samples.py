"""The real samples of domains.speech (domains/speech/samples.py): their kinds, and (network) a small Debian fetch.

That they are registered, well formed and used is checked for every domain by
`tests/core/data/test_samples.py` and `tests/domains/test_template.py`.
"""

import gzip
import pathlib
import shutil
import subprocess

import pytest

from core.data import samples
from core.testing import TestCase


def _apt_knows(package):
    if not shutil.which("apt-cache") or not shutil.which("dpkg-deb"):
        return False
    return subprocess.run(["apt-cache", "show", package], capture_output=True).returncode == 0


class SamplesTest(TestCase):
    def test_folder_samples(self):
        self.assertTrue(samples.SAMPLES["speech.asterisk_allison"].is_directory)
        self.assertFalse(samples.SAMPLES["speech.asterisk_transcripts"].is_directory)
        self.assertFalse(samples.SAMPLES["speech.arctic_a0009_wav"].is_directory)

    @pytest.mark.network
    @pytest.mark.skipif(not _apt_knows("asterisk-core-sounds-en"), reason="needs Debian's apt with updated lists")
    def test_fetch_small_debian_sample(self):
        name = "speech.asterisk_transcripts"
        cache = pathlib.Path(self.get_temp_dir())
        path = samples.fetch(name, cache_dir=cache, verbose=False)
        self.assertEqual(path, cache / name / "core-sounds-en.txt.gz")
        self.assertEqual(samples.path(name, cache_dir=cache), path)
        self.assertIn(b"activated: Activated.", gzip.decompress(path.read_bytes()))
        self.assertEqual([p.name for p in cache.iterdir()], [name])  # the .deb was deleted
