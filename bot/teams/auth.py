"""Bot Framework authentication from Flotilla's Settings.

With `MICROSOFT_APP_ID` set, every request to /api/messages must carry a valid Bot Framework JWT
(botbuilder checks it) or gets 401 before anything is read or stored; the password (or, for a
user-assigned managed identity, the tenant) must be real, not a placeholder. Without an app id,
botbuilder turns authentication off, so `serve teams` refuses to start without one unless
`--insecure-local` is given (the Bot Framework Emulator, tests), which it then says on every start.

botbuilder 4.17.1 reports most bad tokens with whatever its JWT library raised (an expired token,
a forged signature, an unknown key id, `alg: none`, a token without `iss`, plain garbage), which
reached aiohttp as a 500 with a traceback. `CheckedAuthentication` turns every such failure into
`Unauthenticated` (401, one log line); only a key set Flotilla cannot fetch is its own fault (503).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import jwt
import requests
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

from bot.settings import MissingSecret, Settings

log = logging.getLogger(__name__)

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
INSECURE = (
    "--insecure-local: Bot Framework authentication is OFF. Anyone who can reach /api/messages can act as anyone; "
    "only for the Bot Framework Emulator or tests on this machine, never expose this port."
)

APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI"}


@dataclass(frozen=True)
class BotConfig:
    """The attribute names botbuilder's configuration-based authentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def bot_config(settings: Settings, *, insecure_local: bool = False) -> BotConfig:
    """Check the Microsoft settings for the app type and return them.

    No app id means no authentication at all (botbuilder's rule), so it is refused unless
    `--insecure-local` asks for exactly that (said on every start); a password without an app id
    would silently be that too. Placeholders are refused naming the variable, never echoing it.
    """
    app_id = (settings.microsoft_app_id or "").strip()
    raw_type = (settings.microsoft_app_type or "MultiTenant").strip()
    app_type = APP_TYPES.get(raw_type.lower())
    if app_type is None:
        raise MissingSecret(f"MICROSOFT_APP_TYPE must be one of {', '.join(APP_TYPES.values())} (got {raw_type!r}).")
    if not app_id:
        if settings.value("microsoft_app_password"):
            raise MissingSecret("MICROSOFT_APP_PASSWORD is set but MICROSOFT_APP_ID is not: set the bot's app id "
                                "too (without one, Bot Framework authentication would be off).")  # fmt: skip
        if not insecure_local:
            raise MissingSecret("Set MICROSOFT_APP_ID (the bot's Microsoft App ID) before starting serve teams, or "
                                "pass --insecure-local to run without authentication on this machine.")  # fmt: skip
        log.warning(INSECURE)
        return BotConfig("", "", app_type, "")
    settings.require("microsoft_app_id")
    if not _GUID.fullmatch(app_id):
        raise MissingSecret("MICROSOFT_APP_ID must be the bot's Microsoft App ID, a GUID (see the Azure Bot resource).")
    needed = []
    if app_type != "UserAssignedMSI":
        needed.append("microsoft_app_password")
    if app_type != "MultiTenant":
        needed.append("microsoft_app_tenant_id")
    settings.require(*needed)
    return BotConfig(
        APP_ID=app_id,
        APP_PASSWORD=settings.value("microsoft_app_password"),
        APP_TYPE=app_type,
        APP_TENANTID=(settings.microsoft_app_tenant_id or "").strip(),
    )


def authentication(config: BotConfig) -> BotFrameworkAuthentication:
    return ConfigurationBotFrameworkAuthentication(config)


class Unauthenticated(PermissionError):
    """The request did not prove it comes from the Bot Framework: answered 401, nothing done."""


class KeysUnavailable(RuntimeError):
    """Microsoft's signing keys could not be fetched, so no token can be checked now (503)."""


def _reason(error: Exception) -> str:
    """Why a token was refused, in words (never the token itself)."""
    if isinstance(error, jwt.ExpiredSignatureError):
        return "the token has expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "the token is not valid yet"
    if isinstance(error, jwt.InvalidSignatureError):
        return "the token's signature does not match the signing key"
    if isinstance(error, jwt.InvalidTokenError):
        return f"the token is malformed ({type(error).__name__})"
    if isinstance(error, IndexError):  # botbuilder's key look-up: no key with the token's `kid`
        return "the token names a signing key that is not in the Bot Framework key set"
    if isinstance(error, KeyError):
        return f"the token lacks the {error} claim"
    if isinstance(error, PermissionError):
        return " ".join(str(a) for a in error.args if a) or "not authorized"
    return str(error) or type(error).__name__


class DelegatingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Another authentication's behaviour, for wrappers to change one or two steps of."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        self._inner = inner

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        return await self._inner.authenticate_request(activity, auth_header)

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._inner.create_connector_factory(claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await self._inner.create_user_token_client(claims_identity)

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


class CheckedAuthentication(DelegatingAuthentication):
    """The configured authentication; any failure to authenticate a request is `Unauthenticated`."""

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            return await self._inner.authenticate_request(activity, auth_header)
        except requests.RequestException as e:
            log.error("could not fetch the Bot Framework signing keys to check a %s activity: %s",
                      activity.type, type(e).__name__)  # fmt: skip
            raise KeysUnavailable(type(e).__name__) from None
        except Exception as e:  # noqa: BLE001 - every way a token can be bad ends here, as a 401
            reason = _reason(e)
            log.warning("refused a %s activity (401): %s", activity.type, reason)
            raise Unauthenticated(reason) from None
