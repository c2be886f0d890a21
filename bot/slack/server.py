"""HTTP for the bolt App: /slack/events, /slack/install, /slack/oauth_redirect (bolt's WSGI
adapter) and /healthz, on waitress or any WSGI server (gunicorn, uwsgi).

What reaches bolt has been checked first, here: bolt parses a body (`payload=` JSON included)
before it checks the signature, so a hostile body could make it fail before it ever said 401.
- a body over 1 MB gets 413: waitress answers from the Content-Length alone, without reading it
  (and stops a chunked one at the limit); this layer holds any other WSGI server to the same;
- a request whose signature does not check out in any way (missing, malformed, stale, forged,
  not UTF-8) gets 401 and a one-line log, and bolt never sees it;
- a signed body that bolt could not parse gets 400.
waitress buffers each request whole before a thread handles it, so a slow client holds no
thread; idle connections are closed after CHANNEL_TIMEOUT seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body
from sqlalchemy import Engine, text
from waitress.server import create_server

from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024
"""SPEC: bodies over 1 MB get 413 (Slack's own payloads are a few KB)."""
MAX_AGE_SECONDS = 300
"""A signed request older (or newer) than this is stale: Slack's own rule, as bolt applies it."""
HTTP_THREADS = 64
"""Threads that run requests. An ack holds its thread a few ms, waiting mostly for the job's group
commit; a form submission holds it while the core runs (it must answer in the ack). Enough of them
that a burst of acks is written in one group rather than queued behind each other."""
CHANNEL_TIMEOUT = 30
"""Seconds an idle connection is kept (Slack opens a new one for most requests)."""
MAX_HEADER_BYTES = 64 * 1024
CONNECTION_LIMIT = 1000


def database_ready(engine: Engine) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as e:  # a health check reports, it does not raise
            log.warning("health check: database unavailable (%s)", type(e).__name__)
            return False
        return True

    return ready


def _answer(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


def signed(body: bytes, timestamp: str | None, signature: str | None, secret: bytes, now: float) -> bool:
    """Slack's v0 signature over the raw bytes, within MAX_AGE_SECONDS: True only when all holds."""
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def parseable(body: bytes, content_type: str | None) -> bool:
    """Whether bolt's own parser makes a dict of this body (a click's `payload=` must be JSON)."""
    try:
        parsed = parse_body(body.decode("utf-8"), content_type)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return False
    return isinstance(parsed, dict)


def verified(slack: WSGIApp, signing_secret: str, now: Callable[[], float] = time.time) -> WSGIApp:
    """`slack` behind the checks above, for POSTs to /slack/events; the OAuth pages pass as they are."""
    secret = signing_secret.encode()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != EVENTS_PATH or environ.get("REQUEST_METHOD") != "POST":
            return slack(environ, start_response)
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit() and int(length) > MAX_BODY:
            return _answer(start_response, "413 Content Too Large", b"request body over 1 MB\n")
        stream = environ["wsgi.input"]
        body = stream.read(int(length)) if length.isdigit() else stream.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _answer(start_response, "413 Content Too Large", b"request body over 1 MB\n")
        if not signed(body, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("HTTP_X_SLACK_SIGNATURE"),
                      secret, now()):  # fmt: skip
            log.warning(
                "Slack request refused: missing, stale or wrong signature (from %s)", environ.get("REMOTE_ADDR")
            )
            return _answer(start_response, "401 Unauthorized", b"invalid request\n")
        if not parseable(body, environ.get("CONTENT_TYPE")):
            log.warning("Slack request refused: a signed body that is not a Slack payload")
            return _answer(start_response, "400 Bad Request", b"malformed payload\n")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return application


def wsgi_app(app: App, signing_secret: str, ready: Callable[[], str | None] = lambda: None,
             metrics: Metrics | None = None) -> WSGIApp:  # fmt: skip
    """Slack's endpoints through bolt, behind `verified`; a health check (`ready()` says what keeps
    this process from answering a command now; None: nothing, 200) and, given `metrics`,
    Prometheus `/metrics` and the ack latency of every Slack request."""
    slack = verified(SlackRequestHandler(app), signing_secret)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in ("GET", "HEAD"):
            waiting = ready()
            if waiting is None:
                return _answer(start_response, "200 OK", b"ok\n")
            return _answer(start_response, "503 Service Unavailable", waiting.encode() + b"\n")
        if path == "/metrics" and method == "GET" and metrics is not None:
            body = metrics.exposition()
            start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
            return [body]
        if metrics is None or path != EVENTS_PATH:
            return slack(environ, start_response)
        started = time.perf_counter()
        try:
            return slack(environ, start_response)
        finally:
            metrics.observe("slack", "ack", time.perf_counter() - started)

    return application


class HttpServer:
    """waitress, configured for Slack: `port=0` picks a free port (tests), `server_port` tells which."""

    def __init__(self, application: WSGIApp, host: str = "0.0.0.0", port: int = 3000,
                 threads: int = HTTP_THREADS) -> None:  # fmt: skip
        self._server: Any = create_server(
            application, host=host, port=port, threads=threads, ident="flotilla",
            max_request_body_size=MAX_BODY + 1,  # waitress refuses a body at this size or more
            max_request_header_size=MAX_HEADER_BYTES, channel_timeout=CHANNEL_TIMEOUT, cleanup_interval=10,
            connection_limit=CONNECTION_LIMIT, expose_tracebacks=False, asyncore_use_poll=True,
        )  # fmt: skip
        self.server_port: int = int(self._server.effective_port)
        self._stopped = False
        # waitress warns "Task queue depth is N" whenever requests wait for a thread: under a burst
        # that is every request; the latency it causes is measured (BENCHMARKS.md), not logged.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def serve_forever(self) -> None:
        self._server.run()

    def shutdown(self) -> None:
        """Stop serving (from another thread): close every connection and the listening socket."""
        if self._stopped:
            return
        self._stopped = True
        channels = self._server._map  # waitress keeps its sockets there; its loop ends when none is left
        while channels:
            for channel in list(channels.values()):
                channel.close()
        self._server.task_dispatcher.shutdown()

    def server_close(self) -> None:
        self.shutdown()


def http_server(application: WSGIApp, host: str = "0.0.0.0", port: int = 3000) -> HttpServer:
    return HttpServer(application, host, port)


def serve_in_thread(server: HttpServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="slack-http")
    thread.start()
    return thread
