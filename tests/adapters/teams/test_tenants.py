"""A tenant as Teams really runs one: installs, names, time zones, one welcome, channel names, admins.

The activities are msteams-docs' own examples (tests/fixtures/teams/msdocs_*.json, sources in that
folder's README), posted over loopback HTTP to /api/messages. Where a test needs two of them to be
about the same person or tenant, it says which fields it changes.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.adapters.teams.conftest import Stack, fixture, run_stack

TENANT = "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"
"""The tenant of msteams-docs' install examples."""
INSTALLER = "eddfa9d4-346e-4cce-a18f-fa6261ad776b"
INSTALLER_ID = "29:1ljv6N86roXr5pjPrCJVIz6xHh5QxjI...."
CHANNEL = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"
TEAM = "19:zFLSDFWsesfzcmKArqKJ-65aOXJz@sgf462H2wz41@thread.tacv2"
BOT = "28:608cacfd-1cea-40c9-b678-4b93e69bb72b"


def install() -> dict[str, Any]:
    return fixture("msdocs_installation_update_add")


def bot_added() -> dict[str, Any]:
    return fixture("msdocs_bot_added_to_team")


def in_tenant(activity: dict[str, Any]) -> dict[str, Any]:
    """An activity moved into the install examples' tenant (and addressed to their bot)."""
    activity = copy.deepcopy(activity)
    activity["channelData"]["tenant"] = {"id": TENANT}
    activity["conversation"]["tenantId"] = TENANT
    activity["recipient"] = {"id": BOT, "name": "Test Bot"}
    return activity


def personal(text: str, *, aad: str = INSTALLER, user_id: str = INSTALLER_ID, name: str | None = "Avery Install",
             tz: str | None = "America/Los_Angeles") -> dict[str, Any]:  # fmt: skip
    """msteams-docs' personal message (Megan Bowen's), sent by someone in this tenant."""
    activity = in_tenant(fixture("msdocs_personal_message", text=text))
    activity["attachments"] = []
    activity["from"] = {"id": user_id, "aadObjectId": aad, **({"name": name} if name else {})}
    activity["conversation"]["id"] = f"a:personal-{aad}"
    if tz is None:
        activity["entities"] = []
    else:
        activity["entities"][0]["timezone"] = tz
    return activity


def in_channel(text: str, *, aad: str = INSTALLER, name: str = "Avery Install") -> dict[str, Any]:
    """A channel message shaped as msteams-docs describes them: channelData names the channel's id only."""
    activity = in_tenant(fixture("channel_message_mention", text=f"<at>Flotilla</at> {text}"))
    activity["from"] = {"id": INSTALLER_ID if aad == INSTALLER else f"29:1{aad}", "name": name, "aadObjectId": aad}
    activity["conversation"]["id"] = f"{CHANNEL};messageid=1638912912"
    activity["channelData"] = {"channel": {"id": CHANNEL}, "team": {"id": TEAM}, "tenant": {"id": TENANT}}
    activity["entities"][0]["mentioned"]["id"] = BOT
    return activity


def people(s: Stack, tenant: str = TENANT) -> dict[str, Any]:
    with s.app.uow_factory(tenant) as uow:
        return {p.handle: p for p in uow.people.list()}


def welcomes(s: Stack) -> list[str]:
    return [t for t in s.connector.texts() if t.startswith("Hi, I'm Flotilla")]


# --- names and time zones ---------------------------------------------------------------------------


