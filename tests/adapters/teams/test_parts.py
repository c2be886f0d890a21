"""The Teams adapter's pure parts: mentions, rendering, card actions, retries, auth settings, the package."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import pytest

from bot.cli import main
from bot.settings import MissingSecret, Settings
from bot.teams import cards
from bot.teams.actions import NotACardAction, card_action
from bot.teams.auth import bot_config
from bot.teams.connector import RetryPolicy, conversation_of, retry_after
from bot.teams.mentions import command_text, with_handles
from bot.teams.package import PackageError, build_package, package_dir
from bot.teams.render import Names, markdown
from core import commands
from core.model import Blocker, Dependency
from core.offers import blocker_offers, dependency_offers
from core.reply import Mention, Quote, line
from tests.adapters.teams.conftest import NOW, card_validator, schema

BOT = "28:bot"


def test_mentions_become_placeholders_and_the_bot_goes() -> None:
    entities = [
        {"type": "mention", "text": "<at>Flotilla</at>", "mentioned": {"id": BOT, "name": "Flotilla"}},
        {"type": "mention", "text": "<at>Lena Ng</at>", "mentioned": {"id": "29:lena", "name": "Lena Ng"}},
        {"type": "mention", "text": "<at>Lena Ng</at>", "mentioned": {"id": "29:lena", "name": "Lena Ng"}},
    ]
    text, people = command_text('<at>Flotilla</at> dep accept D-1 --owner <at>Lena Ng</at>&nbsp;'
                                '"thanks <at>Lena Ng</at>"', entities, BOT)  # fmt: skip
    assert [p.id for p in people] == ["29:lena", "29:lena"]
    assert with_handles(text, people, ["aad-l", "aad-l"]) == 'dep accept D-1 --owner <at:aad-l> "thanks Lena Ng"'


def test_html_from_rich_messages_is_plain_text() -> None:
    text, _ = command_text("<p>team show</p><p>&lt;x&gt; &amp;</p>", [], BOT)
    assert text == "team show\n<x> &"


def test_markdown_neutralises_user_text() -> None:
    out = markdown([line("B-1 raised: ", Quote("<at>Eve</at> @channel *bold* [x](y)"), " by ", Mention("u1"))],
                   Names(person=lambda h: "Ada"))  # fmt: skip
    assert "<at>" not in out and "@channel" not in out
    assert "\\*bold\\*" in out and "**Ada**" in out


def test_cards_validate_and_the_schema_is_strict() -> None:
    v = card_validator()
    names = Names()
    ask = dependency_offers(Dependency(1, "a", "b", "w", date(2026, 12, 1), NOW, NOW), provider=True)
    resolve = blocker_offers(Blocker(1, "b", "U1", NOW))
    for card in (cards.message_card([line("ask")], ask, names), cards.message_card([line("b")], resolve, names),
                 cards.recorded([line("ok")], names, "Ada"), cards.refused("no", "dep accept D-n")):  # fmt: skip
        assert not list(v.iter_errors(card))
    assert list(v.iter_errors({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "bogus": 1}]}))


def test_card_actions_are_commands() -> None:
    assert card_action({"flotilla": "dep.accept", "subject": "d-3"}).commands == (commands.DepAccept(3),)
    assert card_action({"subject": "D-3", "reason": " late "}, "dep.decline").commands == (
        commands.DepDecline(3, "late"),)  # fmt: skip
    assert card_action({"flotilla": "blocker.resolve", "blocker": "B-2"}).commands == (commands.BlockerResolve(2),)
    assert card_action({"flotilla": "dep.accept", "dep": "D-4"}).commands == (commands.DepAccept(4),)  # an old card
    for bad in ({"flotilla": "dep.accept", "dep": "P-3"}, {"flotilla": "rm"}, "x"):
        with pytest.raises(NotACardAction):
            card_action(bad)


def test_retry_after_and_backoff() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert retry_after("7") == 7.0
    assert retry_after("Mon, 23 Nov 2026 09:00:30 GMT", now=lambda: now) == 30.0
    assert retry_after("soon") is None and retry_after(None) is None
    policy = RetryPolicy(pacer=None, jitter=lambda: 1.0)  # type: ignore[arg-type]
    assert [policy.backoff(a, None) for a in (1, 2, 3, 10)] == [0.5, 1.0, 2.0, 30.0]
    assert policy.backoff(1, 4.0) >= 4.0
    assert conversation_of("https://x/v3/conversations/19%3Aa%40thread.tacv2/activities/1") == "19:a@thread.tacv2"
    assert conversation_of("https://x/v3/conversations/c/members/m") is None


APP_ID = "7d4e0b6a-1c2f-4b8e-9a51-3f0e2d1c4b5a"


def test_auth_settings(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert bot_config(Settings(_env_file=None, microsoft_app_id=""), insecure_local=True).APP_ID == ""
    assert "authentication is OFF" in caplog.text
    with pytest.raises(MissingSecret, match="MICROSOFT_APP_PASSWORD"):
        bot_config(Settings(_env_file=None, microsoft_app_id=APP_ID, microsoft_app_password="changeme"))
    with pytest.raises(MissingSecret, match="MICROSOFT_APP_TENANT_ID"):
        bot_config(Settings(_env_file=None, microsoft_app_id=APP_ID, microsoft_app_password="s3cr3t-value",
                            microsoft_app_type="SingleTenant"))  # fmt: skip
    with pytest.raises(MissingSecret, match="MICROSOFT_APP_TYPE"):
        bot_config(Settings(_env_file=None, microsoft_app_id=APP_ID, microsoft_app_type="Sometimes"))
    ok = bot_config(Settings(_env_file=None, microsoft_app_id=APP_ID, microsoft_app_password="s3cr3t-value"))
    assert (ok.APP_ID, ok.APP_TYPE) == (APP_ID, "MultiTenant")


MICROSOFT = ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TYPE", "MICROSOFT_APP_TENANT_ID")


@pytest.fixture
def no_microsoft_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Every test starts with the platform's variables cleared (and no .env in its directory)."""
    for name in MICROSOFT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "MICROSOFT_APP_ID"),  # nothing at all: no silent auth-off start
        ({"MICROSOFT_APP_PASSWORD": "a-real-looking-secret"}, "MICROSOFT_APP_ID"),  # a password alone
        ({"MICROSOFT_APP_ID": "<app id>", "MICROSOFT_APP_PASSWORD": "s3cr3t-value"}, "MICROSOFT_APP_ID"),
        ({"MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000000", "MICROSOFT_APP_PASSWORD": "s3cr3t-value"},
         "MICROSOFT_APP_ID"),
        ({"MICROSOFT_APP_ID": "my-bot", "MICROSOFT_APP_PASSWORD": "s3cr3t-value"}, "MICROSOFT_APP_ID"),
        ({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "<client secret>"}, "MICROSOFT_APP_PASSWORD"),
        ({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "your-client-secret"}, "MICROSOFT_APP_PASSWORD"),
        ({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "${MICROSOFT_APP_PASSWORD}"},
         "MICROSOFT_APP_PASSWORD"),
        ({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "xxxxxxxx"}, "MICROSOFT_APP_PASSWORD"),
        ({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_TYPE": "SingleTenant", "MICROSOFT_APP_PASSWORD": "s3cr3t-v",
          "MICROSOFT_APP_TENANT_ID": "<tenant id>"}, "MICROSOFT_APP_TENANT_ID"),
    ],
)  # fmt: skip
def test_serve_teams_refuses_to_start_with_one_line_naming_the_variable(
    no_microsoft_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], named: str
) -> None:
    for name, value in env.items():
        no_microsoft_env.setenv(name, value)
    started: list[object] = []
    no_microsoft_env.setattr("bot.teams.serve.web.run_app", lambda app, **kw: started.append(app))
    assert main(["serve", "teams", "--db", "sqlite:///never.db"]) == 1
    assert not started
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err and "Traceback" not in err, err
    for value in env.values():
        assert value not in err or value == named  # a secret is never echoed
    assert not Path("never.db").exists()  # refused before anything was opened


