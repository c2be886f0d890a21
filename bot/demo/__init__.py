"""`flotilla demo`: a realistic organisation in a local SQLite file, built and toured through the
same command grammar every adapter uses. No credentials, no server."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from faker import Faker
from sqlalchemy import inspect
from sqlmodel import SQLModel

from bot.bootstrap import build
from bot.console import Console
from core.fakes import FixedClock
from storage import make_engine, workspaces

WORKSPACE = "demo"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday: three weeks of history, then the tour
TOUR = START + timedelta(days=21, hours=1)
MAX_MEMBERS = 10
ADMIN = "ada"


class DemoError(RuntimeError):
    """A demo step was refused: the demo script and the product disagree."""


def load_tree() -> list[dict[str, Any]]:
    text = resources.files("bot.demo").joinpath("org-tree-rust-project.json").read_text(encoding="utf-8")
    tree: list[dict[str, Any]] = json.loads(text)
    return tree


def team_name(handle: str) -> str:
    words = handle.split("-")
    special = {
        "wg": "WG", "fcp": "FCP", "llvm": "LLVM", "gcc": "GCC", "cli": "CLI", "io": "io", "rs": "rs",
        "mir": "MIR", "llms": "LLMs", "devex": "DevEx", "opsem": "OpSem", "twir": "TWiR", "simd": "SIMD",
    }  # fmt: skip
    return " ".join(special.get(w, w.capitalize()) for w in words)


def parents_first(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_parent: dict[str | None, list[dict[str, Any]]] = {}
    for t in tree:
        by_parent.setdefault(t["parent"], []).append(t)
    ordered: list[dict[str, Any]] = []

    def walk(parent: str | None) -> None:
        for t in sorted(by_parent.get(parent, []), key=lambda t: t["handle"]):
            ordered.append(t)
            walk(t["handle"])

    walk(None)
    return ordered


def generate_people(count: int, seed: int) -> list[str]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    handles: list[str] = []
    seen = {ADMIN}
    while len(handles) < count:
        first, last = fake.first_name().lower(), fake.last_name().lower()
        for candidate in (first, f"{first}.{last[0]}", f"{first}.{last}"):
            if re.fullmatch(r"[a-z][a-z.]{1,30}", candidate) and candidate not in seen:
                seen.add(candidate)
                handles.append(candidate)
                break
    return handles


class Demo:
    def __init__(self, console: Console, clock: FixedClock, seed: int) -> None:
        self.console, self.clock = console, clock
        self.rng = random.Random(seed)
        self.seed = seed
        self.leads: dict[str, list[str]] = {}
        self.members: dict[str, list[str]] = {}

    def do(self, text: str, speaker: str = ADMIN) -> None:
        outcome = self.console.command(text, speaker)
        if outcome.refused:
            raise DemoError(f"demo step refused: {text!r}: {outcome.reply.lines}")

    def at(self, when: datetime) -> None:
        """Move the clock without running the rhythm on the way (building history)."""
        self.clock.set(when)
        self.console.ticked_until = when

    def rhythm_week(self, step: Callable[..., None]) -> None:
        """A simulated week of the operating rhythm: cargo's stand-up on Tuesday (prompts, answers,
        a blocker, a reminder, the digest, a late answer), then compiler's weekly check-in on Friday."""
        lead, dev, away, quiet = (self.lead("cargo"), self.member("cargo", 1), self.member("cargo", 2),
                                  self.member("cargo", 3))  # fmt: skip
        owner = self.lead("compiler")
        step(
            "The operating rhythm: a lead sets the team's stand-up and weekly check-in",
            f"@{lead}: rhythm set standup --team cargo --days mon-fri --at 09:30 --tz Europe/Berlin --digest 11:00",
            f"@{owner}: rhythm set weekly --team compiler --day fri --at 14:00",
            f"@{away}: away tomorrow +2d",
        )
        step(
            "Tuesday 09:30 in Berlin: everyone in cargo is asked, except who is away",
            "!time 2026-11-24T08:30:00+00:00",
            f'@{dev}: standup "Reviewed the 2027 lint PRs" "Land cargo fix for the new lints" "none"',
            f'@{quiet}: standup "Publish API client" "Token rotation" "Waiting on crates-io for D-1"',
        )
        step(
            "An hour later, one reminder to those who have not answered; at 11:00 the digest",
            "!time 2026-11-24T09:30:00+00:00",
            "!time 2026-11-24T10:00:00+00:00",
            f'@{lead}: standup "Triage" "Edition planning" "-"',
        )
        step(
            "cargo pauses its stand-up for release week; Friday is compiler's weekly check-in",
            f"@{lead}: rhythm pause --team cargo",
            "!time 2026-11-27T14:00:00+00:00",
            f'@{owner}: checkin P-5 --confidence 35 --note "Deadlock fix is in review; D-3 still blocked"',
            "!time 2026-11-27T18:00:00+00:00",
            f"@{owner}: team show compiler",
        )

    def lead(self, team: str) -> str:
        return (self.leads.get(team) or self.members[team])[0]

    def member(self, team: str, n: int = 0) -> str:
        people = [p for p in self.members[team] if p not in self.leads.get(team, [])] or self.members[team]
        return people[n % len(people)]

    def build_org(self) -> None:
        tree = parents_first(load_tree())
        pool = generate_people(320, self.seed)
        for t in tree:
            h = t["handle"]
            parent = f" --parent {t['parent']}" if t["parent"] else ""
            self.do(f'team create {h} "{team_name(h)}"{parent}')
            size = min(max(t["members"], t["leads"], 1), MAX_MEMBERS)
            people = self.rng.sample(pool, size)
            leads = people[: min(t["leads"], size, 2)] if t["leads"] else []
            if leads:
                self.do(f"team add {h} {' '.join('@' + p for p in leads)} --lead")
            rest = [p for p in people if p not in leads]
            if rest:
                self.do(f"team add {h} {' '.join('@' + p for p in rest)}")
            self.leads[h], self.members[h] = leads, people

    def build_plan(self) -> None:
        org = [
            ("Ship the Rust 2027 edition", "Edition 2027 is stable, with a migration lint for every change", "+16w"),
            ("Halve incremental compile times", "Median incremental rebuild of the top 100 crates under half of today's", "+20w"),  # noqa: E501
            ("Secure the crate supply chain", "Every crate published by trusted publishing; releases signed", "+24w"),
            ("Grow maintainers in every team", "No team depends on a single reviewer", "+26w"),
        ]  # fmt: skip
        for title, outcome, due in org:
            self.do(f'priority add "{title}" --team org --outcome "{outcome}" --due {due} --owner @{ADMIN}')
        plan = [  # (team, title, parent, due, owner?)
            ("compiler", "Parallel front end on by default", "P-2", "+12w", True),  # P-5
            ("lang", "Finalise edition 2027 language changes", "P-1", "+8w", True),  # P-6
            ("libs", "Edition 2027 prelude changes stabilised", "P-1", "+9w", True),  # P-7
            ("devtools", "Edition migration tooling for 2027", "P-1", "+10w", True),  # P-8
            ("cargo", "cargo fix --edition handles every 2027 lint", "P-8", "+7w", True),  # P-9
            ("infra", "Sign every release artifact", "P-3", "+10w", True),  # P-10
            ("crates-io", "Trusted publishing for crates.io", "P-3", "+6w", True),  # P-11
            ("wg-parallel-rustc", "Deadlock-free query system", "P-5", "+5w", True),  # P-12
            ("release", "Reproducible release builds", "P-10", "+8w", False),  # P-13: no owner
            ("launching-pad", "Mentoring programme for new maintainers", "P-4", "+12w", False),  # P-14
            ("clippy", "Edition 2027 lint group", None, "+6w", True),  # P-15: not aligned
            ("rustdoc", "Docs for edition 2027 migration", "P-8", "+6w", True),  # P-16
        ]
        for team, title, parent, due, owned in plan:
            owner = f" --owner @{self.lead(team)}" if owned and (self.leads[team] or self.members[team]) else ""
            par = f" --parent {parent}" if parent else ""
            self.do(f'priority add "{title}" --team {team}{par} --due {due}{owner}')

    def build_history(self) -> None:
        """Three weeks of work: requests answered, blocked, declined, delivered; blockers; updates."""
        self.at(START + timedelta(hours=2))
        requests = [  # (requesting team, providing team, what, needed by, for): D-1 .. D-7
            ("cargo", "crates-io", "Publish API for trusted publishing tokens", "+3w", "P-9"),
            ("lang", "compiler", "Lint infrastructure for edition 2027 migrations", "+5w", "P-6"),
            ("libs", "types", "New trait solver behind a flag", "+4w", "P-7"),
            ("compiler", "infra", "Bigger CI runners for parallel front-end benchmarks", "+2w", "P-5"),
            ("clippy", "lang", "Frozen list of edition 2027 lints", "+2w", "P-15"),
            ("rustdoc", "libs", "Stable API for doc aliases", "+3w", "P-16"),
            ("infra", "release", "Signing keys in the release pipeline", "+2w", "P-10"),
        ]
        for frm, to, what, by, for_ in requests:
            self.do(f'dep request {to} "{what}" --by {by} --for {for_} --team {frm}', self.member(frm))

        self.at(START + timedelta(days=1, hours=3))
        self.do("dep accept D-1 --commit +4w", self.member("crates-io"))  # commits after needed-by
        self.do("dep accept D-3", self.member("types"))
        self.do('dep decline D-4 "CI budget frozen until the new year"', self.lead("infra"))
        self.do("dep accept D-5", self.member("lang"))
        self.do("dep accept D-6", self.member("libs"))
        self.do("dep accept D-7", self.member("release"))
        self.do('blocker add "Perf runners keep timing out on the parallel benchmarks" --team wg-parallel-rustc',
                self.member("wg-parallel-rustc"))  # B-1  # fmt: skip
        self.do("priority update P-5 --confidence 80 --progress 20", self.lead("compiler"))

        self.at(START + timedelta(days=8, hours=1))
        self.do("dep done D-5", self.member("lang"))
        self.do('dep block D-3 "Waiting on the coherence rewrite in the trait solver"', self.member("types"))
        self.do("dep cancel D-6", self.member("rustdoc"))
        self.do('blocker add "No reviewer for the 2027 prelude PRs while two leads are away" --on P-7 --team libs',
                self.member("libs"))  # B-2  # fmt: skip
        self.do('blocker add "Release signing needs an HSM we have not ordered" --on D-7 --team release',
                self.member("release"))  # B-3  # fmt: skip
        self.do("priority update P-5 --confidence 70 --progress 30 --note \"CI runners declined; benchmarking on "
                "donated hardware\"", self.lead("compiler"))  # fmt: skip
        self.do("priority update P-11 --progress 40 --confidence 85", self.lead("crates-io"))
        self.do("blocker resolve B-1", self.member("wg-parallel-rustc"))

        self.at(START + timedelta(days=15, hours=2))
        self.do('priority update P-5 --status at-risk --confidence 45 --progress 35 --note "Deadlocks under '
                'high thread counts; D-3 blocked"', self.lead("compiler"))  # fmt: skip
        self.do("priority update P-9 --progress 50 --confidence 75", self.lead("cargo"))
        self.do("priority update P-6 --progress 60 --confidence 80", self.lead("lang"))
        self.do('priority drop P-16 "Folded into the edition guide"', self.lead("rustdoc"))
        self.do("priority done P-12", self.lead("wg-parallel-rustc"))
        # the scheduler ran through those weeks: the slip alerts of that history are behind us
        self.console.feed(f"!time {(START + timedelta(days=15, hours=2, minutes=1)).isoformat()}")

    def tour(self, out: TextIO) -> None:
        c = self.console
        cargo_dev, compiler_lead, infra_lead = self.member("cargo", 1), self.lead("compiler"), self.lead("infra")
        self.at(TOUR)
        c.out, c.echo = out, True

        def step(title: str, *lines: str) -> None:
            print(f"\n── {title} " + "─" * max(0, 70 - len(title)), file=out)
            for text in lines:
                c.feed(text)

        step("What can I say?", "help dep")
        step("The team tree (one program of it)", "team show devtools")
        step("The organisation's priorities and how they align", "priority list", "priority show P-5")
        rustup, cargo_lead = self.member("rustup"), self.lead("cargo")
        step(
            "A cross-team request, negotiated: the provider proposes another date, the requester agrees",
            f'@{cargo_dev}: dep request rustup "Toolchain channel for 2027 previews" --by +2w --for P-9 --team cargo',
            f'@{rustup}: dep propose D-8 +3w "The channel needs the new release pipeline first"',
            f"@{cargo_lead}: dep agree D-8",
        )
        step(
            "A re-plan past the needed-by date: at the scheduler's next tick every owner up the chain to the "
            "org priority hears, once",
            f'@{rustup}: dep commit D-8 +7w "The release pipeline migration slipped a month"',
            f"!time {(TOUR + timedelta(minutes=30)).isoformat()}",
            f"@{cargo_lead}: me",
        )
        step("Dependencies into and out of the compiler team", "dep list --team compiler")
        step(
            "Delivered: the waiting team's channel, its owners and everyone a slip alert reached hear it",
            f"@{rustup}: dep done D-8",
        )
        step(
            "Blockers: anyone can raise one; user text never pings anyone",
            f'@{compiler_lead}: blocker add "@here CI on aarch64 is red again <!channel>" --on infra --team compiler',
            "blocker list --team infra",
        )
        step(
            "A status change, with a note, goes into the history",
            f'@{compiler_lead}: priority update P-5 --confidence 40 --note "Still waiting on D-3"',
            "history --team compiler --since 2026-11-16",
        )
        step("My view", f"@{compiler_lead}: me")
        step(
            "Bad input gets one clear line and changes nothing",
            "dep accept D-99",
            f"@{compiler_lead}: priority update P-5 --confidence 140",
            f'@{cargo_dev}: dep request crates-io "Old request" --by 2020-01-01 --team cargo',
            f"@{infra_lead}: priority done P-5",
            'priority add "Unterminated',
        )
        step("Machine-readable output for scripts", "blocker list --team infra --json")
        self.rhythm_week(step)
        step("Risks, ranked: what to act on first, with the ids and who acts", "risks")
        step("Where are we at risk, and why? The leaders' summary", "summary")
        step(
            "A risk the team owns: acknowledged until a date, it leaves the top list and the ladder",
            f'@{self.member("types")}: risks ack D-3 --until +2w "Coherence rewrite lands next week; re-plan if not"',
            "risks acks",
        )
        step(
            "The weekly leader briefing (it comes by itself each Monday once set; here on demand)",
            "rhythm set briefing --team org --day mon --at 08:30",
            "briefing --team org",
        )
        step("The dependency map (a picture: risky dependencies in red and amber)", "map")


