"""`flotilla`: demo, console, run, db upgrade, export, import."""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import ArgumentError, OperationalError

from bot.bootstrap import Flotilla, build, settle_heap
from bot.clock import SystemClock, parse_instant
from bot.console import Console, valid_handle
from core import rules
from core.errors import InvalidInput, Refused
from core.fakes import FixedClock
from core.ports import Clock
from core.transfer import export_workspace, import_workspace
from storage.uow import workspaces

log = logging.getLogger("flotilla")

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 2


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def _workspace(text: str) -> str:
    try:
        return rules.workspace_name(text)
    except InvalidInput as e:
        raise argparse.ArgumentTypeError(e.message) from None


def _db_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="database URL (default: FLOTILLA_DATABASE_URL or sqlite:///flotilla.db)")
    p.add_argument("--workspace", default="console", type=_workspace, help="workspace name (default: console)")


def _speaker_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as", dest="speaker", metavar="NAME", help="who speaks (default: your login name)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="flotilla", description="Team-of-teams coordination in chat.")
    sub = ap.add_subparsers(dest="cmd", required=True)

    demo = sub.add_parser("demo", help="build a demo organisation in SQLite and tour it (no credentials)")
    demo.add_argument("--db", metavar="URL", default="sqlite:///flotilla-demo.db", help="where the demo lives")
    demo.add_argument("--seed", type=int, default=7, help="seed for the generated people")

    con = sub.add_parser("console", help="chat with the bot in the terminal (reads a script from stdin)")
    _db_options(con)
    _speaker_options(con)
    con.add_argument("--clock", choices=["real", "fake"], default="real")
    con.add_argument("--now", metavar="ISO", help="start time of a fake clock")

    run = sub.add_parser("run", help="run one command; exit 0 ok, 2 refused, 1 error")
    run.add_argument("text", help='the command, e.g. "dep list --json"')
    _db_options(run)
    _speaker_options(run)
    run.add_argument("--now", metavar="ISO", help="act at this time")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_cmd", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("--db", metavar="URL")

    exp = sub.add_parser("export", help="everything of one workspace (json to stdout, or csv files)")
    _db_options(exp)
    exp.add_argument("--format", choices=["json", "csv"], default="json")
    exp.add_argument("--out", metavar="PATH", help="json: a file (default stdout); csv: a folder")

    imp = sub.add_parser("import", help="load a json export into a new workspace")
    imp.add_argument("file", help="the export file ('-' for stdin)")
    _db_options(imp)

    srv = sub.add_parser("serve", help="run a chat adapter (and the rhythm scheduler unless --no-scheduler)")
    srv_sub = srv.add_subparsers(dest="platform", required=True)
    slk = srv_sub.add_parser("slack", help="the Slack app: HTTP on /slack/events, or --socket (Socket Mode)")
    slk.add_argument("--socket", action="store_true", help="Socket Mode (needs SLACK_APP_TOKEN): no public URL")
    slk.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    slk.add_argument("--host", default="0.0.0.0", help="HTTP address to listen on (default: all)")
    slk.add_argument("--no-scheduler", action="store_true", help="do not run the rhythm scheduler in this process")
    slk.add_argument("--workers", type=_non_negative, default=1, metavar="N",
                     help="processes that run the commands after their ack (default 1; 0: threads of this "
                          "process)")  # fmt: skip
    slk.add_argument("--db", metavar="URL", help="database URL (default: FLOTILLA_DATABASE_URL)")
    tms = srv_sub.add_parser("teams", help="the Microsoft Teams bot: Bot Framework endpoint /api/messages")
    tms.add_argument("--port", type=int, default=3978, help="HTTP port (default 3978)")
    tms.add_argument("--host", default="0.0.0.0", help="HTTP address to listen on (default: all)")
    tms.add_argument("--no-scheduler", action="store_true", help="do not run the rhythm scheduler in this process")
    tms.add_argument("--db", metavar="URL", help="database URL (default: FLOTILLA_DATABASE_URL)")
    tms.add_argument("--insecure-local", action="store_true",
                     help="run without MICROSOFT_APP_ID: no authentication at all (Bot Framework Emulator, tests on "
                          "this machine only)")  # fmt: skip

    sch = sub.add_parser("scheduler", help="run the rhythm scheduler alone (prompts, reminders, digests) and send "
                                           "what it queues through each workspace's own platform")  # fmt: skip
    sch.add_argument("--db", metavar="URL", help="database URL (default: FLOTILLA_DATABASE_URL)")
    sch.add_argument("--workspace", action="append", metavar="NAME", type=_workspace,
                     help="only this workspace (repeatable)")  # fmt: skip
    sch.add_argument("--deliver", choices=["print", "none"], default="print",
                     help="Slack and Teams workspaces are sent through their platform when this process has its "
                          "credentials, whatever this says. print: also write console workspaces' messages to "
                          "stdout; none: send nothing at all (only claim and queue)")  # fmt: skip
    sch.add_argument("--interval", type=int, default=20, metavar="SECONDS", help="how often to tick (default 20)")
    sch.add_argument(
        "--grace",
        type=int,
        default=30,
        metavar="MINUTES",
        help="after downtime, steps due longer ago than this are skipped and logged (default 30)",
    )
    sch.add_argument("--once", action="store_true", help="tick once, send what is due, and exit (cron, scripts)")
    sch.add_argument("--now", metavar="ISO", help="with --once: tick up to this time")
    sch.add_argument("--metrics-port", type=int, metavar="PORT", help="serve Prometheus /metrics on this port")

    box = sub.add_parser("outbox", help="what waits to be sent, what was set aside, and sending it again")
    box.add_argument("action", nargs="?", choices=["list", "failed", "retry"], default="list",
                     help="list: waiting messages; failed: set aside after repeated failures; retry ID|--all: "
                          "put set-aside messages back in line")  # fmt: skip
    box.add_argument("id", nargs="?", type=int, help="retry: the message's number (as `list`/`failed` show it)")
    box.add_argument("--all", action="store_true", help="retry: every set-aside message (of --workspace)")
    box.add_argument("--workspace", metavar="NAME", help="only this workspace (default: all)")
    box.add_argument("--db", metavar="URL", help="database URL (default: FLOTILLA_DATABASE_URL)")

    pkg = sub.add_parser("teams-package", help="zip the Teams app package (manifest with your app id, and icons)")
    pkg.add_argument("--app-id", metavar="GUID", help="the bot's Microsoft App ID (default: MICROSOFT_APP_ID)")
    pkg.add_argument("--out", metavar="PATH", default="flotilla-teams.zip", help="the zip to write")
    return ap


