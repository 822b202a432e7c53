"""The real samples of domains.har (domains/har/samples.py): what the HAR loaders expect of them.

Every sample's registration (well-formed, used by a module) is checked for all domains by
tests/core/data/test_samples.py and tests/domains/test_template.py.
"""

from core.data import samples
from core.testing import TestCase

SETS = {"basicmotions": ("har.basicmotions_train", "har.basicmotions_test"),
        "pickupgesture": ("har.pickupgesture_train", "har.pickupgesture_test")}


class SamplesTest(TestCase):
    def test_both_splits_of_each_set_are_ts_files_of_one_aeon_wheel(self):
        har = {name: sample for name, sample in samples.SAMPLES.items() if name.startswith("har.")}
        for names in SETS.values():
            self.assertLessEqual(set(names), set(har))
            self.assertEqual({har[n].artifact_key for n in names}, {("pypi", "aeon", "1.6.0", "wheel")})
            self.assertTrue(all(har[n].filename.endswith(".ts") for n in names))
            self.assertTrue(all(har[n].domain == "har" for n in names))
