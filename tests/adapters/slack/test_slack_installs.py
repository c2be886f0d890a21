"""Installs keyed the way Slack keys them (enterprise id + team id), one test per install shape.

Each OAuth shape is installed through the real flow: `/slack/install` sets the state cookie and
sends the browser to Slack, Slack sends it back to `/slack/oauth_redirect` with a code, and the app
trades the code at the stand-in's oauth.v2.access (answers from tests/fixtures/slack/). Then the
same workspace's people use it: a typed command (run by the job worker, outside bolt), a mention,
the App Home, a form, a click and a delivery the scheduler would make; each must use the install's
token, which the stand-in alone accepts.
"""

from __future__ import annotations

import contextlib
import copy
import html
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from core.outbox import from_notice
from core.reply import Notice, line
from tests.adapters.slack.conftest import NOW, Slack, fixture, serve
from tests.adapters.slack.standin import BOT_TOKEN, SlackStandIn, slack_user

INSTALL_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
"""The bot token every oauth_v2_access_*.json fixture issues."""
ADA = "W0ADA"


@dataclass(frozen=True)
class Shape:
    oauth: str | None
    """The oauth.v2.access fixture (None: single-workspace token mode, no install)."""
    command: str
    mention: str
    workspace: str
    """What SPEC calls the workspace: the team id, or the Enterprise id of an org-wide install."""
    team: str
    enterprise: str | None


SHAPES = {
    "single workspace token": Shape(None, "slash_command", "app_mention", "T0FLOTILLA", "T0FLOTILLA", None),
    "OAuth workspace": Shape("oauth_v2_access_workspace", "slash_command", "app_mention", "T0FLOTILLA",
                             "T0FLOTILLA", None),
    "Grid workspace": Shape("oauth_v2_access_grid", "slash_command_grid", "app_mention_grid", "T0GWS", "T0GWS",
                            "E0OTHER"),
    "org-wide": Shape("oauth_v2_access_org", "slash_command_org", "app_mention_org", "E0ORG", "T0ORGWS", "E0ORG"),
}  # fmt: skip


def oauth_round_trip(slack: Slack) -> None:
    """A browser installing the app: /slack/install, then Slack's redirect back with the code."""
    conn = http.client.HTTPConnection("127.0.0.1", slack.port, timeout=10)
    conn.request("GET", "/slack/install")
    started = conn.getresponse()
    page = started.read().decode()
    assert started.status == 200, started.status  # bolt's install page, its "Add to Slack" link:
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page)
    assert link is not None, page[:300]
    to_slack = urlparse(html.unescape(link.group(1)))
    assert to_slack.netloc == "slack.com" and "commands" in parse_qs(to_slack.query)["scope"][0]
    state = parse_qs(to_slack.query)["state"][0]
    cookie = (started.getheader("Set-Cookie") or "").split(";")[0]
    conn.request("GET", "/slack/oauth_redirect?" + urlencode({"code": "4724469134.4644010092847", "state": state}),
                 headers={"Cookie": cookie})  # fmt: skip
    back = conn.getresponse()
    done = back.read().decode()
    conn.close()
    assert back.status == 200 and "Thank you!" in done, done[:300]  # bolt's success page


OAUTH = {"slack_bot_token": None, "slack_client_id": "2141029472.691202649728",
         "slack_client_secret": "e1b9e11dfcd19c1982d5de12921e17e8c"}  # fmt: skip


@contextlib.contextmanager
def app_installed(standin: SlackStandIn, tmp_path: Path, oauth: str | None) -> Iterator[Slack]:
    """The app served against `standin`; with `oauth` (an oauth.v2.access fixture), in OAuth mode,
    installed through the redirect flow, with no token the stand-in accepts but the install's."""
    if oauth is not None:
        standin.oauth = fixture(oauth)
        standin.tokens.clear()
    flotilla, service, server, clock = serve(standin, tmp_path, **(OAUTH if oauth is not None else {}))
    slack = Slack(standin=standin, flotilla=flotilla, service=service, port=server.server_port, clock=clock)
    try:
        if oauth is not None:
            oauth_round_trip(slack)
        yield slack
    finally:
        server.shutdown()
        server.server_close()
        service.drain()
        service.close()
        flotilla.close()
        standin.stop()
    assert standin.rejected == []


@pytest.fixture(params=list(SHAPES), ids=list(SHAPES))
def installed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Shape, Slack]]:
    shape = SHAPES[request.param]
    users = {uid: slack_user(uid, name, admin=name == "ada", team=shape.team)
             for uid, name in (("W0ADA", "ada"), ("W0BOB", "bob"), ("U0INSTALL", "installer"))}  # fmt: skip
    with app_installed(SlackStandIn(team_id="T0FLOTILLA", users=users).start(), tmp_path, shape.oauth) as slack:
        yield shape, slack


def token_of(slack: Slack) -> str:
    return INSTALL_TOKEN if slack.standin.oauth is not None else BOT_TOKEN


