from core.smoke import SMOKE_ENV, budget, smoke_mode


def test_budget_follows_the_environment(monkeypatch):
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False), ("no", False)):
        monkeypatch.setenv(SMOKE_ENV, value)
        assert smoke_mode() is expected
        assert budget(20, smoke=1) == (1 if expected else 20)
    monkeypatch.delenv(SMOKE_ENV)
    assert budget({"epochs": 20}, smoke={"epochs": 1}) == {"epochs": 20}
