"""The real samples of domains.har (domains/har/samples.py): what the HAR loaders expect of them.

Every sample's registration (well-formed, used by a module) is checked for all domains by
tests/core/data/test_samples.py and tests/domains/test_template.py.
"""

import numpy as np
import pytest

from core.data import samples
from core.testing import TestCase
from domains.har.data.watch import load_watch

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

    @pytest.mark.network
    def test_the_real_watch_recordings_read_as_the_loader_expects(self):
        # Fetched from the seglearn wheel into the default cache (once), checksum-checked by fetch.
        series, labels, subjects, sides = load_watch(samples.fetch("har.watch", verbose=False))
        self.assertEqual(len(series), 140)
        self.assertEqual(np.bincount(labels).tolist(), [20] * 7)
        self.assertEqual(np.bincount(subjects).tolist(), [0] + [14] * 10)
        self.assertEqual((min(map(len, series)), max(map(len, series))), (947, 2618))
        self.assertEqual(np.bincount(sides).tolist(), [70, 70])
