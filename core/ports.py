"""Ports the core owns. Storage and adapters implement them; tests use the fakes in core.fakes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from core.acks import Ack
from core.briefing import BriefingSchedule
from core.model import Blocker, Dependency, Event, Kind, Person, Priority, SlipAlert, Team, Workspace
from core.narrative import Narrative
from core.offers import Offer
from core.reply import Line, Notice
from core.rhythm import Away, Response, Rhythm, Run, RunKind, Step
from core.risks import RiskKind

PENDING, SENT, FAILED = "pending", "sent", "failed"
"""An outbox message's states. FAILED is "set aside": it keeps failing, or the platform refuses it for
good."""


@dataclass
class OutboxMessage:
    key: str
    """Idempotency key: one message per key and workspace, ever."""
    lines: tuple[Line, ...]
    created_at: datetime
    channel: str | None = None
    person: str | None = None
    thread: str | None = None
    """Key of the message this one is a reply under (a late answer under its digest)."""
    in_thread: str | None = None
    """The platform's own id of a message this one answers in its thread (an @mention's reply)."""
    ephemeral: bool = False
    """Only `person` sees it, in `channel` (a private answer to someone who spoke in a channel)."""
    id: int | None = None
    state: str = PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = None
    uncertain: bool = False
    """The last try may have reached the platform (a dropped connection, a drainer that died
    mid-send): the delivery checks before it sends again, where the platform allows."""
    offers: tuple[Offer, ...] = ()
    """The notice's offers (buttons, cards) to render with it."""

    @property
    def notice(self) -> Notice:
        return Notice(lines=self.lines, channel=self.channel, person=self.person, key=self.key, thread=self.thread,
                      offers=self.offers)  # fmt: skip


class DeliveryError(Exception):
    """Raised by a ChatDelivery that could not deliver.

    `retry_after` (seconds) is what the platform asked for (HTTP 429 Retry-After) or how long a
    local rate limit wants; `permanent` means retrying cannot help; `uncertain` means the platform
    may have the message anyway (the connection dropped after the request went out); `counts` is
    False for a wait that is not a failure (a 429, a local pacing wait: nothing was refused);
    `everything` says the wait is for every message of this workspace, not only this one's channel
    (the drain then stops and gives the rest back, rather than putting each one back in turn)."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        uncertain: bool = False,
        counts: bool = True,
        everything: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.permanent = reason, retry_after, permanent
        self.uncertain, self.counts, self.everything = uncertain, counts, everything


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime (UTC)."""
        ...


class Summarizer(Protocol):
    """Writes a leader's narrative from a bounded extract (a language model). The core checks it."""

    def narrate(self, extract: dict[str, Any], purpose: str = "summary") -> Narrative:
        """The model's answer, read into claims; raise core.narrative.NarrativeUnavailable(reason)
        on a timeout, an HTTP error, a refusal or an answer that is not the asked JSON. `purpose` is
        "summary" (a few paragraphs) or "briefing" (the opening paragraph of a weekly briefing)."""
        ...


class WorkspaceRepo(Protocol):
    def get(self) -> Workspace: ...

    def save(self, workspace: Workspace) -> None: ...


class PeopleRepo(Protocol):
    def get(self, handle: str) -> Person | None: ...

    def some(self, handles: Collection[str]) -> Sequence[Person]:
        """Those of these people who exist, in one read (a team's people, not the organisation's)."""
        ...

    def list(self) -> Sequence[Person]: ...

    def add_if_absent(self, person: Person) -> bool:
        """Insert unless a person with that handle exists; True when inserted."""
        ...

    def save(self, person: Person) -> None: ...

    def any_admin(self) -> bool:
        """Whether anyone in the workspace is an admin (without reading everyone)."""
        ...


class TeamRepo(Protocol):
    def get(self, handle: str) -> Team | None: ...

    def list(self) -> Sequence[Team]:
        """All teams, ordered by handle."""
        ...

    def save(self, team: Team) -> None:
        """Insert or update, members and leads included."""
        ...


class PriorityRepo(Protocol):
    def get(self, number: int) -> Priority | None: ...

    def list(self) -> Sequence[Priority]:
        """All priorities, ordered by number."""
        ...

    def save(self, priority: Priority) -> None: ...


