"""A local stand-in for Slack's Web API: an HTTP server on 127.0.0.1 that records every call,
answers the methods Flotilla uses the way Slack does, and answers 429 with Retry-After when a
method is called faster than its configured rate. Response URLs and file uploads land here too.

It rejects what Slack rejects: a call without a token (`not_authed`) or with one it never issued
(`invalid_auth`), and any message or view over Block Kit's limits (tests/adapters/slack/blockkit.py):
`invalid_blocks` for messages, `invalid_arguments` for views, HTTP 400 for a response_url post.
Every rejection is also kept in `rejected`, which the `standin` fixture expects empty at the end.
"""

from __future__ import annotations

import itertools
import json
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tests.adapters.slack.blockkit import message_errors, view_errors

BOT_TOKEN = "xoxb-test-bot-token"
INSTALLED_TOKEN = "xoxb-installed-token"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float


def slack_user(
    uid: str, name: str, *, tz: str = "UTC", admin: bool = False, team: str = "T0FLOTILLA"
) -> dict[str, Any]:
    return {
        "id": uid, "team_id": team, "name": name, "real_name": name.title(), "tz": tz,
        "is_admin": admin, "is_owner": False, "is_primary_owner": False, "is_bot": False,
        "profile": {"display_name": name, "real_name": name.title()},
    }  # fmt: skip


