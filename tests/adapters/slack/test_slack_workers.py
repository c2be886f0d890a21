"""Commands after their ack, as `serve slack` runs them: kept in the database, run by a worker
process, and not lost when the app stops between the ack and the run."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path
from typing import Any

from bot.slack.workers import WakePipe, WakeReader, Workers
from core.fakes import FixedClock
from tests.adapters.slack.conftest import NOW, PEOPLE, Slack, serve
from tests.adapters.slack.standin import SlackStandIn

ADA = PEOPLE["ada"]
STARTUP = 60.0
"""A worker process starts from nothing (spawn): imports, database, auth.test. Slow CI needs time."""


def command(slack: Slack, text: str, channel: str = "C0GENERAL") -> dict[str, Any]:
    fields, name = slack.command_fields(ADA, text, channel)
    assert slack.form(fields)[0] == 200
    return slack.standin.wait_response(name, timeout=STARTUP)


def returns(call: Any) -> bool:
    """Whether `call()` comes back at all (a deadlock never does): a hang detector, not a timer."""
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(STARTUP)
    return not thread.is_alive()


def _wait_for_wake_ups(reader: WakeReader, waiting: Any) -> None:
    def loop() -> None:
        while True:
            reader.wait(0.5)
            reader.clear()

    for _ in range(2):  # like a worker's two job threads
        threading.Thread(target=loop, daemon=True).start()
    waiting.set()
    threading.Event().wait()


def test_a_worker_killed_while_it_waits_never_jams_the_wake_up() -> None:
    """multiprocessing.Event jams here: its set() waits for every sleeper to acknowledge, and a
    killed one never does, so the serving process hung in the request that queued a command."""
    ctx = multiprocessing.get_context("spawn")
    wake, waiting = WakePipe(ctx), ctx.Event()
    worker = ctx.Process(target=_wait_for_wake_ups, args=(wake.reader, waiting), daemon=True)
    worker.start()
    assert waiting.wait(STARTUP)
    assert returns(wake.set)  # a live worker takes it
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    for _ in range(70_000):  # more wake-ups than a pipe holds, with nobody reading
        wake.set()
    assert returns(wake.set)
    wake.close()


def test_a_worker_wakes_its_own_job_threads_to_stop_them() -> None:
    """JobRunner.stop() wakes the threads waiting on the pipe, from inside the worker."""
    wake = WakePipe(multiprocessing.get_context("spawn"))
    woken = threading.Event()
    waiter = threading.Thread(target=lambda: wake.reader.wait(STARTUP) and woken.set(), daemon=True)
    waiter.start()
    wake.reader.set()
    waiter.join(STARTUP)
    assert woken.is_set()
    wake.reader.clear()
    assert not wake.reader.wait(0)
    wake.close()


def test_an_acked_command_survives_a_restart_before_it_ran(standin: SlackStandIn, tmp_path: Path) -> None:
    flotilla, service, server, clock = serve(standin, tmp_path, jobs_here=False)  # nothing runs jobs
    slack = Slack(standin=standin, flotilla=flotilla, service=service, port=server.server_port, clock=clock)
    fields, name = slack.command_fields(ADA, 'team create payments "Payments"', "C0PAYMENTS")
    assert slack.form(fields)[0] == 200  # acked: Slack will not send it again
    assert service.jobs.pending() == 1 and name not in standin.responses
    server.shutdown()  # the app stops (a deploy, a crash) before the command ran
    server.server_close()
    service.close()
    flotilla.close()

    flotilla, service, server, clock = serve(standin, tmp_path)  # started again, on the same database
    try:
        answer = standin.wait_response(name)
        assert answer["response_type"] == "in_channel"
        assert "Team payments created" in answer["text"]
        service.drain()
        assert service.jobs.pending() == 0
    finally:
        server.shutdown()
        server.server_close()
        service.close()
        flotilla.close()


def test_a_worker_process_runs_the_commands_and_is_started_again_when_it_dies(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    flotilla, service, server, clock = serve(standin, tmp_path, jobs_here=False)
    slack = Slack(standin=standin, flotilla=flotilla, service=service, port=server.server_port, clock=clock)
    workers = Workers(flotilla.settings, 1, clock=FixedClock(NOW), niceness=0).start()
    try:
        created = command(slack, 'team create payments "Payments"', "C0PAYMENTS")  # run in the worker
        assert "Team payments created" in created["text"]
        assert slack.export()["teams"][0]["channel"] == "C0PAYMENTS"

        (pid,) = workers.pids()
        os.kill(pid, signal.SIGKILL)  # most likely while it waits for a wake-up
        standin.wait_for(lambda: workers.pids() and workers.pids() != [pid], timeout=STARTUP)
        assert returns(workers.wake), "queueing a command would hang the serving process"
        listed = command(slack, "team list")  # the new worker answers
        assert "payments" in listed["text"]
        assert service.jobs.pending() == 0
        workers.stop()
        assert workers.exitcodes() == [0]  # SIGTERM: it finished and closed everything, no traceback
    finally:
        workers.stop()
        server.shutdown()
        server.server_close()
        service.close()
        flotilla.close()


def test_a_late_answer_goes_in_the_digests_thread_whichever_process_sends_it(slack: Slack) -> None:
    """The scheduler (in the serving process) posts the digest; a late stand-up typed afterwards
    runs in a worker process, or after a restart: where the digest went is in the database."""
    from bot.slack.delivery import PostedMessages, SlackDelivery
    from bot.slack.store import SlackStore
    from core.outbox import drain, from_notice
    from core.reply import Notice, line
    from tests.adapters.slack.conftest import BOT_TOKEN, TEAM

    client = slack.service.adapter.client(TEAM, BOT_TOKEN)
    store = SlackStore(slack.flotilla.engine)
    assert slack.service.pump is not None
    slack.service.pump.stop()  # this test sends with deliveries of its own

    def send(notice: Notice, posted: PostedMessages) -> None:
        with slack.flotilla.uow_factory(TEAM) as uow:
            uow.outbox.add_all([from_notice(notice, NOW)])
            uow.commit()
        sent = drain(slack.flotilla.uow_factory, TEAM, SlackDelivery(workspace=TEAM, client=client, posted=posted), NOW)
        assert [m.key for m in sent.sent] == [notice.key] and not sent.failed

    scheduler = PostedMessages(store=store)
    digest = Notice(lines=(line("Stand-up digest"),), channel="C0PAYMENTS", key="digest:payments:2026-11-23")
    send(digest, scheduler)
    late = {n: Notice(lines=(line(f"{n}, late"),), channel="C0PAYMENTS", key=f"late:{n}", thread=digest.key)
            for n in ("bob", "carol")}  # fmt: skip
    send(late["bob"], PostedMessages(store=store))  # another process
    send(late["carol"], PostedMessages())  # memory only, as before: no thread

    posted, in_thread, outside = slack.standin.of("chat.postMessage")
    kept = store.find_post(TEAM, digest.key)
    assert kept is not None and kept[0] == "C0PAYMENTS" and posted.params.get("thread_ts") is None
    assert in_thread.params["thread_ts"] == kept[1]
    assert outside.params.get("thread_ts") is None


def test_healthz_is_503_until_a_worker_can_answer_a_command(standin: SlackStandIn, tmp_path: Path) -> None:
    """Issue 13.2: /healthz said ok while the worker was still starting (3-4 s); a command that came
    then waited for it. Now it says ok only once a worker has built its app and warmed up."""
    import urllib.error
    import urllib.request

    from bot.settings import Settings
    from bot.slack.serve import readiness
    from bot.slack.server import http_server, serve_in_thread, wsgi_app
    from tests.adapters.slack.conftest import SIGNING_SECRET

    flotilla, service, first_server, clock = serve(standin, tmp_path, jobs_here=False)
    first_server.shutdown()
    current: list[Workers] = []
    server = http_server(wsgi_app(service.app, SIGNING_SECRET, lambda: readiness(flotilla, current[0])()),
                         "127.0.0.1", 0)  # fmt: skip
    serve_in_thread(server)
    slack = Slack(standin=standin, flotilla=flotilla, service=service, port=server.server_port, clock=clock)

    def healthz() -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"{slack.url}/healthz", timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    refused = Settings(**(flotilla.settings.model_dump() | {"slack_bot_token": "xoxb-2141029472-revoked-e1b9e11d"}))
    current.append(Workers(refused, 1, niceness=0).start())  # a worker that cannot start (its token is refused)
    try:
        assert healthz()[0] == 503
        standin.wait_for(lambda: [c for c in standin.of("auth.test") if c.token == refused.value("slack_bot_token")],
                         timeout=STARTUP)  # fmt: skip
        assert healthz() == (503, b"starting: no worker is ready to run commands yet\n")
        current[0].stop()
        current[0] = Workers(flotilla.settings, 1, clock=FixedClock(NOW), niceness=0).start()
        assert current[0].wait_ready(STARTUP)
        assert healthz() == (200, b"ok\n")
        fields, name = slack.command_fields(ADA, "team list")
        assert slack.form(fields)[0] == 200
        assert standin.wait_response(name)["response_type"] == "ephemeral"  # answered by that worker
    finally:
        current[0].stop()
        server.shutdown()
        service.close()
        flotilla.close()
