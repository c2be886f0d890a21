"""Bot Framework authentication from Flotilla's Settings.

With `MICROSOFT_APP_ID` set, every request to /api/messages must carry a valid Bot Framework JWT
(botbuilder checks it) or gets 401 before anything is read or stored; the password (or, for a
user-assigned managed identity, the tenant) must be real, not a placeholder. Without an app id,
botbuilder turns authentication off: only for running locally (the Bot Framework Emulator, tests),
and said loudly at start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import BotFrameworkAuthentication

from bot.settings import MissingSecret, Settings

log = logging.getLogger(__name__)

APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI"}


@dataclass(frozen=True)
class BotConfig:
    """The attribute names botbuilder's configuration-based authentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def bot_config(settings: Settings) -> BotConfig:
    """Check the Microsoft settings for the app type and return them; auth off without an app id."""
    app_id = (settings.microsoft_app_id or "").strip()
    raw_type = (settings.microsoft_app_type or "MultiTenant").strip()
    app_type = APP_TYPES.get(raw_type.lower())
    if app_type is None:
        raise MissingSecret(f"MICROSOFT_APP_TYPE must be one of {', '.join(APP_TYPES.values())} (got {raw_type!r}).")
    if not app_id:
        log.warning(
            "MICROSOFT_APP_ID is not set: Bot Framework authentication is OFF and anyone who can reach "
            "/api/messages can act as anyone. Only for local runs (Emulator, tests); never expose this."
        )
        return BotConfig("", "", app_type, "")
    needed = ["microsoft_app_id"]
    if app_type != "UserAssignedMSI":
        needed.append("microsoft_app_password")
    if app_type != "MultiTenant":
        needed.append("microsoft_app_tenant_id")
    settings.require(*needed)
    return BotConfig(
        APP_ID=app_id,
        APP_PASSWORD=(settings.microsoft_app_password or "").strip(),
        APP_TYPE=app_type,
        APP_TENANTID=(settings.microsoft_app_tenant_id or "").strip(),
    )


def authentication(config: BotConfig) -> BotFrameworkAuthentication:
    return ConfigurationBotFrameworkAuthentication(config)
