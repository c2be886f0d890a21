"""What leaders set, on SQLite and PostgreSQL: acknowledgements, briefing schedules and the claims that
send each person's weekly briefing once, even with several scheduler processes at the same instant."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, date, datetime, time

from core.acks import Ack
from core.briefing import MEMBER, ORG, BriefingSchedule, recipients
from core.model import Person, Team
from core.risks import RiskKind
from core.transfer import export_workspace, import_workspace
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.briefing_workers import briefing_week

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def test_acknowledgements_round_trip_one_per_subject_and_kind(uow_factory: SqlUnitOfWorkFactory) -> None:
    every = Ack("D-7", None, "bob", date(2026, 12, 15), "Vendor signs on the 14th", NOW, {"blocked_dependency": 62})
    one = Ack("D-7", RiskKind.OVERDUE_DEPENDENCY, "lena", date(2026, 12, 1), "“quoted” <!here>", NOW,
              {"overdue_dependency": 80})  # fmt: skip
    with uow_factory("acme") as uow:
        uow.acks.save(every)
        uow.acks.save(one)
        uow.acks.save(Ack("payments", None, "bob", date(2026, 12, 2), "first", NOW, {"team_overload": 40}))
        uow.acks.save(Ack("payments", None, "ada", date(2026, 12, 3), "renewed", NOW, {"team_overload": 41}))
        uow.commit()
    with uow_factory("acme") as uow:
        found = uow.acks.list()
        assert [(a.subject, a.kind, a.by, a.note) for a in found] == [
            ("D-7", None, "bob", "Vendor signs on the 14th"),
            ("D-7", RiskKind.OVERDUE_DEPENDENCY, "lena", "“quoted” <!here>"),
            ("payments", None, "ada", "renewed"),  # the same (subject, kind) replaced, not doubled
        ]
        assert found[0] == every and found[1] == one
        uow.acks.delete("D-7", None)
        uow.commit()
    with uow_factory("acme") as uow:
        assert [a.key for a in uow.acks.list()] == [("D-7", "overdue_dependency"), ("payments", "")]
    with uow_factory("other") as uow:
        assert uow.acks.list() == []


def test_briefing_schedules_and_claims(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        uow.briefings.save(BriefingSchedule("product", 0, time(8, 30), "Europe/Berlin"))
        uow.briefings.save(BriefingSchedule(ORG, 4, time(17, 0), MEMBER))
        uow.briefings.save(BriefingSchedule("product", 1, time(9, 0)))  # changed: replaces
        assert uow.briefings.claim("product", "paula", "2026-W48", NOW)
        assert not uow.briefings.claim("product", "paula", "2026-W48", NOW)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.briefings.list() == [BriefingSchedule(ORG, 4, time(17, 0), MEMBER),
                                        BriefingSchedule("product", 1, time(9, 0))]  # fmt: skip
        assert uow.briefings.get("nope") is None
        assert not uow.briefings.claim("product", "paula", "2026-W48", NOW)
        assert uow.briefings.claim("product", "paula", "2026-W49", NOW, "skipped")
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.briefings.claimed("product") == [("product", "paula", "2026-W48", "sent"),
                                                    ("product", "paula", "2026-W49", "skipped")]  # fmt: skip
    with uow_factory("other") as uow:
        assert uow.briefings.list() == [] and uow.briefings.claim("product", "paula", "2026-W48", NOW)


def test_export_import_round_trip_on_the_database(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        uow.people.save(Person("bob", "Bob", admin=True))
        uow.teams.save(Team("product", "Product", leads=["bob"], members=["bob"]))
        uow.teams.save(Team("payments", "Payments", parent="product", leads=["bob"], members=["bob"]))
        uow.acks.save(Ack("payments", None, "bob", date(2026, 12, 2), "on it", NOW, {"team_overload": 40}))
        uow.briefings.save(BriefingSchedule("product", 0, time(8, 30), "Europe/Berlin"))
        data = export_workspace(uow)
        uow.commit()
    with uow_factory("copy") as uow:
        import_workspace(uow, data)
        uow.commit()
    with uow_factory("copy") as uow:
        again = export_workspace(uow)
    assert again["acknowledgements"] == data["acknowledgements"] != []
    assert again["briefings"] == data["briefings"] != []


LEADS = 12
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC")


def test_three_schedulers_send_each_persons_briefing_once(uow_factory: SqlUnitOfWorkFactory, database_url: str) -> None:
    """Three processes tick the same week at the same instants; every lead and admin gets one briefing, in
    their own zone, and the claims record each one once."""
    with uow_factory("acme") as uow:
        people = [Person(f"lead{i}", f"Lead {i}", tz=ZONES[i % len(ZONES)]) for i in range(LEADS)]
        people += [Person("ada", "Ada", tz="Australia/Sydney", admin=True), Person("zed", "Zed", admin=True)]
        for p in people:
            uow.people.save(p)
        for g in range(LEADS // 2):
            parent = f"prog{g}"
            leads = [f"lead{2 * g}", f"lead{2 * g + 1}"]
            uow.teams.save(Team(parent, parent, leads=leads, members=leads))
            uow.teams.save(Team(f"team{g}", f"team{g}", parent=parent, leads=["zed"], members=["zed"]))
            uow.briefings.save(BriefingSchedule(parent, 0, time(8, 30), MEMBER))
        uow.briefings.save(BriefingSchedule(ORG, 0, time(8, 0), MEMBER))
        teams = list(uow.teams.list())
        uow.commit()
    expected = {f"briefing:prog{g}:2026-W49:@lead{n}" for g in range(LEADS // 2) for n in (2 * g, 2 * g + 1)}
    expected |= {f"briefing:{ORG}:2026-W49:@{p}" for p in recipients(ORG, teams, people)}
    start, end = datetime(2026, 11, 29, 0, 0, tzinfo=UTC), datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=briefing_week, args=(database_url, "acme", start, end, 45, barrier, out))
             for _ in range(3)]  # fmt: skip
    for p in procs:
        p.start()
    results = [out.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(q for _, q in results) == len(expected)  # queued once between them, whoever won each claim
    with uow_factory("acme") as uow:
        keys = Counter(m.key for m in uow.outbox.list())
        claims = uow.briefings.claimed()
        by_person = {m.person: m for m in uow.outbox.list()}
    assert set(keys) == expected and set(keys.values()) == {1}
    assert len(claims) == len(expected) and {c[3] for c in claims} == {"sent"}
    tokyo = by_person["lead2"]  # lead2 is in Tokyo: Monday 08:30 there is Sunday 23:30 UTC
    assert tokyo.created_at == datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert by_person["lead1"].created_at == datetime(2026, 11, 30, 13, 30, tzinfo=UTC)  # New York
    assert by_person["ada"].created_at == datetime(2026, 11, 29, 21, 0, tzinfo=UTC)  # Sydney, Monday 08:00