def command(slack: Slack, shape: Shape, text: str, user: str = ADA, channel: str | None = None) -> dict[str, Any]:
    name = f"cmd-{len(slack.standin.responses)}-{user}"
    fields = fixture(shape.command) | {"user_id": user, "text": text, "trigger_id": f"trigger.{name}",
                                       "response_url": slack.standin.response_url(name)}  # fmt: skip
    if channel:
        fields["channel_id"] = channel
    status, body = slack.form(fields)
    assert status == 200, body
    return slack.standin.wait_response(name)


def test_every_install_shape_serves_its_own_workspace(installed: tuple[Shape, Slack]) -> None:
    shape, slack = installed
    token = token_of(slack)

    # a typed command: queued, then run by the job worker, which looks the token up by workspace name
    made = command(slack, shape, 'team create payments "Payments"')
    assert "Team payments created" in made["text"], made
    assert {c.token for c in slack.standin.of("users.info")} == {token}
    assert slack.export(shape.workspace)["teams"][0]["handle"] == "payments"
    assert slack.export(shape.team if shape.team != shape.workspace else "T0NOWHERE")["teams"] == []
    if shape.oauth is not None:  # the installer administers Flotilla in that workspace
        assert {p["handle"]: p["admin"] for p in slack.export(shape.workspace)["people"]}.get("U0INSTALL") is True

    # a mention, run by the worker too; answered in its thread with the install's token
    mention = copy.deepcopy(fixture(shape.mention))
    mention["event"]["text"] = '<@U0FLOTBOT> blocker add "Waiting on legal" --team payments'
    assert slack.json(mention)[0] == 200
    posted = slack.standin.wait_for(lambda: [c for c in slack.standin.of("chat.postMessage")
                                             if c.params.get("thread_ts") == mention["event"]["ts"]])  # fmt: skip
    assert posted[0].token == token and "B-1 raised" in posted[0].params["text"]

    # the App Home, through bolt's own authorize
    home = copy.deepcopy(fixture("app_home_opened_org" if shape.enterprise == "E0ORG" else "app_home_opened"))
    home["event"]["user"] = ADA
    if shape.enterprise != "E0ORG":
        home.update(team_id=shape.team, enterprise_id=shape.enterprise)
        home["authorizations"][0].update(team_id=shape.team, enterprise_id=shape.enterprise)
    assert slack.json(home)[0] == 200
    views = slack.standin.wait_for(lambda: [c for c in slack.standin.of("views.publish") if c.params["user_id"] == ADA])
    assert views[0].token == token

    # a delivery outside any request (what the rhythm scheduler sends)
    delivery = slack.service.outbound(shape.workspace)
    assert delivery is not None, f"no delivery for {shape.workspace}"
    notice = Notice(lines=(line("Stand-up time"),), person=ADA, key=f"standup:{shape.workspace}:1")
    delivery.deliver(from_notice(notice, NOW))
    sent = [c for c in slack.standin.of("chat.postMessage") if c.params["channel"] == ADA]
    assert sent[-1].token == token
    assert slack.service.outbound("T0SOMEONEELSE") is None  # no install, no token


def test_an_org_wide_install_serves_forms_and_clicks_of_any_workspace_in_the_org(tmp_path: Path) -> None:
    users = {uid: slack_user(uid, n, admin=n == "ada", team="T0ORGWS")
             for uid, n in (("W0ADA", "ada"), ("U0INSTALL", "it"))}  # fmt: skip
    standin = SlackStandIn(users=users).start()
    shape = SHAPES["org-wide"]
    with app_installed(standin, tmp_path, shape.oauth) as slack:
        command(slack, shape, 'team create payments "Payments"')
        command(slack, shape, 'team create ledger "Ledger"', channel="C0LEDGER")
        command(slack, shape, "team add ledger <@W0ADA> --lead")
        command(slack, shape, "team add payments <@W0ADA>")
        command(slack, shape, 'dep request ledger "Keys" --by fri --team payments')
        click = copy.deepcopy(fixture("block_actions_org"))
        click["response_url"] = standin.response_url("click")
        assert slack.interactive(click)[0] == 200
        standin.wait_response("click")
        assert slack.export("E0ORG")["dependencies"][0]["state"] == "accepted"
        command(slack, shape, 'dep request ledger "More keys" --by fri --team payments')
        submitted = copy.deepcopy(fixture("view_submission_org"))
        submitted["view"]["private_metadata"] = json.dumps({"dep": "D-2"})
        status, body = slack.interactive(submitted)
        assert status == 200 and body in (b"", b"{}"), body
        assert slack.export("E0ORG")["dependencies"][1]["state"] == "declined"
        assert {c.token for c in standin.calls if c.method != "oauth.v2.access"} == {INSTALL_TOKEN}
        assert len(standin.of("auth.test")) == 2  # the install's, then bolt's first authorize: not one per ack
