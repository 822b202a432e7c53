"""domains.mri.quality.data.splits: the split by position, in slabs with gaps."""

import numpy as np

from core.testing import TestCase
from domains.mri.quality.data.slices import SliceSet
from domains.mri.quality.data.splits import GAP_MM, split_slices


def _fake_slices(positions_by_source, spacing=1.0, size=16):
    sources = np.array([s for s, positions in positions_by_source.items() for _ in positions], dtype=object)
    positions = np.array([p for ps in positions_by_source.values() for p in ps])
    n = len(positions)
    return SliceSet(np.zeros((n, size, size, 1), "float32"), np.ones((n, size, size, 1), "float32"),
                    sources, positions, np.full(n, spacing))


class SplitSlicesTest(TestCase):
    def test_split_keeps_a_gap_between_splits(self):
        slices = _fake_slices({"a.nii": range(10, 160), "b.nii": range(0, 40)})
        splits = split_slices(slices)
        counts = {name: len(s) for name, s in splits.items()}
        assert all(counts.values()) and sum(counts.values()) < len(slices)
        for source in ("a.nii", "b.nii"):
            mm = {name: s.positions[s.sources == source] * 1.0 for name, s in splits.items()}
            for low, high in (("train", "val"), ("train", "test"), ("val", "test")):
                if len(mm[low]) and len(mm[high]):
                    assert np.abs(mm[low][:, None] - mm[high][None]).min() > GAP_MM
        # The second volume starts the pattern one entry later (with val), so small volumes feed every split.
        self.assertEqual(splits["val"].positions[splits["val"].sources == "b.nii"].min(), 0)

    def test_split_is_by_position_not_random(self):
        slices = _fake_slices({"a.nii": range(0, 100)})
        first, second = split_slices(slices), split_slices(slices.subset(np.arange(100)[::-1]))
        for name in first:
            self.assertEqual(sorted(first[name].positions), sorted(second[name].positions))
        with self.assertRaisesRegex(ValueError, "pattern must be"):
            split_slices(slices, pattern=[("training", 10)])
        with self.assertRaisesRegex(ValueError, "gap_mm"):
            split_slices(slices, gap_mm=-1)