def test_a_name_first_seen_as_an_id_is_replaced_by_the_first_real_one(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        assert (await s.post(install()))[0] == 201  # from: no name; the roster does not know them either
        assert people(s)[INSTALLER].name == INSTALLER
        assert (await s.post(personal("me")))[0] == 201
        avery = people(s)[INSTALLER]
        assert (avery.name, avery.tz) == ("Avery Install", "America/Los_Angeles")
        # a mention may be shortened to a first name in Teams: it never renames anyone
        mention = {"type": "mention", "text": "<at>Avery</at>",
                   "mentioned": {"id": INSTALLER_ID, "name": "Avery", "aadObjectId": INSTALLER}}  # fmt: skip
        ask = personal('priority add "Launch in Lisbon" --team org --owner <at>Avery</at>')
        ask["entities"].append(mention)
        await s.post(ask)
        assert "owned by **Avery Install**" in s.connector.texts()[-1]
        assert people(s)[INSTALLER].name == "Avery Install"

    run_stack(tmp_path, scenario)


def test_the_roster_names_an_installer_the_install_event_leaves_unnamed(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        s.connector.members[INSTALLER_ID] = {"id": INSTALLER_ID, "name": "Avery Install", "aadObjectId": INSTALLER,
                                             "givenName": "Avery", "surname": "Install", "tenantId": TENANT,
                                             "userPrincipalName": "avery@contoso.example"}  # fmt: skip
        await s.post(install())
        assert people(s)[INSTALLER].name == "Avery Install"

    run_stack(tmp_path, scenario)


def test_time_zones_follow_the_client_and_stay_when_an_activity_has_none(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await s.post(personal("me", tz="Europe/Berlin"))
        assert people(s)[INSTALLER].tz == "Europe/Berlin"
        await s.post(personal("me", tz="America/Los_Angeles"))  # travelled
        assert people(s)[INSTALLER].tz == "America/Los_Angeles"
        await s.post(personal("me", tz=None))  # no clientInfo: nothing to go by
        await s.post(personal("me", tz="Mars/Olympus_Mons"))  # not a zone: ignored
        assert people(s)[INSTALLER].tz == "America/Los_Angeles"

    run_stack(tmp_path, scenario)


def test_a_reaction_names_nobody_and_changes_nothing(tmp_path: Path) -> None:
    """msteams-docs' messageReaction carries an AAD id and no name: no roster call, no placeholder rename."""

    async def scenario(s: Stack) -> None:
        reaction = fixture("msdocs_message_reaction")
        aad = reaction["from"]["aadObjectId"]
        await s.post(personal("me", aad=aad, user_id=reaction["from"]["id"], name="Bob Okafor", tz=None)
                     | {"channelData": reaction["channelData"]})  # fmt: skip
        tenant = reaction["channelData"]["tenant"]["id"]
        assert people(s, tenant)[aad].name == "Bob Okafor"
        assert (await s.post(reaction))[0] == 201
        assert people(s, tenant)[aad].name == "Bob Okafor"

    run_stack(tmp_path, scenario)


# --- one welcome per install --------------------------------------------------------------------------


def test_one_install_is_one_welcome_whatever_teams_sends(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await s.post(install())
        await s.post(bot_added())  # the same install, told again as a conversationUpdate
        assert len(welcomes(s)) == 1
        for again in (install(), bot_added()):
            await s.post(again, again=True)  # redelivered
            await s.post(again)  # or re-sent under a new id
        assert len(welcomes(s)) == 1
        upgrade = install() | {"action": "add-upgrade"}
        await s.post(upgrade)
        assert len(welcomes(s)) == 1  # an upgrade says nothing
        [hello] = [m for m in s.connector.sent if (m.body.get("text") or "").startswith("Hi, I'm Flotilla")]
        assert hello.conversation == CHANNEL  # in the channel chosen at install
        await s.post(install() | {"action": "remove"})
        await s.post(install())
        assert len(welcomes(s)) == 2  # removed and installed again: a new install

    run_stack(tmp_path, scenario)


def test_a_personal_install_is_welcomed_once_too(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        chat = {"conversationType": "personal", "id": "a:1personal-install", "tenantId": TENANT}
        add = install() | {"conversation": chat, "channelData": {"tenant": {"id": TENANT}}}
        added = bot_added() | {"conversation": chat, "channelData": {"tenant": {"id": TENANT}}}
        added["membersAdded"] = [{"id": BOT}, {"id": INSTALLER_ID, "aadObjectId": INSTALLER}]
        for activity in (added, add, added):
            await s.post(activity)
        assert len(welcomes(s)) == 1

    run_stack(tmp_path, scenario)


# --- channel and chat names -------------------------------------------------------------------------


def test_channels_are_called_by_the_name_the_install_gave(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await s.post(install())
        await s.post(in_channel('team create launch "Launch"'))
        assert s.connector.texts()[-1] == "Team launch created. Home channel: **2021 Test Channel**."
        renamed = in_tenant(fixture("msdocs_channel_renamed"))
        renamed["channelData"]["channel"] = {"id": CHANNEL, "name": "Launch room"}
        renamed["channelData"]["team"] = {"id": TEAM}
        await s.post(renamed)
        await s.post(in_channel("team show launch"))
        assert "**Launch room**" in s.connector.texts()[-1] and "the team's channel" not in s.connector.texts()[-1]

    run_stack(tmp_path, scenario)


def test_a_group_chat_is_called_by_its_name(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        chat = {"isGroup": True, "conversationType": "groupChat", "id": "19:launch-crew@thread.v2",
                "name": "Launch crew", "tenantId": TENANT}  # fmt: skip
        await s.post(install() | {"conversation": chat, "channelData": {"tenant": {"id": TENANT}}})
        say = personal('team create crew "Crew"') | {"conversation": {**chat, "name": None}}
        await s.post(say)
        assert s.connector.texts()[-1] == "Team crew created. Home channel: **Launch crew**."

    run_stack(tmp_path, scenario)


def test_the_general_channel_is_general(tmp_path: Path) -> None:
    """msteams-docs: the General channel's id is its team's id, and its name is never sent."""

    async def scenario(s: Stack) -> None:
        general = install()
        general["conversation"] = {**general["conversation"], "id": TEAM, "name": None}
        general["channelData"]["channel"] = {"id": TEAM}
        await s.post(general)
        say = in_channel('team create core "Core"')
        say["conversation"]["id"] = f"{TEAM};messageid=1"
        say["channelData"]["channel"] = {"id": TEAM}
        await s.post(say)
        assert s.connector.texts()[-1] == "Team core created. Home channel: **General**."

    run_stack(tmp_path, scenario)


# --- admins ---------------------------------------------------------------------------------------------


def test_the_installer_is_the_first_admin_and_the_first_speaker_is_not(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await s.post(install())
        carol = "c0c0c0c0-0000-4000-8000-00000000c0c0"
        await s.post(personal("me", aad=carol, user_id="29:1carol", name="Carol Speaks"))
        team = people(s)
        assert team[INSTALLER].admin and not team[carol].admin
        friend = {"type": "mention", "text": "<at>Carol Speaks</at>",
                  "mentioned": {"id": "29:1carol", "name": "Carol Speaks", "aadObjectId": carol}}  # fmt: skip
        ask = personal("admin add <at>Carol Speaks</at>", aad=carol, user_id="29:1carol", name="Carol Speaks")
        ask["entities"].append(friend)
        await s.post(ask)
        assert "admin" in s.connector.texts()[-1].lower() and not people(s)[carol].admin
        # a later install (another team, someone's personal scope) makes nobody admin
        later = install() | {"from": {"id": "29:1carol", "aadObjectId": carol}}
        later["channelData"] = {**later["channelData"], "team": {"id": "19:another-team@thread.tacv2"}}
        await s.post(later)
        assert not people(s)[carol].admin

    run_stack(tmp_path, scenario)


def test_adding_a_member_before_the_install_makes_nobody_admin(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        joined = in_tenant(fixture("conversation_update_team_member_added"))
        adder = joined["from"]["aadObjectId"]
        await s.post(joined)
        assert not any(p.admin for p in people(s).values())
        await s.post(install())
        assert people(s)[INSTALLER].admin and not people(s)[adder].admin

    run_stack(tmp_path, scenario)


def test_where_no_install_was_seen_the_first_speaker_is_admin(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        joined = in_tenant(fixture("conversation_update_team_member_added"))
        await s.post(joined)  # people met, nobody admin
        await s.post(personal("me"))
        assert people(s)[INSTALLER].admin

    run_stack(tmp_path, scenario)
