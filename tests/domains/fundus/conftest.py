"""The real fundus samples (skimage's retina and microaneurysms), fetched by `resuite data fetch`."""

import numpy as np
import pytest

from core.data import samples


@pytest.fixture(scope="session")
def retina_path():
    return samples.fetch("fundus.retina", verbose=False)


@pytest.fixture(scope="session")
def retina(retina_path):
    from domains.fundus.preprocessing import read_fundus

    return read_fundus(retina_path)


@pytest.fixture(scope="session")
def microaneurysms():
    from PIL import Image

    return np.asarray(Image.open(samples.fetch("fundus.microaneurysms", verbose=False)))
