"""Fixtures of the Aramaic tests: the sample font, and a copy of it without some letters.

Test classes (`core.testing.TestCase`) take them with `@pytest.mark.usefixtures("noto_font")`
(then `self.noto_font`) or `"font_without_bet_and_tav"` (then `self.font_without_bet_and_tav`).
"""

import pytest

from core.data import samples


@pytest.fixture(scope="session")
def noto_font_path():
    try:
        return samples.path("aramaic.noto_imperial_aramaic")
    except Exception as error:  # noqa: BLE001 - the sample is fetched by `resuite data fetch`
        pytest.skip(f"the Noto Imperial Aramaic sample is not fetched ({error})")


@pytest.fixture(scope="session")
def partial_font_path(noto_font_path, tmp_path_factory):
    """The sample font with U+10841 (Bet) and U+10855 (Tav) dropped from its cmap (fontTools subset)."""
    from fontTools import subset

    out = tmp_path_factory.mktemp("fonts") / "partial.ttf"
    keep = [cp for cp in range(0x10840, 0x10856) if cp not in (0x10841, 0x10855)]
    options = subset.Options()
    font = subset.load_font(str(noto_font_path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)
    subset.save_font(font, str(out), options)
    return out


@pytest.fixture(scope="class")
def noto_font(request, noto_font_path):
    request.cls.noto_font = noto_font_path


@pytest.fixture(scope="class")
def font_without_bet_and_tav(request, partial_font_path):
    request.cls.font_without_bet_and_tav = partial_font_path
