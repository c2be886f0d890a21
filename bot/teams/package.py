"""`flotilla teams-package`: the Teams app package, a zip of manifest.json (with the bot's app id)
and the two icons at its root, ready to upload in Teams or the Developer Portal."""

from __future__ import annotations

import json
import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from bot.settings import Settings

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
FILES = ("manifest.json", "color.png", "outline.png")


class PackageError(ValueError):
    """No usable app id."""


def package_dir() -> Path:
    return Path(str(resources.files("bot.teams") / "appPackage"))


def manifest(app_id: str) -> dict[str, Any]:
    """The manifest with `id` and the bot's `botId` set to the Microsoft App ID."""
    data: dict[str, Any] = json.loads((package_dir() / "manifest.json").read_text(encoding="utf-8"))
    data["id"] = app_id
    for bot in data.get("bots", []):
        bot["botId"] = app_id
    return data


def build_package(out: Path, app_id: str | None = None) -> Path:
    app_id = (app_id or Settings().microsoft_app_id or "").strip()
    if not _GUID.fullmatch(app_id):
        raise PackageError("Give the bot's Microsoft App ID (a GUID) with --app-id or MICROSOFT_APP_ID.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest(app_id), indent=2, ensure_ascii=False) + "\n")
        for name in FILES[1:]:
            z.write(package_dir() / name, arcname=name)
    return out
