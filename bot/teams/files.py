"""Answers too long for a Teams message, sent as a file the person opens (personal chat only).

Teams' bot file API (msteams-docs `bots/how-to/bots-filesv4.md`): the bot sends a file consent card
naming the file; if the person accepts, Teams answers with a `fileConsent/invoke` carrying an upload
URL in their OneDrive; the bot PUTs the bytes there (OneDrive's upload-session protocol, one range)
and sends a file info card the person can open. It works in personal chats only, and needs
`"supportsFiles": true` in the app manifest. The content waits in the database in between
(storage.offered_files), so any replica can upload it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import aiohttp
from botbuilder.schema import Attachment

log = logging.getLogger(__name__)

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60)


class StoredFile(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def content(self) -> str: ...


class FileShelf(Protocol):
    """Implemented by storage.offered_files.SqlOfferedFiles."""

    def offer(self, workspace: str, person: str, name: str, content: str, now: datetime) -> str: ...

    def get(self, workspace: str, key: str, person: str, now: datetime) -> StoredFile | None: ...

    def remove(self, workspace: str, key: str) -> None: ...


CONTEXT_VERB = "file"
"""`acceptContext`/`declineContext` are `{"flotilla": "file", "file": <key>}`."""


def consent_card(name: str, size: int, key: str, description: str) -> Attachment:
    context = {"flotilla": CONTEXT_VERB, "file": key}
    content = {"description": description, "sizeInBytes": size, "acceptContext": context, "declineContext": context}
    return Attachment(content_type=FILE_CONSENT, name=name, content=content)


def file_key(context: Any) -> str | None:
    """The offered file's key from a consent card's context, or None if it is not one of ours."""
    if isinstance(context, dict) and context.get("flotilla") == CONTEXT_VERB and isinstance(context.get("file"), str):
        return str(context["file"])
    return None


@dataclass(frozen=True)
class Uploaded:
    content_url: str
    name: str
    unique_id: str
    file_type: str


def info_card(done: Uploaded) -> Attachment:
    """What the person opens: the file, now in their OneDrive."""
    return Attachment(content_type=FILE_INFO, content_url=done.content_url, name=done.name,
                      content={"uniqueId": done.unique_id, "fileType": done.file_type})  # fmt: skip


class UploadFailed(RuntimeError):
    pass


async def upload(url: str, data: bytes) -> None:
    """PUT the whole file to the upload URL Teams gave (pre-authorised: no token of ours goes there)."""
    headers = {"Content-Length": str(len(data)), "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}",
               "Content-Type": "application/octet-stream"}  # fmt: skip
    try:
        async with (
            aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as session,
            session.put(url, data=data, headers=headers) as response,
        ):
            if response.status not in (200, 201):
                raise UploadFailed(f"the upload answered {response.status}")
    except (aiohttp.ClientError, TimeoutError) as e:
        raise UploadFailed(type(e).__name__) from None
