"""Fixtures of the Aramaic tests: the sample font, a copy of it without some letters, a tiny run, crops.

Test classes (`core.testing.TestCase`) take them with `@pytest.mark.usefixtures(...)`:
"noto_font" (then `self.noto_font`), "font_without_bet_and_tav" (`self.font_without_bet_and_tav`),
"tiny_run" (`self.run_dir`, `self.run_results`: a 1-epoch training run) and "crops" (`self.crops`).
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


@pytest.fixture(scope="session")
def tiny_run_path(noto_font_path, tmp_path_factory):
    """A tiny training run of `aramaic.letters` (the demo's smoke configuration, 1 epoch): its folder."""
    from core.registry import RunConfig, get_task
    from domains.aramaic.task import DEMO_OPTIONS  # under RESUITE_SMOKE=1: 32 px, ResNet-10 width 4, 2 steps

    folder = tmp_path_factory.mktemp("aramaic_run")
    results = get_task("aramaic.letters").train(RunConfig(output_dir=folder, epochs=1, verbose=0,
                                                          options=dict(DEMO_OPTIONS)))
    return folder, results


@pytest.fixture(scope="session")
def crops_path(noto_font_path, tmp_path_factory):
    """A folder in the real-crops layout (one sub-folder per letter), written by the synth's export."""
    from domains.aramaic.synth import AramaicSynth

    root = tmp_path_factory.mktemp("crops")
    AramaicSynth(image_size=40, fonts=noto_font_path).export_folder(root, 30, seed=11)
    (root / "Alef" / "00000000.png").rename(root / "Alef" / "big.png")
    return root


@pytest.fixture(scope="class")
def tiny_run(request, tiny_run_path):
    request.cls.run_dir, request.cls.run_results = tiny_run_path


@pytest.fixture(scope="class")
def crops(request, crops_path):
    request.cls.crops = crops_path
