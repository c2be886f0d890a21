"""The one settings class: environment or `.env`. Adapters check their own secrets at start."""

from __future__ import annotations

import re

from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "xxx", "todo", "placeholder", "your-token-here", "secret"})
_PLACEHOLDER = re.compile(r"<.*>|your[-_].*|\$\{.*\}|x{3,}.*|changeme|[0{}-]+", re.IGNORECASE | re.DOTALL)
"""SPEC's placeholder shapes: `<app id>`, `your-...`, `${VAR}`, `xxx...`, `changeme`, all-zero GUIDs."""


def is_placeholder(value: str | None) -> bool:
    """A secret that is missing, or still the example value from a guide or a template."""
    text = (value or "").strip()
    return text.lower() in PLACEHOLDERS or _PLACEHOLDER.fullmatch(text) is not None


class MissingSecret(RuntimeError):
    """A secret the adapter being started needs is missing or a placeholder."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    flotilla_database_url: str = "sqlite:///flotilla.db"
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    flotilla_slack_api_url: str | None = None
    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_type: str | None = None
    microsoft_app_tenant_id: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    flotilla_llm_model: str = "gpt-4o-mini"

    def require(self, *names: str) -> None:
        """Fail at start, naming every missing or placeholder secret (never printing a value)."""
        bad = [n.upper() for n in names if is_placeholder(getattr(self, n))]
        if bad:
            raise MissingSecret(f"Set {', '.join(bad)} (missing or a placeholder) before starting this adapter.")

    def __repr_args__(self):  # type: ignore[no-untyped-def]
        """Keep secrets out of logs and tracebacks."""
        for key, value in super().__repr_args__():
            secret = key and any(w in key for w in ("token", "secret", "password", "api_key"))
            yield key, ("***" if secret and value else value)
