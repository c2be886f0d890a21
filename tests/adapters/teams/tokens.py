"""Bot Framework tokens signed here, checked by botbuilder's real validator.

A local OpenID key set (`/.well-known/openidconfiguration` and its `jwks_uri`) is served over
loopback HTTP from a thread (botbuilder fetches keys with a blocking `requests.get`, which would
deadlock against a server on the test's own event loop), and `ChannelValidation` is pointed at it:
the production path (`ConfigurationBotFrameworkAuthentication`, public cloud) runs unchanged.
The one thing faked is Microsoft's token endpoint for the bot's own outgoing calls.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import (
    AuthenticationConstants,
    ChannelValidation,
    MicrosoftAppCredentials,
    PasswordServiceClientCredentialFactory,
)
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.teams.auth import BotConfig

APP_ID = "7d4e0b6a-1c2f-4b8e-9a51-3f0e2d1c4b5a"
PASSWORD = "a-real-looking-secret"
ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
OUTGOING_TOKEN = "token-for-the-bots-own-calls"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class KeySet:
    """The Bot Framework's signing keys, as Microsoft publishes them, for keys made here."""

    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=lambda: {"local-key-1": new_key()})
    url: str = ""
    fetches: int = 0

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            out.append({**jwk, "kid": kid, "use": "sig", "endorsements": ["msteams"]})
        return {"keys": out}

    def token(
        self,
        service_url: str,
        *,
        kid: str | None = "local-key-1",
        key: rsa.RSAPrivateKey | None = None,
        audience: str = APP_ID,
        lifetime: tuple[float, float] = (-60, 3600),
        claims: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """An RS256 token as the Bot Connector signs it; `lifetime` is (nbf, exp) seconds from now."""
        now = time.time()
        body = {"iss": ISSUER, "aud": audience, "serviceurl": service_url, "nbf": int(now + lifetime[0]),
                "exp": int(now + lifetime[1]), **(claims or {})}  # fmt: skip
        signing_key = key or self.keys[kid or "local-key-1"]
        header = {**({"kid": kid} if kid is not None else {}), **(headers or {})}
        return jwt.encode(body, signing_key, algorithm="RS256", headers=header)


def unsigned(claims: dict[str, Any]) -> str:
    """`alg: none`: a token anyone can write."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@contextmanager
def serving(keys: KeySet) -> Iterator[KeySet]:
    """Serve `keys` on loopback and point botbuilder's channel validation at them."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/.well-known/openidconfiguration":
                body = {"issuer": ISSUER, "jwks_uri": f"{keys.url}/keys",
                        "id_token_signing_alg_values_supported": ["RS256"]}  # fmt: skip
            elif self.path == "/keys":
                keys.fetches += 1
                body = keys.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    keys.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    before = ChannelValidation.open_id_metadata_endpoint
    ChannelValidation.open_id_metadata_endpoint = f"{keys.url}/.well-known/openidconfiguration"
    try:
        yield keys
    finally:
        ChannelValidation.open_id_metadata_endpoint = before
        server.shutdown()
        server.server_close()


class _LocalCredentials(MicrosoftAppCredentials):  # type: ignore[misc]
    def get_access_token(self, force_refresh: bool = False) -> str:
        return OUTGOING_TOKEN


class _LocalCredentialFactory(PasswordServiceClientCredentialFactory):  # type: ignore[misc]
    """The app's own credentials, minus the call to login.microsoftonline.com we cannot make."""

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> MicrosoftAppCredentials:  # fmt: skip
        if not await self.is_valid_app_id(app_id):
            raise Exception("Invalid app_id")
        return _LocalCredentials(app_id, self.password, self.tenant_id, oauth_scope)


def checked_authentication(config: BotConfig) -> ConfigurationBotFrameworkAuthentication:
    """What `serve teams` builds from its settings, with only the outgoing token faked."""
    factory = _LocalCredentialFactory(config.APP_ID, config.APP_PASSWORD)
    return ConfigurationBotFrameworkAuthentication(config, credentials_factory=factory)
