"""HTTP for the bolt App: /slack/events, /slack/install, /slack/oauth_redirect (bolt's WSGI
adapter) and /healthz, on a threaded stdlib server or any WSGI server (gunicorn, uwsgi)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text

from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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


def wsgi_app(app: App, ready: Callable[[], bool] = lambda: True, metrics: Metrics | None = None) -> WSGIApp:
    """Slack's endpoints through bolt (which checks every signature), a health check and, given
    `metrics`, Prometheus `/metrics` and the ack latency of every Slack request."""
    slack = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in ("GET", "HEAD"):
            ok = ready()
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"ok\n" if ok else b"database unavailable\n"]
        if path == "/metrics" and method == "GET" and metrics is not None:
            body = metrics.exposition()
            start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
            return [body]
        if metrics is None or path != "/slack/events":
            return slack(environ, start_response)
        started = time.perf_counter()
        try:
            return slack(environ, start_response)
        finally:
            metrics.observe("slack", "ack", time.perf_counter() - started)

    return application


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        log.debug("%s " + format, self.address_string(), *args)


def http_server(application: WSGIApp, host: str = "0.0.0.0", port: int = 3000) -> WSGIServer:
    """A thread per request; `port=0` picks a free port (tests), `server.server_port` tells which."""
    return make_server(host, port, application, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


def serve_in_thread(server: WSGIServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                              name="slack-http")  # fmt: skip
    thread.start()
    return thread
