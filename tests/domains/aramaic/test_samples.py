"""The real sample of domains.aramaic (domains/aramaic/samples.py): registered, and a font of the 22 letters."""

import re

from core.data import samples
from domains.aramaic.letters import DEFAULT_FONT_SAMPLE, check_font


def test_font_sample_is_registered_and_well_formed():
    sample = samples.SAMPLES[DEFAULT_FONT_SAMPLE]
    assert sample.domain == "aramaic" and sample.registry == "debian" and sample.artifact == "deb"
    assert re.fullmatch(r"[0-9a-f]{64}", sample.sha256) and sample.licence == "OFL-1.1"
    assert sample.filename.endswith(".ttf")


def test_fetched_font_covers_the_letters(noto_font):
    assert check_font(noto_font) == noto_font
