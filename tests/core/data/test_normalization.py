import numpy as np
import pytest

from core.data import zscore


def test_statistics_of_the_mask_applied_to_every_element():
    rng = np.random.default_rng(0)
    array = rng.normal(5.0, 3.0, size=(4, 6, 5)).astype("float32")
    mask = np.zeros(array.shape, bool)
    mask[1:3, 2:5] = True
    normalized, mean, std = zscore(array, mask)
    assert normalized.dtype == np.float32 and normalized.shape == array.shape
    np.testing.assert_allclose((mean, std), (array[mask].mean(), array[mask].std()), rtol=1e-5)
    np.testing.assert_allclose(normalized, (array - mean) / std, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose((normalized[mask].mean(), normalized[mask].std()), (0.0, 1.0), atol=1e-5)
    assert abs(float(normalized[~mask].mean())) > 1e-3  # the rest is shifted, not re-normalised


@pytest.mark.parametrize("shape", [(50,), (7, 9), (2, 3, 4, 5)])
def test_any_rank_without_mask(shape):
    array = np.arange(np.prod(shape), dtype="int64").reshape(shape)
    normalized, mean, std = zscore(array)
    assert normalized.shape == shape and normalized.dtype == np.float32
    np.testing.assert_allclose(normalized * std + mean, array, atol=1e-3)
    np.testing.assert_allclose((normalized.mean(), normalized.std()), (0.0, 1.0), atol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match="constant"):
        zscore(np.ones((3, 3, 3), "float32"))
    with pytest.raises(ValueError, match="no element"):
        zscore(np.ones((3, 3)), np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match=r"mask.shape=\(3,\), array.shape=\(3, 3\)"):
        zscore(np.ones((3, 3)), np.ones(3, bool))