class DependencyRepo(Protocol):
    def get(self, number: int) -> Dependency | None: ...

    def list(self) -> Sequence[Dependency]: ...

    def save(self, dependency: Dependency) -> None: ...


class BlockerRepo(Protocol):
    def get(self, number: int) -> Blocker | None: ...

    def list(self) -> Sequence[Blocker]: ...

    def save(self, blocker: Blocker) -> None: ...


class EventRepo(Protocol):
    def append(self, event: Event) -> None: ...

    def list(self, since: datetime | None = None) -> Sequence[Event]:
        """Events in the order they happened (seq), optionally from `since` on."""
        ...


class SettingsRepo(Protocol):
    """Per-workspace settings (risk thresholds and the like): JSON-ready values by key."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...

    def all(self) -> dict[str, Any]: ...


class RhythmRepo(Protocol):
    """Each team's rhythm (schedules, pause, skip dates) and people's out-of-office ranges."""

    def get(self, team: str) -> Rhythm | None: ...

    def list(self) -> Sequence[Rhythm]:
        """Every team's rhythm, ordered by team."""
        ...

    def save(self, rhythm: Rhythm) -> None:
        """Insert or update, skip dates included."""
        ...

    def aways(self, person: str | None = None) -> Sequence[Away]:
        """Out-of-office ranges (of one person), ordered by person and start."""
        ...

    def set_aways(self, person: str, ranges: Sequence[Away]) -> None:
        """Replace that person's ranges."""
        ...


class CheckinRepo(Protocol):
    """Check-in runs and their responses."""

    def run(self, team: str, kind: RunKind, period: str) -> Run | None: ...

    def runs(self, since: datetime | None = None) -> Sequence[Run]:
        """Runs opening at or after `since`, ordered by opening time then team."""
        ...

    def save_run(self, run: Run) -> None: ...

    def response(self, team: str, kind: RunKind, period: str, person: str) -> Response | None: ...

    def responses(
        self, team: str | None = None, kind: RunKind | None = None, period: str | None = None
    ) -> Sequence[Response]:
        """Responses, optionally of one run (or one team, or one kind), ordered by first answer."""
        ...

    def save_response(self, response: Response) -> None: ...


class ClaimRepo(Protocol):
    def claim(
        self, team: str, kind: RunKind, period: str, step: Step, at: datetime, outcome: str = "done", zone: str = ""
    ) -> bool:
        """Insert the claim row for this step (of the people in `zone`, for a rhythm that asks each
        member in their own zone; "" for the whole team); False when it exists (another process has
        it or did it). Concurrent claimers of one step wait for the first one's transaction and then
        get False."""
        ...

    def list(self) -> Sequence[tuple[str, str, str, str, str]]:
        """(team, kind, period, step, outcome) of every claim (tests, inspection); a zone's step
        reads `prompt@Asia/Tokyo`."""
        ...


class AckRepo(Protocol):
    """Acknowledged risks (core.acks): one per (subject, kind), kind None meaning every kind."""

    def list(self) -> Sequence[Ack]:
        """Ordered by subject, then kind."""
        ...

    def save(self, ack: Ack) -> None:
        """Insert, or replace the acknowledgement of the same (subject, kind)."""
        ...

    def delete(self, subject: str, kind: RiskKind | None) -> None: ...


class BriefingRepo(Protocol):
    """Weekly leader briefing schedules (one per scope: "org" or a team) and the claims that send each
    person's briefing of a week once."""

    def get(self, scope: str) -> BriefingSchedule | None: ...

    def list(self) -> Sequence[BriefingSchedule]:
        """Ordered by scope."""
        ...

    def save(self, schedule: BriefingSchedule) -> None: ...

    def claim(self, scope: str, person: str, period: str, at: datetime, outcome: str = "sent") -> bool:
        """Insert the claim row; False when it exists (another process has sent, or is sending, it).
        Concurrent claimers of one row wait for the first one's transaction and then get False."""
        ...

    def claimed(self, scope: str | None = None) -> Sequence[tuple[str, str, str, str]]:
        """(scope, person, period, outcome) of every claim (tests, inspection)."""
        ...


