"""COMMAND_HANDLERS: every command type mapped to the function that carries it out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import commands as c
from core.context import Call
from core.handlers import (
    acks,
    blockers,
    briefings,
    checkins,
    dependencies,
    history,
    people,
    priorities,
    rhythm,
    risks,
    summaries,
    teams,
)
from core.reply import Reply

Handler = Callable[[Call, Any], Reply]

HANDLERS: dict[type[c.Command], Handler] = {
    c.Me: people.me,
    c.MeTz: people.me_tz,
    c.AdminAdd: people.admin_add,
    c.AdminRemove: people.admin_remove,
    c.TeamCreate: teams.create,
    c.TeamAdd: teams.add,
    c.TeamRemove: teams.remove,
    c.TeamRename: teams.rename,
    c.TeamDemote: teams.demote,
    c.TeamMove: teams.move,
    c.TeamArchive: teams.archive,
    c.TeamUnarchive: teams.unarchive,
    c.TeamShow: teams.show,
    c.TeamList: teams.list_,
    c.PriorityAdd: priorities.add,
    c.PriorityUpdate: priorities.update,
    c.PriorityAlign: priorities.align,
    c.PriorityDone: priorities.done,
    c.PriorityDrop: priorities.drop,
    c.PriorityList: priorities.list_,
    c.PriorityShow: priorities.show,
    c.DepRequest: dependencies.request,
    c.DepAccept: dependencies.accept,
    c.DepDecline: dependencies.decline,
    c.DepPropose: dependencies.propose,
    c.DepAgree: dependencies.agree,
    c.DepReject: dependencies.reject,
    c.DepCommit: dependencies.commit,
    c.DepOwner: dependencies.owner,
    c.DepBlock: dependencies.block,
    c.DepUnblock: dependencies.unblock,
    c.DepDone: dependencies.done,
    c.DepCancel: dependencies.cancel,
    c.DepList: dependencies.list_,
    c.DepShow: dependencies.show,
    c.BlockerAdd: blockers.add,
    c.BlockerResolve: blockers.resolve,
    c.BlockerList: blockers.list_,
    c.History: history.history,
    c.Standup: checkins.standup,
    c.Checkin: checkins.checkin,
    c.RhythmSetStandup: rhythm.set_standup,
    c.RhythmSetWeekly: rhythm.set_weekly,
    c.RhythmShow: rhythm.show,
    c.RhythmPause: rhythm.pause,
    c.RhythmResume: rhythm.resume,
    c.RhythmSkip: rhythm.skip,
    c.Away: rhythm.away,
    c.Back: rhythm.back,
    c.Risks: risks.risks,
    c.RisksThresholds: risks.thresholds,
    c.RisksAck: acks.ack,
    c.RisksUnack: acks.unack,
    c.RisksAcks: acks.acks,
    c.Briefing: briefings.briefing,
    c.RhythmSetBriefing: briefings.set_briefing,
    c.Summary: summaries.summary,
    c.Map: summaries.map_,
}
