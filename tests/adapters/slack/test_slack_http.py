"""Hostile requests against `serve slack`'s HTTP server (waitress behind the verifying layer):
oversized bodies, anything unsigned or badly signed, signed garbage, replays, slow clients."""

from __future__ import annotations

import copy
import logging
import socket
import time
from urllib.parse import quote, urlencode

import pytest

from bot.slack.server import MAX_BODY
from tests.adapters.slack.conftest import CHANNELS, PEOPLE, Slack, fixture, sign

ADA, PIA = PEOPLE["ada"], PEOPLE["pia"]
FORM = "application/x-www-form-urlencoded"


def raw(slack: Slack, request: bytes, read_timeout: float = 10.0) -> bytes:
    """Send bytes as they are; what the server answered (it may answer before all is sent)."""
    with socket.create_connection(("127.0.0.1", slack.port), timeout=read_timeout) as s:
        try:
            s.sendall(request)
        except OSError:  # the server answered and closed while we were still sending: fine
            pass
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def nothing_happened(slack: Slack) -> None:
    export = slack.export()
    assert export["people"] == [] and export["teams"] == [] and export["blockers"] == []
    assert slack.service.jobs.pending() == 0
    assert [c.method for c in slack.standin.calls if c.method != "auth.test"] == []


def test_a_body_over_a_megabyte_gets_413_before_it_is_read(slack: Slack) -> None:
    huge = 200 * 1024 * 1024
    head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {huge}\r\n\r\n").encode()  # fmt: skip
    answer = raw(slack, head + b"payload=" + b"x" * 1000)  # 1 KB of the announced 200 MB, then we wait
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]  # answered from the header alone
    chunk = b"10000\r\n" + b"y" * 0x10000 + b"\r\n"
    chunked = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode()
               + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 17)  # fmt: skip
    assert raw(slack, chunked).startswith(b"HTTP/1.1 413")
    # exactly 1 MB is not too large: it is judged on its signature (none here)
    assert slack.post("/slack/events", b"a" * MAX_BODY, FORM, signed=False)[0] == 401
    nothing_happened(slack)


def test_anything_that_fails_verification_gets_401_never_500(slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    fields, _ = slack.command_fields(ADA, 'blocker add "nope"', CHANNELS["payments"])
    body = urlencode(fields).encode()
    good = sign(body)
    cases = {
        "unsigned": {},
        "unsigned payload that is not JSON": None,
        "stale": sign(body, timestamp=int(time.time()) - 301),
        "from the future": sign(body, timestamp=int(time.time()) + 360),  # Slack allows 5 minutes either way
        "forged": sign(body, secret="not-the-secret"),
        "timestamp not a number": {**good, "X-Slack-Request-Timestamp": "soon"},
        "timestamp huge": {**good, "X-Slack-Request-Timestamp": "9" * 40},
        "signature of another body": sign(body + b"&x=1"),
        "signature without its prefix": {**good, "X-Slack-Signature": good["X-Slack-Signature"][3:]},
        "no timestamp": {"X-Slack-Signature": good["X-Slack-Signature"]},
    }
    with caplog.at_level(logging.WARNING):
        for name, headers in cases.items():
            sent = b"payload=%7Bnot-json" if headers is None else body
            status, answer = slack.post("/slack/events", sent, FORM, headers=headers or {}, signed=False)
            assert status == 401, (name, status, answer)
        status, _ = slack.post("/slack/events", "payload=é".encode("latin-1"), FORM, signed=False)
        assert status == 401  # not UTF-8, not signed
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a refused request"
    nothing_happened(slack)


def test_signed_bodies_bolt_could_not_parse_get_400(slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert slack.post("/slack/events", b"payload=%7Bnot-json", FORM)[0] == 400
        assert slack.post("/slack/events", b"payload=" + quote("[1, 2]").encode(), FORM)[0] == 400
        assert slack.post("/slack/events", b"[1, 2]", "application/json")[0] == 400
        assert slack.post("/slack/events", b"{not json", "application/json")[0] == 400
        assert slack.post("/slack/events", "payload=é".encode("latin-1"), FORM)[0] == 400
    assert not [r for r in caplog.records if r.exc_info]
    nothing_happened(slack)


def test_a_replayed_signed_command_runs_once(slack: Slack) -> None:
    slack.command(ADA, 'team create payments "Payments"', CHANNELS["payments"])
    fields, name = slack.command_fields(ADA, 'blocker add "Waiting on legal" --team payments')
    body = urlencode(fields).encode()
    headers = sign(body)
    for _ in range(3):  # the same bytes and signature, within the five minutes the signature is good for
        assert slack.post("/slack/events", body, FORM, headers=headers, signed=False)[0] == 200
    slack.standin.wait_response(name)
    slack.service.drain()
    assert [b["text"] for b in slack.export()["blockers"]] == ["Waiting on legal"]
    assert len(slack.standin.responses[name]) == 1
    # the same command typed again is a new request (a new signature): it runs
    slack.command(ADA, 'blocker add "Waiting on legal" --team payments')
    assert len(slack.export()["blockers"]) == 2


def test_a_mention_without_a_user_is_acked_and_runs_nothing(slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert slack.json(fixture("app_mention_bot"))[0] == 200
        slack.service.drain()
    assert not caplog.records
    nothing_happened(slack)


def test_a_closed_modal_is_acked(slack: Slack) -> None:
    status, body = slack.interactive(fixture("view_closed"))
    assert status == 200 and body in (b"", b"{}")
    nothing_happened(slack)


def test_slow_clients_hold_no_thread(slack: Slack) -> None:
    """Clients that send half a request and stall (more of them than the server has threads) do
    not keep a signed command from being answered: waitress buffers a request before a thread runs it."""
    stalled = []
    try:
        for _ in range(60):
            s = socket.create_connection(("127.0.0.1", slack.port), timeout=5)
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\npayload=")
            stalled.append(s)
        answer = slack.command(ADA, "help")
        assert answer["response_type"] == "ephemeral"
        mention = copy.deepcopy(fixture("app_mention"))
        assert slack.json(mention)[0] == 200
    finally:
        for s in stalled:
            s.close()
