"""`flotilla serve slack` refuses to start on a missing, placeholder or refused secret, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import MissingSecret, Settings, is_placeholder
from tests.adapters.slack.conftest import SIGNING_SECRET
from tests.adapters.slack.standin import BOT_TOKEN, SlackStandIn

SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID",
                   "SLACK_CLIENT_SECRET", "FLOTILLA_SLACK_API_URL", "FLOTILLA_DATABASE_URL")  # fmt: skip


@pytest.mark.parametrize(
    "value",
    ["", "   ", "<token>", "<your bot token>", "your-token", "xoxb-your-token", "your_signing_secret",
     "${SLACK_BOT_TOKEN}", "$SLACK_BOT_TOKEN", "xxx", "xxxxxxxx", "xoxb-xxxx-xxxx", "xapp-xxx", "changeme",
     "ChangeMe", "xoxb-changeme", "00000000-0000-0000-0000-000000000000", "placeholder", "TODO"],
)  # fmt: skip
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    ["xoxb-2141029472-6912026497-e1b9e11dfcd19c1982d5de12", "8f2a9c0d1e7b6a5f4e3d2c1b0a998877",
     "xapp-1-A0FLOT-4723-9f8e7d6c", "72f988bf-86f1-41af-91ab-2d7cd011db47", "sk-proj-abc123", "boxxx-7",
     "yourself-9", "test-signing-secret-8f2a"],
)  # fmt: skip
def test_real_looking_secrets_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def test_the_error_names_every_bad_variable_in_one_line_and_never_its_value() -> None:
    settings = Settings(slack_bot_token="xoxb-your-token", slack_signing_secret=None, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(MissingSecret) as raised:
        settings.require("slack_bot_token", "slack_signing_secret")
    said = str(raised.value)
    assert "\n" not in said and "your-token" not in said
    assert "SLACK_SIGNING_SECRET is not set" in said and "SLACK_BOT_TOKEN looks like a placeholder" in said


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in SLACK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's is read
    monkeypatch.setenv("FLOTILLA_DATABASE_URL", f"sqlite:///{tmp_path / 'slack.db'}")
    return monkeypatch


def serve_slack(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["serve", "slack", "--port", "0", "--workers", "0", "--no-scheduler"])
    return code, [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


@pytest.mark.parametrize("token", ["xoxb-your-token", "<token>", "${SLACK_BOT_TOKEN}"])
def test_serve_slack_with_a_placeholder_token_says_so_in_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], token: str
) -> None:
    env.setenv("SLACK_BOT_TOKEN", token)
    env.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    code, err = serve_slack(capsys)
    assert code == 1 and len(err) == 1 and "SLACK_BOT_TOKEN" in err[0] and token not in err[0]


def test_serve_slack_with_a_token_slack_refuses_says_so_in_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    standin = SlackStandIn().start()
    try:
        env.setenv("FLOTILLA_SLACK_API_URL", standin.api_url)
        env.setenv("SLACK_BOT_TOKEN", "xoxb-2141029472-revoked-e1b9e11dfcd1")  # never issued: invalid_auth
        env.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        code, err = serve_slack(capsys)
    finally:
        standin.stop()
    assert code == 1
    assert err == ["Can't start: Slack refused SLACK_BOT_TOKEN (invalid_auth). Copy the bot token again from the "
                   "app's OAuth & Permissions page."]  # fmt: skip
    assert [c.method for c in standin.calls] == ["auth.test"]


def test_socket_mode_with_an_app_token_slack_refuses_says_so_in_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    standin = SlackStandIn().start()
    try:
        env.setenv("FLOTILLA_SLACK_API_URL", standin.api_url)
        env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        env.setenv("SLACK_APP_TOKEN", "xapp-1-A0FLOT-4723-9f8e7d6c")  # never issued
        code = main(["serve", "slack", "--socket", "--workers", "0", "--no-scheduler"])
        err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and "Socket Mode" not in ln]
    finally:
        standin.stop()
    assert code == 1 and err == ["Can't start: Slack refused SLACK_APP_TOKEN (invalid_auth)."]
