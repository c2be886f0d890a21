"""Every way a request can fail Bot Framework authentication is a 401 with one log line.

Tokens are signed here and checked by botbuilder's own validator against a key set served on
loopback (tests/adapters/teams/tokens.py). A token that passes reaches the bot: that proves the
validator really reads the local keys, so each refusal below is the validator's, not a mis-wiring.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.adapters.teams.conftest import TENANT, Stack, fixture, teams_stack
from tests.adapters.teams.tokens import (
    APP_ID,
    ISSUER,
    OUTGOING_TOKEN,
    PASSWORD,
    KeySet,
    checked_authentication,
    new_key,
    serving,
    unsigned,
)


def run(tmp_path: Path, scenario: Any) -> None:
    async def main() -> None:
        with serving(KeySet()) as keys:
            async with teams_stack(f"sqlite:///{tmp_path / 'teams.db'}", app_id=APP_ID, password=PASSWORD,
                                   auth=checked_authentication) as stack:  # fmt: skip
                await scenario(stack, keys)

    asyncio.run(main())


SHARED_SECRET = "a-shared-secret-long-enough-for-hs256"
"""HS256: a token signed with a secret anyone could hold, not the Bot Framework's keys."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_signed_by_the_key_set_is_accepted(tmp_path: Path) -> None:
    async def scenario(s: Stack, keys: KeySet) -> None:
        status, _ = await s.post(fixture("personal_message", text="me"), bearer(keys.token(s.service_url)))
        assert status == 201
        assert keys.fetches == 1  # the validator read the local key set
        [reply] = s.connector.sent
        assert reply.authorization == f"Bearer {OUTGOING_TOKEN}"

    run(tmp_path, scenario)


def forged(keys: KeySet, service_url: str) -> dict[str, str]:
    """Each way a token can be wrong, by name."""
    now_claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "exp": 4102444800}
    return {
        "garbage": "Bearer garbage",
        "not a bearer": "Basic dXNlcjpwYXNz",
        "three words": "Bearer a b",
        "expired": f"Bearer {keys.token(service_url, lifetime=(-7200, -3600))}",
        "not yet valid": f"Bearer {keys.token(service_url, lifetime=(3600, 7200))}",
        "wrong key": f"Bearer {keys.token(service_url, key=new_key())}",
        "unknown kid": f"Bearer {keys.token(service_url, kid='someone-elses-key', key=new_key())}",
        "no kid": f"Bearer {keys.token(service_url, kid=None, key=keys.keys['local-key-1'])}",
        "alg none": f"Bearer {unsigned(now_claims)}",
        "alg none without iss": f"Bearer {unsigned({k: v for k, v in now_claims.items() if k != 'iss'})}",
        "HS256": "Bearer " + jwt.encode(now_claims, SHARED_SECRET, algorithm="HS256", headers={"kid": "local-key-1"}),
        "wrong audience": f"Bearer {keys.token(service_url, audience='00000000-1111-2222-3333-444444444444')}",
        "wrong serviceUrl": f"Bearer {keys.token('https://smba.trafficmanager.net/evil/')}",
        "wrong issuer": f"Bearer {keys.token(service_url, claims={'iss': 'https://evil.example.com'})}",
    }


@pytest.mark.parametrize("activity", ["personal_message", "installation_update_add", "adaptive_card_action_invoke"])
def test_every_bad_token_is_401_with_one_log_line_and_changes_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, activity: str
) -> None:
    async def scenario(s: Stack, keys: KeySet) -> None:
        body = fixture(activity, **({"text": 'team create evil "Evil"'} if activity == "personal_message" else {}))
        for name, header in forged(keys, s.service_url).items():
            caplog.clear()
            with caplog.at_level(logging.INFO):
                status, _ = await s.post(body, {"Authorization": header})
            assert status == 401, name
            records = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(records) == 1, (name, [r.getMessage() for r in records])
            assert records[0].exc_info is None and "401" in records[0].getMessage(), name
            assert header.split(" ", 1)[-1] not in caplog.text, name  # the token itself is never logged
        for missing in ({}, {"Authorization": ""}):
            assert (await s.post(body, missing))[0] == 401
        assert s.connector.sent == [] and s.connector.created == []
        assert s.refs.list(TENANT) == []
        with s.app.uow_factory(TENANT) as uow:
            assert uow.people.list() == [] and uow.teams.list() == [] and uow.events.list() == []

    run(tmp_path, scenario)


def test_an_unreachable_key_set_is_503_not_500(tmp_path: Path) -> None:
    async def main() -> None:
        keys = KeySet()
        with serving(keys):
            pass  # the server is gone, its address stays configured below
        from botframework.connector.auth import ChannelValidation

        ChannelValidation.open_id_metadata_endpoint = f"{keys.url}/.well-known/openidconfiguration"
        try:
            async with teams_stack(f"sqlite:///{tmp_path / 'teams.db'}", app_id=APP_ID, password=PASSWORD,
                                   auth=checked_authentication) as s:  # fmt: skip
                status, _ = await s.post(fixture("personal_message"), bearer(keys.token(s.service_url)))
                assert status == 503
                assert s.connector.sent == []
        finally:
            ChannelValidation.open_id_metadata_endpoint = None

    asyncio.run(main())