def test_insecure_local_starts_without_an_app_id_and_says_so(no_microsoft_env: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in MICROSOFT}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "teams", "--insecure-local", "--no-scheduler", "--port", "0",
         "--host", "127.0.0.1", "--db", f"sqlite:///{tmp_path / 'local.db'}"],
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        seen = []
        for text in proc.stderr:
            seen.append(text)
            if "Flotilla for Microsoft Teams on" in text:
                break
        assert any("--insecure-local: Bot Framework authentication is OFF" in t for t in seen), seen
        assert "(auth OFF)" in seen[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_manifest_validates_against_the_teams_schema() -> None:
    manifest = json.loads((package_dir() / "manifest.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema("teams-manifest/MicrosoftTeams.schema.1.19.json",
                                                  "MicrosoftTeams.schema.1.19.json"))  # fmt: skip
    assert not list(validator.iter_errors(manifest))
    bot = manifest["bots"][0]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert sorted(s for c in bot["commandLists"] for s in c["scopes"]) == ["groupChat", "personal", "team"]
    assert png_header(package_dir() / "color.png")[:2] == (192, 192)
    assert png_header(package_dir() / "outline.png") == (32, 32, 6)  # 6: RGBA, so it can be transparent


def png_header(path: Path) -> tuple[int, int, int]:
    """(width, height, colour type) from the PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), data[25]


def test_teams_package_fills_in_the_app_id(tmp_path: Path) -> None:
    app_id = "7d4e0b6a-1c2f-4b8e-9a51-3f0e2d1c4b5a"
    out = tmp_path / "app.zip"
    assert main(["teams-package", "--app-id", app_id, "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["id"] == app_id and manifest["bots"][0]["botId"] == app_id
    with pytest.raises(PackageError):
        build_package(tmp_path / "x.zip", "not-a-guid")
    assert main(["teams-package", "--app-id", "nope", "--out", str(tmp_path / "y.zip")]) == 2


def test_a_notice_too_long_for_one_message_is_cut_between_lines_and_says_so() -> None:
    """A notice is one outbox message: it is cut to what Teams holds, counted in UTF-16 (an emoji is 4 bytes)."""
    from bot.teams import size
    from bot.teams.render import NOTICE_ROOM

    lines = [line(f"Missing from the stand-up of team {i}: ", Mention(f"u{i}"), " 🚀" * 40) for i in range(400)]
    text = markdown(lines, Names(person=lambda h: f"Person {h}"))
    assert size.escaped(text) <= NOTICE_ROOM < size.LIMIT
    assert text.endswith("(cut: the rest is too long for one Teams message)")
    assert "Missing from the stand-up of team 0: **Person u0**" in text and "team 399" not in text
