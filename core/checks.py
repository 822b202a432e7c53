"""Argument checks shared by the suite, with errors in one format."""

import numbers


def check_positive_int(value, name):
    """`value` as an int if it is a positive integer, else a ValueError naming `name`.

    Booleans are refused (`True` is an `int` in Python, never a meant count).

    Args:
        value: the argument to check (a Python or NumPy integer).
        name: str. The argument's name, for the message.

    Returns:
        `int(value)`.

    Example:
    ```python
    filters = check_positive_int(64, "filters")   # 64
    try:
        check_positive_int(0, "filters")
    except ValueError as error:
        print(error)   # `filters` must be a positive integer. Received: filters=0
    ```
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)
