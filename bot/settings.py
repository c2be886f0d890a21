"""The one settings class: environment or `.env`. Adapters check their own secrets at start."""

from __future__ import annotations

import re

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "xxx", "todo", "placeholder", "your-token-here", "secret"})
"""Whole values that are never a real secret (compared without case or surrounding space)."""

_PLACEHOLDER_SHAPES = (
    re.compile(r"<[^<>]*>"),  # <token>, <your signing secret>
    re.compile(r"\$\{[^{}]*\}|\$[a-z_][a-z0-9_]*"),  # ${SLACK_BOT_TOKEN}, $SLACK_BOT_TOKEN: never expanded
    re.compile(r"(?:[a-z]+-)?your[-_ ].*"),  # your-token, xoxb-your-token, your_app_id
    re.compile(r"(?:[a-z]+-)?xxx.*"),  # xxx, xxxx-1234, xoxb-xxxx, xapp-xxx-xxx
    re.compile(r"(?:[a-z]+-)?change[-_ ]?me.*"),  # changeme, change-me, xoxb-changeme
    re.compile(r"0{8}-0{4}-0{4}-0{4}-0{12}"),  # an all-zero GUID (Microsoft app or tenant ids)
)


def is_placeholder(value: str | None) -> bool:
    """True for a value that stands in for a secret rather than being one: missing or blank, or
    shaped like the examples of a README or `.env.example` (SPEC: `<...>`, `your-...`, `${...}`,
    `xxx...`, `changeme`, all-zero GUIDs), with or without a token prefix such as `xoxb-`."""
    text = (value or "").strip().lower()
    if text in PLACEHOLDERS:
        return True
    return any(shape.fullmatch(text) for shape in _PLACEHOLDER_SHAPES)


class StartupError(RuntimeError):
    """The adapter can't start as configured: one line that `flotilla serve` prints, no traceback."""


class MissingSecret(StartupError):
    """A secret the adapter being started needs is missing, a placeholder or refused by the
    platform: the message names the variable, never its value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    flotilla_database_url: str = "sqlite:///flotilla.db"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    flotilla_slack_api_url: str | None = None
    microsoft_app_id: str | None = None
    microsoft_app_password: SecretStr | None = None
    microsoft_app_type: str | None = None
    microsoft_app_tenant_id: str | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    flotilla_llm_model: str = "gpt-4o-mini"

    def value(self, name: str) -> str:
        """A setting as plain text, secret or not ("" when unset): for the one place that uses it.
        Secrets are SecretStr, so that a log line or a traceback that shows the settings shows ***."""
        raw = getattr(self, name)
        if isinstance(raw, SecretStr):
            raw = raw.get_secret_value()
        return (raw or "").strip()

    def require(self, *names: str) -> None:
        """Fail at start, naming every missing or placeholder secret (never printing a value)."""
        missing = [n.upper() for n in names if not self.value(n)]
        fake = [n.upper() for n in names if self.value(n) and is_placeholder(self.value(n))]
        said = [f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set"] if missing else []
        if fake:
            said.append(f"{', '.join(fake)} {'looks' if len(fake) == 1 else 'look'} like a placeholder")
        if said:
            raise MissingSecret(f"Can't start: {'; '.join(said)}. Set the real value (environment or .env).")
