import re

import numpy as np
import pytest

from core.checks import check_positive_int


def test_positive_integers_pass_as_python_ints():
    assert check_positive_int(1, "n") == 1
    value = check_positive_int(np.int64(7), "n")
    assert value == 7 and type(value) is int


@pytest.mark.parametrize("value", [0, -3, 2.0, "4", None, True, np.float32(3)])
def test_anything_else_is_refused_with_the_name(value):
    with pytest.raises(ValueError, match="^" + re.escape(f"`filters` must be a positive integer. Received: filters={value!r}") + "$"):
        check_positive_int(value, "filters")