@dataclass
class SlackStandIn:
    team_id: str = "T0FLOTILLA"
    bot_user_id: str = "U0FLOTBOT"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    """method -> (calls allowed, per this many seconds); beyond it: 429 with Retry-After."""
    unreachable_channels: set[str] = field(default_factory=set)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    """token -> who it is (team_id, enterprise_id, is_enterprise_install), as auth.test tells; the
    single-workspace bot token is known from the start, an install's once oauth.v2.access issued it."""
    oauth: dict[str, Any] | None = None
    """What oauth.v2.access answers (tests/fixtures/slack/oauth_v2_access_*.json); by default a plain
    install in `team_id`. The token it issues is known from then on."""
    storms: dict[str, int] = field(default_factory=dict)
    """method -> Retry-After: every call of it answers 429 until the storm is taken out again."""
    drop: Callable[[str, int], bool] | None = None
    """(method, nth call of it) -> True: do the call, then drop the connection without an answer
    (the sender cannot know whether it happened)."""
    readable: bool = True
    """False: conversations.history/.replies answer `missing_scope` (an app without the scopes)."""

    calls: list[Call] = field(default_factory=list, init=False)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict, init=False)
    uploads: dict[str, bytes] = field(default_factory=dict, init=False)
    limited: dict[str, int] = field(default_factory=dict, init=False)
    arrived: dict[str, float] = field(default_factory=dict, init=False)
    """Response URL name -> time.monotonic() its first post arrived (benchmarks)."""
    rejected: list[tuple[str, list[str]]] = field(default_factory=list, init=False)
    """(method or response URL, Slack's errors) of every call refused as Slack would refuse it."""
    messages: list[dict[str, Any]] = field(default_factory=list, init=False)
    """Every message chat.postMessage accepted, as conversations.history returns them (channel added)."""
    dropped: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.tokens.setdefault(BOT_TOKEN, {"team_id": self.team_id, "enterprise_id": None,
                                           "is_enterprise_install": False})  # fmt: skip
        self._cond = threading.Condition()
        self._generation = 0
        self._windows: dict[str, deque[float]] = {}
        self._ts = itertools.count(1)
        self._ts_lock = threading.Lock()
        self._last_ts = 0
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802
                standin._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                standin._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def root(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def api_url(self) -> str:
        return self.root + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.root}/response/{name}"

    # --- what tests read -----------------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Block until `predicate()` is truthy (re-checked on every recorded call); its value."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                seen = self._generation
            value = predicate()  # outside the lock: it may wait on the app, which may be calling us
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the stand-in never saw what the test waited for; calls: "
                                     f"{[c.method for c in self.calls][-20:]}")  # fmt: skip
            with self._cond:
                if self._generation == seen:
                    self._cond.wait(min(left, 0.5))  # woken by the next recorded call

    def wait_response(self, name: str, timeout: float = 10.0) -> dict[str, Any]:
        return self.wait_for(lambda: (self.responses.get(name) or [None])[-1], timeout)  # type: ignore[no-any-return]

    # --- serving ---------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        url = urlparse(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        if url.path.startswith("/upload/"):
            with self._cond:
                self.uploads[url.path.rsplit("/", 1)[-1]] = raw
                self._generation += 1
                self._cond.notify_all()
            return self._send(req, 200, b"OK - %d" % len(raw), "text/plain")
        if url.path.startswith("/response/"):
            name = url.path.rsplit("/", 1)[-1]
            posted = json.loads(raw or b"{}")
            errors = message_errors(posted)
            with self._cond:
                if errors:
                    self.rejected.append((f"response_url {name}", errors))
                else:
                    self.responses.setdefault(name, []).append(posted)
                    self.arrived.setdefault(name, time.monotonic())
                self._generation += 1
                self._cond.notify_all()
            return (
                self._send(req, 400, b"invalid_blocks", "text/plain")
                if errors
                else self._send(req, 200, b"ok", "text/plain")
            )
        if not url.path.startswith("/api/"):
            return self._send(req, 404, b"not found", "text/plain")
        method = url.path[len("/api/") :]
        params: dict[str, Any] = dict(parse_qsl(url.query))
        ctype = req.headers.get("Content-Type") or ""
        if raw and "json" in ctype:
            params.update(json.loads(raw))
        elif raw and "multipart" not in ctype:
            params.update(dict(parse_qsl(raw.decode())))
        auth = req.headers.get("Authorization") or ""
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else params.get("token")
        retry_after = self.storms.get(method) or self._over_limit(method)
        if retry_after:
            with self._cond:
                self.limited[method] = self.limited.get(method, 0) + 1
            body = json.dumps({"ok": False, "error": "ratelimited"}).encode()
            return self._send(req, 429, body, "application/json", {"Retry-After": str(retry_after)})
        with self._cond:
            self.calls.append(Call(method=method, params=params, token=token, at=time.monotonic()))
            answer = self._refusal(method, params, token) or self._answer(method, params, token)
            nth = sum(1 for c in self.calls if c.method == method)
            dropping = self.drop is not None and self.drop(method, nth)
            self.dropped += dropping
            self._generation += 1
            self._cond.notify_all()
        if dropping:  # done, but the caller never hears of it
            req.close_connection = True
            req.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(req, 200, json.dumps(answer).encode(), "application/json")

    def _over_limit(self, method: str) -> int:
        limit = self.limits.get(method)
        if limit is None:
            return 0
        n, window = limit
        now = time.monotonic()
        with self._cond:
            q = self._windows.setdefault(method, deque())
            while q and q[0] <= now - window:
                q.popleft()
            if len(q) >= n:
                return max(1, math.ceil(q[0] + window - now))
            q.append(now)
        return 0

    def _send(self, req: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
              headers: dict[str, str] | None = None) -> None:  # fmt: skip
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(body)

    def _next_ts(self) -> str:
        """Slack's message ids: the time it got the message, in microseconds, unique per channel."""
        with self._ts_lock:
            self._last_ts = max(self._last_ts + 1, int(time.time() * 1_000_000))
            return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _refusal(self, method: str, p: dict[str, Any], token: str | None) -> dict[str, Any] | None:
        """Slack's answer to a call it refuses (None: it does not). Called holding the lock."""
        if method == "oauth.v2.access":
            return None  # authenticated by the client id and secret, not a token
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        errors: list[str] = []
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            blocks = p.get("blocks")
            errors = message_errors({"text": p.get("text"),
                                     "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks})  # fmt: skip
            kind = "invalid_blocks"
        elif method in ("views.open", "views.publish", "views.update", "views.push"):
            view = p.get("view")
            errors = view_errors(json.loads(view) if isinstance(view, str) else view or {})
            kind = "invalid_arguments"
        if not errors:
            return None
        self.rejected.append((method, errors))
        return {"ok": False, "error": kind, "errors": errors,
                "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]}}  # fmt: skip

    def _answer(self, method: str, p: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        if method == "auth.test":
            who = self.tokens.get(token or "") or {}
            return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "flotilla",
                    "team_id": who.get("team_id"), "user_id": self.bot_user_id, "bot_id": "B0FLOTBOT",
                    "enterprise_id": who.get("enterprise_id"),
                    "is_enterprise_install": bool(who.get("is_enterprise_install"))}  # fmt: skip
        if method == "users.info":
            user = self.users.get(str(p.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "chat.postMessage":
            channel = str(p.get("channel"))
            if channel in self.unreachable_channels:
                return {"ok": False, "error": "not_in_channel"}
            if channel.startswith(("U", "W")):  # a message to a person goes to their DM with the bot
                channel = "D" + channel[1:]
            ts = self._next_ts()
            message = {"type": "message", "text": p.get("text"), "ts": ts, "bot_id": "B0FLOTBOT"}
            metadata = p.get("metadata")
            if metadata:
                message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
            if p.get("thread_ts"):
                message["thread_ts"] = p["thread_ts"]
            self.messages.append({**message, "channel": channel})
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method in ("conversations.history", "conversations.replies"):
            if not self.readable:
                return {"ok": False, "error": "missing_scope", "needed": "channels:history"}
            channel, oldest = str(p.get("channel")), float(p.get("oldest") or 0)
            found = [m for m in self.messages if m["channel"] == channel and float(m["ts"]) > oldest
                     and (method == "conversations.history" or m.get("thread_ts") == p.get("ts"))]  # fmt: skip
            keep = str(p.get("include_all_metadata")).lower() in ("1", "true")
            shown = [{k: v for k, v in m.items() if k != "channel" and (keep or k != "metadata")} for m in found]
            return {"ok": True, "messages": shown[::-1], "has_more": False}
        if method == "conversations.join":
            return {"ok": True, "channel": {"id": p.get("channel")}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.update":
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = p.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            return {"ok": True, "view": {**(view or {}), "id": f"V{next(self._ts):08d}", "hash": "h"}}
        if method == "conversations.open":
            users = str(p.get("users") or "")
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0][1:]}}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": p.get("channel"), "name": str(p.get("channel")).lower()}}
        if method == "files.getUploadURLExternal":
            fid = f"F{next(self._ts):08d}"
            return {"ok": True, "upload_url": f"{self.root}/upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            files = p.get("files")
            files = json.loads(files) if isinstance(files, str) else files
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files or []]}
        if method == "oauth.v2.access":
            answer = dict(self.oauth or {
                "ok": True, "app_id": "A0FLOTILLA", "authed_user": {"id": "U0INSTALL"}, "scope": "commands",
                "token_type": "bot", "access_token": INSTALLED_TOKEN, "bot_user_id": self.bot_user_id,
                "team": {"id": self.team_id, "name": "Acme"}, "enterprise": None, "is_enterprise_install": False,
            })  # fmt: skip
            self.tokens[answer["access_token"]] = {
                "team_id": (answer.get("team") or {}).get("id"),
                "enterprise_id": (answer.get("enterprise") or {}).get("id"),
                "is_enterprise_install": answer["is_enterprise_install"],
            }
            return answer
        return {"ok": False, "error": "unknown_method"}
