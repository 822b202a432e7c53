"""`domains.aramaic.letters`: class names, font checks, glyph SDFs."""

import numpy as np
import pytest

from domains.aramaic import letters


def test_class_names_follow_the_unicode_order():
    import unicodedata

    assert len(letters.LETTERS) == 22 and letters.CLASS_NAMES[-1] == "No Letter"
    assert unicodedata.name(chr(letters.CODEPOINTS[0])).endswith("ALEPH")
    assert unicodedata.name(chr(letters.CODEPOINTS[-1])).endswith("TAW")
    assert unicodedata.name(chr(letters.CODEPOINTS[letters.class_index("Tsadik")])).endswith("SADHE")
    assert letters.class_index("no_letter") == 22 and letters.class_index(" QOF ") == 18
    with pytest.raises(ValueError, match="Unknown Aramaic letter name 'Beth'.*Alef, Bet"):
        letters.class_index("Beth")


def test_glyphs_are_signed_distance_fields_of_the_rendered_letters(noto_font):
    glyphs = letters.load_glyphs(noto_font)
    assert glyphs.sdf.shape == (22, letters.GLYPH_CANVAS, letters.GLYPH_CANVAS)
    np.testing.assert_array_equal(glyphs.sdf < 0, glyphs.masks)
    for mask in glyphs.masks:  # every glyph drawn, larger side GLYPH_BOX, centred
        rows, cols = np.nonzero(mask)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 in range(letters.GLYPH_BOX - 2, letters.GLYPH_BOX + 1)
        assert abs((rows.min() + rows.max()) / 2 - 63.5) < 2 and abs((cols.min() + cols.max()) / 2 - 63.5) < 2
    # Letters differ from one another (a font that drew one box for every code point would not).
    flat = glyphs.masks.reshape(22, -1).astype(float)
    overlap = flat @ flat.T / np.sqrt(np.outer(flat.sum(1), flat.sum(1)))
    assert overlap[~np.eye(22, dtype=bool)].max() < 0.9
    assert letters.load_glyphs(noto_font) is glyphs  # cached


def test_font_lacking_letters_names_them(font_without_bet_and_tav):
    with pytest.raises(ValueError, match=r"lacks 2 of the 22 Aramaic letters: Bet \(U\+10841\), Tav \(U\+10855\)"):
        letters.check_font(font_without_bet_and_tav)


def test_unreadable_or_missing_font(tmp_path):
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"this is not a font at all" * 10)
    with pytest.raises(ValueError, match="broken.ttf: unreadable font file"):
        letters.load_glyphs(bad)
    with pytest.raises(FileNotFoundError, match="missing.ttf: no such font file"):
        letters.check_font(tmp_path / "missing.ttf")