class UsageError(Exception):
    """A bad command-line argument: one line on stderr, exit 2."""


def _build(database_url: str | None) -> Flotilla:
    try:
        app = build(database_url=database_url)
    except ValueError as e:  # an unsupported or malformed database URL
        raise UsageError(str(e)) from None
    settle_heap()
    return app


def _speaker(args: argparse.Namespace) -> str:
    if args.speaker:
        try:
            return valid_handle(args.speaker)
        except ValueError as e:
            raise UsageError(f"--as: {e}") from None
    try:
        return valid_handle(getpass.getuser())
    except (ValueError, KeyError, OSError):
        return "me"


def _clock(args: argparse.Namespace, fake: bool) -> Clock:
    if args.now:
        try:
            return FixedClock(parse_instant(args.now))
        except ValueError as e:
            raise UsageError(f"--now: {e}.") from None
    if fake:
        raise UsageError("--clock fake needs --now ISO (the time the console starts at).")
    return SystemClock()


def cmd_console(args: argparse.Namespace) -> int:
    app = _build(args.db)
    try:
        tty = sys.stdin.isatty()
        console = Console(app.uow_factory, _clock(args, args.clock == "fake"), _speaker(args), args.workspace,
                          out=sys.stdout, echo=not tty, services=app.services,
                          ask=input if tty else None)  # fmt: skip
        if tty:
            console.say(f"Flotilla console, workspace {args.workspace!r}, speaking as @{console.speaker}. "
                        "Type `help`, or Ctrl-D to leave.")  # fmt: skip
        while True:
            if tty:
                try:
                    raw = input(f"@{console.speaker}> ")
                except EOFError:
                    print()
                    break
            else:
                raw = sys.stdin.readline()
                if not raw:
                    break
            console.feed(raw)
        return EXIT_OK
    finally:
        app.close()


def cmd_run(args: argparse.Namespace) -> int:
    app = _build(args.db)
    try:
        console = Console(app.uow_factory, _clock(args, False), _speaker(args), args.workspace, out=sys.stdout,
                          services=app.services)  # fmt: skip
        outcome = console.command(args.text)
        return EXIT_REFUSED if outcome.refused else EXIT_OK
    finally:
        app.close()