def _fresh_sqlite(db_url: str) -> str | None:
    """Start the demo from scratch, but only ever delete a file that holds nothing but an earlier
    demo: any other workspace in it means it is somebody's data. Returns why it refused, or None."""
    m = re.match(r"^sqlite:///(.+)$", db_url)
    if not m or m.group(1) == ":memory:" or not Path(m.group(1)).exists():
        return None
    engine = make_engine(db_url)
    try:
        # Look before anything is migrated: `workspaces()` would first add Flotilla's tables to
        # whatever the file is, and a file of somebody else's tables would then look empty.
        foreign = set(inspect(engine).get_table_names()) - set(SQLModel.metadata.tables) - {"alembic_version"}
        if foreign:
            others = [f"tables that are not Flotilla's: {', '.join(sorted(foreign)[:3])}"]
        else:
            others = [w for w in workspaces(engine) if w != WORKSPACE]
    except Exception:  # not a database at all
        others = ["something that is not a Flotilla database"]
    finally:
        engine.dispose()
    if others:
        return (f"{m.group(1)} already holds other data ({', '.join(others[:3])}); "
                "the demo needs a file of its own: give --db sqlite:///flotilla-demo.db")  # fmt: skip
    for suffix in ("", "-wal", "-shm"):
        Path(m.group(1) + suffix).unlink(missing_ok=True)
    return None


def run_demo(db_url: str, seed: int, out: TextIO) -> int:
    if not db_url.startswith("sqlite"):
        print("The demo writes a local SQLite file: give --db sqlite:///PATH.", file=out)
        return 2
    refused = _fresh_sqlite(db_url)
    if refused:
        print(refused, file=out)
        return 2
    app = build(database_url=db_url)
    clock = FixedClock(START)
    console = Console(app.uow_factory, clock, ADMIN, workspace=WORKSPACE, services=app.services)
    demo = Demo(console, clock, seed)
    try:
        print("Flotilla demo: building the Rust project's 123 teams with generated people, "
              "priorities, dependencies and three weeks of history…", file=out)  # fmt: skip
        demo.build_org()
        demo.build_plan()
        demo.build_history()
        demo.tour(out)
        resume = clock.now() + timedelta(minutes=1)  # after the tour's last events: `history` there is the past
    finally:
        app.close()
    carry_on = (
        f"flotilla console --db {db_url} --workspace {WORKSPACE} --as {ADMIN} --clock fake --now {resume.isoformat()}"
    )
    print(f"\nThe demo organisation is in {db_url}. Carry on with:\n  {carry_on}", file=out)
    return 0
