"""Every message fits Teams' limit, counted as Teams counts (UTF-16, the whole activity), and a
`--json` answer too long for one message reaches the person as something they can open.

Sizes are measured on what the Bot Connector stand-in received, i.e. the activity as sent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.teams import size
from core.model import Team
from tests.adapters.teams.conftest import TENANT, Stack, fixture, run_stack

ADA = "00000000-0000-0000-0000-00000000a0a0"


def many_teams(s: Stack, count: int, name: str = "Équipe de paiements numéro") -> None:
    """`count` teams, straight into the workspace (typing them in would take minutes)."""
    with s.app.uow_factory(TENANT) as uow:
        for i in range(count):
            uow.teams.save(Team(handle=f"team-{i:04d}", name=f"{name} {i} — 支払い 🚀"))
        uow.commit()


def in_channel(text: str) -> dict[str, Any]:
    return fixture("channel_message_mention", text=f"<at>Flotilla</at> {text}")


def personal(text: str) -> dict[str, Any]:
    return fixture("personal_message", text=text)


def received(s: Stack, since: int) -> list[dict[str, Any]]:
    return [m.body for m in s.connector.sent[since:]]


def assert_each_fits(bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        assert size.activity_size(body) <= size.LIMIT, size.activity_size(body)


def test_size_is_counted_in_utf16_without_inline_images() -> None:
    assert size.utf16("abc") == 6 and size.utf16("é") == 2 and size.utf16("🚀") == 4 and size.utf16("支") == 2
    inline = "data:image/png;base64," + "A" * 100_000
    picture = {"type": "message", "attachments": [{"contentType": "image/png", "contentUrl": inline}]}
    assert size.activity_size(picture) < 300
    pieces = list(size.pieces("\n\n".join(f"paragraph {i} " + "🚀" * 300 for i in range(40)), 4000))
    assert len(pieces) > 1 and all(size.escaped(p) <= 4000 for p in pieces)
    assert "\n\n".join(pieces).count("🚀") == 40 * 300


def test_a_long_reply_is_several_messages_each_within_the_limit(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        many_teams(s, 400)
        before = len(s.connector.sent)
        assert (await s.post(in_channel("team list")))[0] == 201
        bodies = received(s, before)
        assert len(bodies) > 1
        assert_each_fits(bodies)
        everything = "\n\n".join(b["text"] for b in bodies)
        assert everything.count("team-0") == 400 and "cut" not in everything  # nothing lost, nothing cut

    run_stack(tmp_path, scenario)


def test_json_too_long_for_a_channel_message_comes_in_parts_that_add_up(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        many_teams(s, 150)
        before = len(s.connector.sent)
        await s.post(in_channel("team list --json"))
        bodies = received(s, before)
        assert 1 < len(bodies) <= 10
        assert_each_fits(bodies)
        assert all(b["text"].startswith(f"JSON, part {i} of {len(bodies)}:") for i, b in enumerate(bodies, 1))
        chunks = [re.search(r"```json\n(.*)\n```\Z", b["text"], re.DOTALL) for b in bodies]
        data = json.loads("\n".join(c.group(1) for c in chunks if c is not None))
        assert len(data) == 150 and "flotilla export" not in json.dumps(bodies)

    run_stack(tmp_path, scenario)


def test_json_too_long_even_for_ten_messages_points_to_the_personal_chat(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        many_teams(s, 1500)
        before = len(s.connector.sent)
        await s.post(in_channel("team list --json"))
        [body] = received(s, before)
        assert "Ask me for it in our personal chat" in body["text"] and "flotilla export" not in body["text"]

    run_stack(tmp_path, scenario)


def accept(s: Stack, card: dict[str, Any], **value: Any) -> dict[str, Any]:
    """msteams-docs' fileConsent/invoke, answering the card Flotilla sent, uploading to the stand-in."""
    invoke = fixture("msdocs_file_consent_accept")
    personal_message = fixture("personal_message")
    for key in ("from", "conversation", "recipient", "channelData"):
        invoke[key] = personal_message[key]
    invoke["value"]["context"] = card["content"]["acceptContext"]
    invoke["value"]["uploadInfo"]["uploadUrl"] = f"{s.service_url}upload/{card['name']}"
    invoke["value"]["uploadInfo"]["name"] = card["name"]
    invoke["value"].update(value)
    return invoke


def test_json_too_long_in_a_personal_chat_is_a_file_the_person_accepts(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        many_teams(s, 150)
        before = len(s.connector.sent)
        await s.post(personal("team list --json"))
        [offer] = received(s, before)
        assert_each_fits([offer])
        [card] = offer["attachments"]
        assert card["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
        assert card["name"] == "flotilla-team-list-2026-11-23.json"
        assert "Accept the file below" in offer["text"] and "flotilla export" not in offer["text"]
        # Ada accepts: the JSON goes to the upload URL Teams gave, then a file card she can open
        s.connector.upload_failures.append(503)  # OneDrive hiccups once
        status, _ = await s.post(accept(s, card))
        assert status == 200 and s.connector.uploads == []
        assert "couldn't put the file in your OneDrive" in s.connector.texts()[-1]
        status, _ = await s.post(accept(s, card))  # accepted again: the file waited
        assert status == 200
        [(name, headers, body)] = s.connector.uploads
        assert len(json.loads(body)) == 150 and name == card["name"]
        assert headers["Content-Range"] == f"bytes 0-{len(body) - 1}/{len(body)}"
        assert "Authorization" not in headers  # the upload URL is pre-authorised: no token of ours goes there
        info = s.connector.messages()[-1]["attachments"][0]
        assert info["contentType"] == "application/vnd.microsoft.teams.card.file.info"
        assert info["content"]["uniqueId"] == "1150D938-8870-4044-9F2C-5BBDEBA70C8C"
        # the same card accepted once more: nothing is uploaded twice
        await s.post(accept(s, card))
        assert len(s.connector.uploads) == 1 and "sent already" in s.connector.texts()[-1]

    run_stack(tmp_path, scenario)


def test_an_offered_file_is_only_for_the_person_who_asked_and_a_decline_drops_it(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        many_teams(s, 150)
        await s.post(personal("team list --json"))
        card = s.connector.messages()[-1]["attachments"][0]
        someone_else = accept(s, card)
        someone_else["from"] = {"id": "29:1eve", "name": "Eve", "aadObjectId": "00000000-0000-0000-0000-0000000000ee"}
        await s.post(someone_else)
        assert s.connector.uploads == []
        await s.post(accept(s, card, action="decline"))
        assert "No file, then" in s.connector.texts()[-1]
        await s.post(accept(s, card))
        assert s.connector.uploads == [] and "sent already" in s.connector.texts()[-1]

    run_stack(tmp_path, scenario)
