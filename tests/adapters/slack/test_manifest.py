"""manifest.yaml: valid against Slack's official schema, and exactly what the code uses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from bot.slack.app import BOT_SCOPES
from bot.slack.listeners.commands import COMMAND
from bot.slack.listeners.events import EVENTS

ROOT = Path(__file__).resolve().parents[3]
SHARED_SCHEMAS = ROOT.parent / "shared" / "schemas" / "slack-manifest"
SCHEMAS = SHARED_SCHEMAS if SHARED_SCHEMAS.is_dir() else ROOT / "tests" / "fixtures" / "slack" / "schemas"
"""Slack's manifest schema: beside the checkout (../shared), else the copy in tests/fixtures."""
REMOTE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"

# Each Web API method the adapter calls, and the bot scope Slack requires for it.
METHOD_SCOPES: dict[str, str | tuple[str, ...] | None] = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "users_info": "users:read",
    "views_publish": None,
    "views_open": None,
    "conversations_open": "im:write",
    "files_upload_v2": "files:write",
    # The outbox reads a conversation back before it resends a message whose first send may have
    # arrived (bot.slack.delivery): channels, private channels and DMs; a public channel it has not
    # joined, it joins first.
    "conversations_history": ("channels:history", "groups:history", "im:history"),
    "conversations_replies": ("channels:history", "groups:history", "im:history"),
    "conversations_join": "channels:join",
}


def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yaml").read_text())  # type: ignore[no-any-return]


def validator() -> Draft7Validator:
    if not SCHEMAS.is_dir():
        pytest.skip(f"Slack's manifest schema is not beside the checkout ({SCHEMAS})")
    registry: Registry = Registry()
    for version in ("1.0.0", "2.0.0"):
        schema = json.loads((SCHEMAS / f"manifest.schema.{version}.json").read_text())
        registry = registry.with_resource(REMOTE + f"manifest.schema.{version}.json", Resource.from_contents(schema))
    top = json.loads((SCHEMAS / "manifest.schema.json").read_text())
    return Draft7Validator(top, registry=registry)


def test_manifest_is_valid_against_slacks_schema() -> None:
    errors = sorted(validator().iter_errors(manifest()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_schema_check_has_teeth() -> None:
    broken = manifest()
    broken["settings"]["event_subscriptions"]["bot_events"] = ["no_such_event!"]
    broken["features"]["slash_commands"][0]["command"] = "flotilla"
    assert list(validator().iter_errors(broken))


def test_scopes_events_and_commands_are_exactly_what_the_code_uses() -> None:
    m = manifest()
    assert sorted(m["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert "user" not in m["oauth_config"]["scopes"]
    assert sorted(m["settings"]["event_subscriptions"]["bot_events"]) == sorted(EVENTS)
    assert [c["command"] for c in m["features"]["slash_commands"]] == [COMMAND]
    assert m["features"]["slash_commands"][0]["should_escape"] is True  # the grammar reads <@U…> escapes
    assert m["settings"]["interactivity"]["is_enabled"] is True  # buttons and the decline form
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    for url in (m["settings"]["event_subscriptions"]["request_url"], m["settings"]["interactivity"]["request_url"],
                m["features"]["slash_commands"][0]["url"]):  # fmt: skip
        assert url.endswith("/slack/events")
    assert m["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")


def test_every_web_api_method_the_adapter_calls_is_covered_by_a_scope() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "bot" / "slack").rglob("*.py"))
    called = set(re.findall(r"client\.([a-z]+_[A-Za-z0-9_]+)(?=\(|,)", source))  # a call, or handed to partial
    assert called, "found no Web API calls"
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add these methods (and their scopes) to the manifest check: {unknown}"
    needed = {s for m, scopes in METHOD_SCOPES.items() if m in called and scopes
              for s in ((scopes,) if isinstance(scopes, str) else scopes)}  # fmt: skip
    needed |= {"commands", "app_mentions:read", "chat:write.public"}  # the slash command, the event, home channels
    assert needed == set(BOT_SCOPES)


def test_each_mode_refuses_to_start_without_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing or placeholder secret stops `serve slack` at once, naming it (never its value)."""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    from bot.settings import MissingSecret, Settings
    from bot.slack.app import mode_of, require_secrets

    cases = [
        (Settings(slack_bot_token="xoxb-1", _env_file=None), False, "SLACK_SIGNING_SECRET"),  # type: ignore[call-arg]
        (Settings(slack_signing_secret="s3", _env_file=None), False, "SLACK_BOT_TOKEN"),  # type: ignore[call-arg]
        (Settings(slack_bot_token="xoxb-1", _env_file=None), True, "SLACK_APP_TOKEN"),  # type: ignore[call-arg]
    ]
    for settings, socket, missing in cases:
        with pytest.raises(MissingSecret, match=missing):
            require_secrets(settings, mode_of(settings, socket))
