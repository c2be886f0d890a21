"""The console at a terminal: `standup` and `checkin` ask their form's questions one by one (the same
form Slack shows as a modal and Teams as a card), then send what was said as the typed commands."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from bot.bootstrap import build
from bot.clock import parse_instant
from bot.console import Console
from core.fakes import FixedClock

SETUP = [
    'team create payments "Payments"', "team add payments @bob --lead", "team add payments @carol",
    "@bob: rhythm set standup --days mon-fri --at 09:30 --tz UTC",
    '@bob: priority add "Checkout" --team payments --owner @carol',
    '@bob: priority add "Vault" --team payments --owner @carol',
]  # fmt: skip


def console(tmp_path: Path, answers: list[str]) -> tuple[Console, io.StringIO, list[str]]:
    app = build(database_url=f"sqlite:///{tmp_path / 'c.db'}")
    out = io.StringIO()
    asked: list[str] = []
    said: Iterator[str] = iter(answers)

    def ask(question: str) -> str:
        asked.append(question)
        return next(said)

    c = Console(app.uow_factory, FixedClock(parse_instant("2026-11-23T09:00Z")), "ada", out=out, ask=ask)
    for text in SETUP:
        c.feed(text)
    return c, out, asked


def test_standup_asks_each_question_and_records_the_answers(tmp_path: Path) -> None:
    c, out, asked = console(tmp_path, ["", "Shipped the vault", "Checkout API", "none", "", "", ""])
    c.move_time("2026-11-23T09:31Z")
    c.feed("@carol: standup")
    assert asked == [
        "What did you get done since last time?: ",
        "What did you get done since last time?: ",
        "What will you do next?: ",
        "Anything blocking you?: ",
    ]  # an empty answer is asked again
    assert "This one needs an answer" in out.getvalue()
    assert "Thanks: your stand-up for payments (Mon 2026-11-23) is in." in out.getvalue()
    c.feed("@carol: standup")  # again: what was said is offered, Enter keeps it
    assert asked[-1] == "Anything blocking you? [none]: "
    assert "Thanks: your stand-up for payments (Mon 2026-11-23) is updated." in out.getvalue()


def test_checkin_asks_about_each_priority_and_keeps_what_is_not_changed(tmp_path: Path) -> None:
    c, out, asked = console(tmp_path, ["at-risk", "60", "25", "Slipped a week", "", "", "", ""])
    c.feed("@carol: checkin")
    assert asked[:4] == ["Status (on-track/at-risk/off-track/done) [on-track]: ", "Confidence (0-100): ",
                         "Progress (0-100) [0]: ", "Note: "]  # fmt: skip
    text = out.getvalue()
    assert "P-1 Checkout updated: status on-track → at-risk, confidence none → 60, progress 0 → 25." in text
    assert "P-2 Vault confirmed unchanged: on-track, 0% done." in text


def test_a_script_on_stdin_still_gets_the_form_as_text(tmp_path: Path) -> None:
    app = build(database_url=f"sqlite:///{tmp_path / 'c.db'}")
    out = io.StringIO()
    c = Console(app.uow_factory, FixedClock(parse_instant("2026-11-23T09:00Z")), "ada", out=out)
    for text in SETUP:
        c.feed(text)
    c.feed("@carol: checkin")
    assert "Your weekly check-in: for each priority, say how it is going." in out.getvalue()
