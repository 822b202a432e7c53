"""RRNet's preprocessing on the real files: grid, rest frame, continuum ≈ 1, masks, errors."""

import numpy as np
import pytest

from domains.lamost.io import SPEED_OF_LIGHT_KMS, read_mrs
from domains.lamost.preprocessing import (
    BLUE_GRID, NUM_PIXELS, PIXELS_PER_ARM, RED_GRID, WAVELENGTHS, continuum, preprocess, preprocess_arrays, resample,
)
from tests.domains.lamost.conftest import write_mrs


def test_the_grid_is_the_official_one():
    assert NUM_PIXELS == 7200 and PIXELS_PER_ARM == 3600
    assert BLUE_GRID[0] == 4968.0 and RED_GRID[0] == 6339.0
    assert np.allclose(np.diff(WAVELENGTHS[:3600]), 0.1) and np.allclose(np.diff(WAVELENGTHS[3600:]), 0.1)
    assert RED_GRID[-1] == pytest.approx(6698.9)


def test_real_spectra_land_on_the_grid_normalised_with_their_masks(mrs_files):
    spectra = [read_mrs(path) for path in mrs_files]
    batch = preprocess(spectra)
    assert batch.flux.shape == batch.good.shape == (5, 7200) and batch.flux.dtype == np.float32
    for i, spectrum in enumerate(spectra):
        for arm, part in ((spectrum.blue, slice(0, 3600)), (spectrum.red, slice(3600, 7200))):
            flux, good = batch.flux[i, part], batch.good[i, part]
            # The continuum is ≈ 1: the median of a line-rich arm sits just below it, the upper
            # envelope (90th percentile) just above.
            assert 0.97 < np.median(flux[good]) < 1.01
            assert 1.0 < np.percentile(flux[good], 90) < 1.08
            # Each masked native pixel masks the grid pixels that interpolate from it.
            native_bad = arm.wavelength[arm.masked]
            grid = WAVELENGTHS[part]
            inside = native_bad[(native_bad > grid[0] + 0.2) & (native_bad < grid[-1] - 0.2)]
            for wavelength in inside:
                nearest = np.argmin(np.abs(grid - wavelength))
                assert not good[nearest]
            assert np.all(flux[~good] == 1.0)
        assert np.all(batch.flux[i] >= -0.5) and np.all(batch.flux[i] <= 2.5)
    assert batch.masked_counts.tolist() == (~batch.good).sum(axis=1).tolist()
    assert batch.masked_counts[1] > 0  # ANDMASK pixels of the first epoch's blue arm
    x = batch.model_input()
    assert x.shape == (5, 7200, 2) and set(np.unique(x[..., 1])) <= {0.0, 1.0}


def test_rest_frame_shift_moves_a_line_by_its_doppler_shift():
    wavelength = np.linspace(4950, 5350, 4000)
    line = 5172.68
    rv = 60.0
    observed = line * (1 + rv / SPEED_OF_LIGHT_KMS)
    flux = 1.0 - 0.6 * np.exp(-0.5 * ((wavelength - observed) / 0.25) ** 2)
    red_wavelength = np.linspace(6300, 6750, 4000)
    masked = np.zeros(4000, bool)
    blue = (wavelength, flux[None], masked[None])
    red = (red_wavelength, np.ones((1, 4000)), masked[None])
    shifted = preprocess_arrays(blue, red, rv=rv)
    unshifted = preprocess_arrays(blue, red, rv=0.0)
    assert abs(BLUE_GRID[np.argmin(shifted.flux[0, :3600])] - line) <= 0.1
    assert abs(BLUE_GRID[np.argmin(unshifted.flux[0, :3600])] - observed) <= 0.1


def test_continuum_of_a_batch_recovers_a_known_slope():
    rng = np.random.default_rng(0)
    grid = BLUE_GRID
    slope = 1.0 + 0.3 * (grid - grid[0]) / 360.0
    lines = np.ones_like(grid)
    for centre in rng.uniform(grid[0], grid[-1], 60):
        lines -= 0.5 * np.exp(-0.5 * ((grid - centre) / 0.2) ** 2)
    flux = np.stack([100 * slope * lines, 50 * slope[::-1] * lines])
    good = np.ones_like(flux, bool)
    good[0, 1000:1100] = False
    flux[0, 1000:1100] = 1e6  # a masked cosmic ray must not pull the fit
    fitted = continuum(flux, good, grid)
    assert np.allclose(fitted[0], 100 * slope, rtol=0.01) and np.allclose(fitted[1], 50 * slope[::-1], rtol=0.01)


def test_resample_masks_outside_and_bad_pixels():
    wavelength = np.linspace(5000.0, 5300.0, 301)
    masked = np.zeros(301, bool)
    masked[150] = True
    values, good, coverage = resample(wavelength, np.ones(301), masked, BLUE_GRID)
    assert coverage == pytest.approx(3000 / 3600, abs=1e-3)
    assert not good[BLUE_GRID < 5000].any() and not good[BLUE_GRID > 5300].any()
    assert not good[np.argmin(np.abs(BLUE_GRID - 5150.0))]
    assert good[np.argmin(np.abs(BLUE_GRID - 5100.0))]


def test_an_arm_off_the_grid_is_refused(tmp_path):
    path = write_mrs(tmp_path / "off.fits")
    spectrum = read_mrs(path)
    preprocess([spectrum])  # on the grid: fine
    with pytest.raises(ValueError, match=r"off\.fits: the blue arm .* covers \d+% of RRNet's 4968–5328 Å window"):
        preprocess([spectrum], rv=20_000.0)
    with pytest.raises(ValueError, match=r"rv must be finite"):
        preprocess([spectrum], rv=np.nan)
