"""`domains.aramaic.letters`: class names, font checks, glyph SDFs."""

import pathlib
import unicodedata

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic import letters


class ClassNamesTest(TestCase):
    def test_class_names_follow_the_unicode_order(self):
        self.assertEqual(len(letters.LETTERS), 22)
        self.assertEqual(letters.CLASS_NAMES[-1], "No Letter")
        self.assertTrue(unicodedata.name(chr(letters.CODEPOINTS[0])).endswith("ALEPH"))
        self.assertTrue(unicodedata.name(chr(letters.CODEPOINTS[-1])).endswith("TAW"))
        self.assertTrue(unicodedata.name(chr(letters.CODEPOINTS[letters.class_index("Tsadik")])).endswith("SADHE"))
        self.assertEqual((letters.class_index("no_letter"), letters.class_index(" QOF ")), (22, 18))
        with self.assertRaisesRegex(ValueError, "Unknown Aramaic letter name 'Beth'.*Alef, Bet"):
            letters.class_index("Beth")


@pytest.mark.usefixtures("noto_font", "font_without_bet_and_tav")
class FontTest(TestCase):
    def test_fetched_font_covers_the_letters(self):
        self.assertEqual(letters.check_font(self.noto_font), self.noto_font)

    def test_glyphs_are_signed_distance_fields_of_the_rendered_letters(self):
        glyphs = letters.load_glyphs(self.noto_font)
        self.assertEqual(glyphs.sdf.shape, (22, letters.GLYPH_CANVAS, letters.GLYPH_CANVAS))
        np.testing.assert_array_equal(glyphs.sdf < 0, glyphs.masks)
        for mask in glyphs.masks:  # every glyph drawn, larger side GLYPH_BOX, centred
            rows, cols = np.nonzero(mask)
            self.assertIn(max(np.ptp(rows), np.ptp(cols)) + 1, range(letters.GLYPH_BOX - 2, letters.GLYPH_BOX + 1))
            self.assertLess(abs((rows.min() + rows.max()) / 2 - 63.5), 2)
            self.assertLess(abs((cols.min() + cols.max()) / 2 - 63.5), 2)
        # Letters differ from one another (a font that drew one box for every code point would not).
        flat = glyphs.masks.reshape(22, -1).astype(float)
        overlap = flat @ flat.T / np.sqrt(np.outer(flat.sum(1), flat.sum(1)))
        self.assertLess(overlap[~np.eye(22, dtype=bool)].max(), 0.9)
        self.assertIs(letters.load_glyphs(self.noto_font), glyphs)  # cached

    def test_font_lacking_letters_names_them(self):
        with self.assertRaisesRegex(ValueError, r"lacks 2 of the 22 Aramaic letters: Bet \(U\+10841\), Tav \(U\+10855\)"):
            letters.check_font(self.font_without_bet_and_tav)

    def test_unreadable_or_missing_font(self):
        folder = pathlib.Path(self.get_temp_dir())
        bad = folder / "broken.ttf"
        bad.write_bytes(b"this is not a font at all" * 10)
        with self.assertRaisesRegex(ValueError, r"broken\.ttf: not a readable font\. Expected a TrueType or OpenType "
                                                r"font covering U\+10840-U\+10855\. Received: TTLibError"):
            letters.load_glyphs(bad)
        # A TrueType header and then zeros: fontTools opens it, but it has no tables, so no character map.
        # Not "lacks 22 of the 22 letters".
        hollow = folder / "hollow.ttf"
        hollow.write_bytes(b"\x00\x01\x00\x00" + bytes(2000))
        with self.assertRaisesRegex(ValueError, r"hollow\.ttf: not a readable font\. .*Received: no character map"):
            letters.check_font(hollow)
        truncated = folder / "truncated.ttf"
        truncated.write_bytes(pathlib.Path(self.noto_font).read_bytes()[:3000])
        with self.assertRaisesRegex(ValueError, r"truncated\.ttf: not a readable font\. "):
            letters.check_font(truncated)
        with self.assertRaisesRegex(FileNotFoundError, "missing.ttf: no such font file"):
            letters.check_font(folder / "missing.ttf")
