"""Smoke mode: the same code path on tiny shapes and a few steps, for tests and quick checks.

Set the environment variable `RESUITE_SMOKE=1` and every notebook and every task's `demo`
runs its full story (data, training, evaluation, plots) at a budget of seconds instead of
minutes. The test suite sets it (`tests/conftest.py`); `make notebooks` unsets it and
re-executes the notebooks at their real budget, which is where quoted numbers come from.

Example:
```python
from core.smoke import budget, smoke_mode
epochs = budget(20, smoke=1)   # 20 normally, 1 under RESUITE_SMOKE=1
print("smoke" if smoke_mode() else "full", epochs)
```
"""

import os

SMOKE_ENV = "RESUITE_SMOKE"


def smoke_mode():
    """True when `RESUITE_SMOKE` is set to a true value ("1", "true", "yes")."""
    return os.environ.get(SMOKE_ENV, "").strip().lower() in ("1", "true", "yes")


def budget(full, smoke):
    """`smoke` under smoke mode, `full` otherwise.

    Args:
        full: the real value (epochs, steps, a shape, a dict of options, ...).
        smoke: the tiny value used under `RESUITE_SMOKE=1`.
    """
    return smoke if smoke_mode() else full
