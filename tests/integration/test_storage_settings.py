"""Per-workspace settings: JSON values by key, isolated per workspace, rolled back like the rest."""

from __future__ import annotations

from storage.uow import SqlUnitOfWorkFactory


def test_settings_round_trip_and_isolation(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("a") as uow:
        assert uow.settings.get("risk.thresholds") is None
        uow.settings.set("risk.thresholds", {"stale_days": 14, "overload": [5, 8]})
        uow.settings.set("locale", "en")
        uow.commit()
    with uow_factory("a") as uow:
        assert uow.settings.get("risk.thresholds") == {"stale_days": 14, "overload": [5, 8]}
        assert uow.settings.all() == {"locale": "en", "risk.thresholds": {"stale_days": 14, "overload": [5, 8]}}
        uow.settings.set("locale", "fr")  # not committed
    with uow_factory("a") as uow:
        assert uow.settings.get("locale") == "en"
    with uow_factory("b") as uow:
        assert uow.settings.all() == {}
