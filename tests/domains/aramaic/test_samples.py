"""The real sample of domains.aramaic (domains/aramaic/samples.py): a well-formed Debian font (used: test_letters.py)."""

from core.data import samples
from core.testing import TestCase
from domains.aramaic.letters import DEFAULT_FONT_SAMPLE


class SamplesTest(TestCase):
    def test_font_sample_is_well_formed(self):
        sample = samples.SAMPLES[DEFAULT_FONT_SAMPLE]
        self.assertEqual((sample.domain, sample.registry, sample.artifact), ("aramaic", "debian", "deb"))
        self.assertRegex(sample.sha256, r"^[0-9a-f]{64}$")
        self.assertEqual(sample.licence, "OFL-1.1")
        self.assertTrue(sample.filename.endswith(".ttf"))