def cmd_db(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    app = _build(args.db)
    try:
        upgrade(app.engine)
        print("Database is up to date.")
        return EXIT_OK
    finally:
        app.close()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet run a cell as a formula (OWASP: CSV injection)."""


def _csv_cell(value: Any) -> str:
    """A value as a CSV cell. Text a spreadsheet would run as a formula gets a leading `'`, in CSV
    only (the JSON export keeps text exactly); numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        text = " ".join(str(v) for v in value)
    elif isinstance(value, dict | list):  # records within a record (a dependency's re-plans): as JSON
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_csv(data: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in data.items():
        if not isinstance(rows, list):
            continue
        path = folder / f"{name}.csv"
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(columns)
            for row in rows:
                w.writerow([_csv_cell(row.get(c)) for c in columns])
        written.append(path)
    return written


def cmd_export(args: argparse.Namespace) -> int:
    app = _build(args.db)
    try:
        with app.uow_factory(args.workspace) as uow:
            missing = uow.created  # a typo, most likely: say so rather than export nothing (and create nothing)
            data = export_workspace(uow)
        if missing:
            known = ", ".join(workspaces(app.engine)[:10]) or "none"
            raise UsageError(f"there is no workspace {args.workspace!r} in this database (workspaces: {known})")
        if args.format == "csv":
            folder = Path(args.out or f"flotilla-export-{args.workspace}")
            for path in write_csv(data, folder):
                print(path)
            return EXIT_OK
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        return EXIT_OK
    finally:
        app.close()


def cmd_import(args: argparse.Namespace) -> int:
    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        data = json.loads(raw)
    except (OSError, ValueError, RecursionError) as e:  # ValueError: bad JSON, bad UTF-8, a 5,000-digit number
        print(f"Can't read {args.file}: {str(e)[:200]}", file=sys.stderr)
        return EXIT_REFUSED
    app = _build(args.db)
    try:
        with app.uow_factory(args.workspace) as uow:
            counts = import_workspace(uow, data)
            uow.commit()
        print(f"Imported into workspace {args.workspace!r}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        return EXIT_OK
    except Refused as e:
        print(e.message, file=sys.stderr)
        return EXIT_REFUSED
    finally:
        app.close()


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(args.db, seed=args.seed, out=sys.stdout)


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.settings import StartupError

    try:
        if args.platform == "slack":
            from bot.slack.serve import serve

            return serve(args)
        if args.platform == "teams":
            from bot.teams.serve import serve as serve_teams

            return serve_teams(args)
    except StartupError as e:
        print(e, file=sys.stderr)
        return EXIT_ERROR
    raise SystemExit(f"unknown platform {args.platform!r}")


def cmd_teams_package(args: argparse.Namespace) -> int:
    from bot.teams.package import PackageError, build_package

    try:
        path = build_package(Path(args.out), args.app_id)
    except PackageError as e:
        print(e, file=sys.stderr)
        return EXIT_REFUSED
    print(f"Wrote {path}: upload it in Teams (Apps > Manage your apps > Upload an app).")
    return EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.metrics import Metrics
    from bot.outbound import OutboxPump
    from bot.scheduler import RhythmScheduler

    if args.now and not args.once:
        raise UsageError("--now only works with --once (a running scheduler follows the real clock).")
    clock = _clock(args, False)
    app = _build(args.db)
    metrics = Metrics(app.engine) if args.metrics_port is not None else None
    pump = None
    if args.deliver != "none":
        pump = OutboxPump(app.engine, app.uow_factory, scheduler_deliveries(app, args), clock, metrics=metrics)
    every, grace = timedelta(seconds=args.interval), timedelta(minutes=args.grace)
    rhythm = RhythmScheduler(app.uow_factory, app.engine, clock, pump, only=args.workspace, grace=grace,
                             interval=every, metrics=metrics, send_inline=args.once,
                             services=app.services)  # fmt: skip
    server = metrics.serve(args.metrics_port) if metrics is not None and args.metrics_port is not None else None
    try:
        if args.once:
            done = rhythm.run_once()
            steps = sum(len(t.done) for t in done.values())
            print(f"Ticked {len(done)} workspace(s): {steps} step(s) done.", file=sys.stderr)
            return EXIT_OK
        if pump is not None:
            pump.start()
        log.warning("rhythm scheduler running every %ss (Ctrl-C stops it)", args.interval)
        rhythm.build(blocking=True).start()  # type: ignore[attr-defined]
        return EXIT_OK
    finally:
        if pump is not None:
            pump.stop()
        if server is not None:
            server.shutdown()
        app.close()


def scheduler_deliveries(app: Flotilla, args: argparse.Namespace) -> Any:
    """Every platform this process holds credentials for, and the console's messages printed."""
    from bot.outbound import Deliveries
    from bot.scheduler import PrintDelivery

    platforms: dict[str, Any] = {}
    from bot.slack.app import token_lookup
    from bot.slack.delivery import slack_outbound

    token_for = token_lookup(app.settings, app.engine)
    if token_for is not None:
        platforms["slack"] = slack_outbound(app.settings, app.engine, token_for)
    from bot.teams.outbound import teams_outbound

    teams = teams_outbound(app.settings, app.engine, app.uow_factory)
    if teams is not None:
        platforms["teams"] = teams
    console = PrintDelivery(lambda text: print(text, flush=True)) if args.deliver == "print" else None
    only = frozenset(args.workspace) if args.workspace else None
    return Deliveries(platforms, console, only)


def cmd_outbox(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from core.ports import FAILED, PENDING
    from storage.outbox_admin import retry, rows
    from storage.uow import workspaces

    app = _build(args.db)
    try:
        if args.workspace is not None and args.workspace not in workspaces(app.engine):
            raise UsageError(f"there is no workspace {args.workspace!r} in this database.")
        now = datetime.now(UTC)
        if args.action == "retry":
            if (args.id is None) == (not args.all):
                raise UsageError("retry takes the number of a set-aside message, or --all.")
            ids = None if args.all else [args.id]
            count = retry(app.engine, now, ids, args.workspace)
            if count == 0 and not args.all:
                raise UsageError(f"message {args.id} is not set aside (see `flotilla outbox failed`).")
            print(f"Put {count} message{'s' if count != 1 else ''} back in line: the next sender sends "
                  f"{'them' if count != 1 else 'it'} now.")  # fmt: skip
            return EXIT_OK
        state = PENDING if args.action == "list" else FAILED
        found = rows(app.engine, state, args.workspace)
        if not found:
            print("Nothing waits to be sent." if state == PENDING else "Nothing was set aside.")
            return EXIT_OK
        for r in found:
            print(outbox_line(r, now))
        what = "waiting" if state == PENDING else "set aside (retry with `flotilla outbox retry ID` or `--all`)"
        print(f"{len(found)} message{'s' if len(found) != 1 else ''} {what}.")
        return EXIT_OK
    finally:
        app.close()


def outbox_line(r: Any, now: Any) -> str:
    m = r.message
    to = f"#{m.channel}" if m.channel else f"@{m.person}"
    age = _age((now - m.created_at).total_seconds())
    parts = [f"{m.id:>6}", r.workspace, r.platform, f"to {to}", m.key, f"queued {age} ago", f"{m.attempts} tries"]
    if m.state == "pending" and m.next_attempt_at is not None and m.next_attempt_at > now:
        parts.append(f"next in {_age((m.next_attempt_at - now).total_seconds())}")
    if m.uncertain:
        parts.append("outcome of last try unknown")
    if m.error:
        parts.append(f"last error: {m.error}")
    return "  ".join(parts)


def _age(seconds: float) -> str:
    s = max(int(seconds), 0)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


COMMANDS = {"console": cmd_console, "run": cmd_run, "db": cmd_db, "export": cmd_export, "import": cmd_import,
            "demo": cmd_demo, "serve": cmd_serve, "teams-package": cmd_teams_package,
            "scheduler": cmd_scheduler, "outbox": cmd_outbox}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.cmd](args)
    except UsageError as e:
        print(f"flotilla {args.cmd}: {e}", file=sys.stderr)
        return EXIT_REFUSED
    except ArgumentError as e:
        print(f"flotilla {args.cmd}: not a database URL I can use: {e}", file=sys.stderr)
        return EXIT_REFUSED
    except OperationalError as e:
        reason = str(e.orig or e).strip().splitlines()[0]
        print(f"flotilla {args.cmd}: can't use the database: {reason}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `flotilla export | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception:
        log.exception("internal error")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