class SlipAlertRepo(Protocol):
    """Slip alerts (core.slips), one row per (dependency, change, person)."""

    def add(self, alert: SlipAlert) -> bool:
        """Insert unless that (dependency, change, person) exists already; True when inserted."""
        ...

    def list(self, dependency: int | None = None, state: str | None = None) -> Sequence[SlipAlert]:
        """Oldest first, optionally of one dependency and one state."""
        ...

    def save(self, alert: SlipAlert) -> None:
        """Update an existing alert's state."""
        ...


class OutboxRepo(Protocol):
    def add(self, message: OutboxMessage) -> bool:
        """Queue a message; False (and nothing written) when its key is already in the outbox."""
        ...

    def add_all(self, messages: Sequence[OutboxMessage]) -> int:
        """Queue several in one statement; returns how many were new (keys already queued are skipped)."""
        ...

    def claim(self, now: datetime, limit: int, lease: str, lease_for: timedelta) -> Sequence[OutboxMessage]:
        """Pending messages due by `now` that nobody holds, oldest first, now leased to `lease` for
        `lease_for`. Leases are timed by the database's own clock, not `now` (which may be a test's
        or a console's clock): senders in different processes agree on when one has run out. Rows
        another transaction is claiming are skipped, never waited for (FOR UPDATE SKIP LOCKED). A
        row whose earlier lease ran out without an outcome comes back `uncertain`: its sender may
        have sent it before it died."""
        ...

    def record(self, message: OutboxMessage, lease: str) -> bool:
        """Write a claimed message's outcome (state, attempts, times, error, uncertain) and end its
        lease; False, and nothing written, when `lease` no longer holds the row."""
        ...

    def release(self, ids: Sequence[int], lease: str) -> None:
        """Give claimed rows back unsent (their lease ends now, nothing else changes)."""
        ...

    def list(self, state: str | None = None) -> Sequence[OutboxMessage]: ...


class ChatDelivery(Protocol):
    """Sends one outbox message to a channel or a person (console print, Slack, Teams)."""

    def deliver(self, message: OutboxMessage) -> None:
        """Send it once (no retries, no waiting out rate limits: the outbox schedules those), passing
        `message.key` on as the idempotency key; when `message.uncertain`, first check whether the
        platform has it already, where it can. Raise core.outbox.DeliveryError when it was not sent
        (with retry_after when the platform said so, uncertain when it may have been)."""
        ...


class IdSequences(Protocol):
    def next(self, kind: Kind) -> int:
        """The next number for this kind in this workspace; never repeats, even across processes."""
        ...

    def current(self) -> dict[str, int]:
        """Last number handed out per kind prefix ("P", "D", "B")."""
        ...

    def ensure_at_least(self, kind: Kind, last: int) -> None:
        """Raise the sequence so that `next` returns more than `last` (import)."""
        ...


class UnitOfWork(Protocol):
    """One transaction on one workspace. Repositories never commit; the service does."""

    workspace: WorkspaceRepo
    people: PeopleRepo
    teams: TeamRepo
    priorities: PriorityRepo
    dependencies: DependencyRepo
    blockers: BlockerRepo
    events: EventRepo
    ids: IdSequences
    settings: SettingsRepo
    rhythms: RhythmRepo
    checkins: CheckinRepo
    claims: ClaimRepo
    outbox: OutboxRepo
    acks: AckRepo
    briefings: BriefingRepo
    slips: SlipAlertRepo
    created: bool
    """True when this unit of work inserted its workspace: the workspace then exists only if it
    commits (a read or a refused command in an unknown workspace leaves none behind)."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def lock(self) -> None:
        """Serialize with every other writer of this workspace until commit or rollback.

        Commands read, decide and write: two replicas doing that at once on one record would
        lose an update (or both accept and decline a request). Taken first, so no deadlock."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, workspace: str) -> UnitOfWork:
        """A unit of work bound to the workspace of that name (created, in its transaction, when it
        does not exist; a new workspace's name must keep core.rules.workspace_name)."""
        ...
