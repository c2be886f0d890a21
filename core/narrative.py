"""A narrative written by a language model, and the rules it must pass before anyone reads it.

The model is an untrusted writer: its answer is used only when it is well formed, every claim
cites at least one id, and every id it cites or writes in its text was in the extract it was given
(a paragraph citing a real P-1 must not be able to say "D-777 is about to fail"). Anything else
falls back to the deterministic summary, with the reason in one line.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

MAX_CLAIMS = 8
MAX_CLAIM_CHARS = 700
MAX_CITES = 12
_ID = re.compile(r"^([pdb])-([0-9]{1,9})$", re.IGNORECASE)
_ID_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_-])([pdb])\s?[-‐‑–—]\s?([0-9]{1,12})(?![0-9])", re.IGNORECASE)
"""An id written anywhere in a sentence: `D-777`, `p-4242`, `B 3`-style spacing and typographic dashes too."""

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "paragraphs": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "cites": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["text", "cites"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["paragraphs"],
    "additionalProperties": False,
}
"""The JSON shape the model is asked for (structured output)."""


class NarrativeUnavailable(Exception):
    """No usable narrative; `reason` is one short phrase a leader can read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    text: str
    cites: tuple[str, ...]


@dataclass(frozen=True)
class Narrative:
    claims: tuple[Claim, ...]

    @property
    def cited(self) -> tuple[str, ...]:
        """Every id cited, in order of first citation."""
        return tuple(dict.fromkeys(c for claim in self.claims for c in claim.cites))

    @classmethod
    def from_json(cls, value: Any) -> Narrative:
        """Read the model's answer (already JSON-decoded); refuse anything not in the asked shape."""
        paragraphs = value.get("paragraphs") if isinstance(value, dict) else None
        if not isinstance(paragraphs, list):
            raise NarrativeUnavailable("the answer was not in the expected shape")
        claims: list[Claim] = []
        for item in paragraphs[:MAX_CLAIMS]:
            if not isinstance(item, dict):
                raise NarrativeUnavailable("the answer was not in the expected shape")
            text, cites = item.get("text"), item.get("cites", [])
            if not isinstance(text, str) or not isinstance(cites, list):
                raise NarrativeUnavailable("the answer was not in the expected shape")
            if not all(isinstance(c, str) for c in cites):
                raise NarrativeUnavailable("the answer was not in the expected shape")
            claims.append(Claim(text=text, cites=tuple(cites)))
        return cls(claims=tuple(claims))


def normalise_id(raw: str) -> str:
    """`d-3` -> `D-3`; team handles lowercase; anything else as given (trimmed)."""
    text = raw.strip()
    m = _ID.match(text)
    return f"{m.group(1).upper()}-{int(m.group(2))}" if m else text.lower()


def check(narrative: Narrative, known: Collection[str]) -> Narrative:
    """The narrative as it may be shown, or NarrativeUnavailable saying why not.

    `known` holds the ids and team handles of the extract the model was given.
    """
    claims: list[Claim] = []
    for claim in narrative.claims:
        text = " ".join(claim.text.split())
        if not text:
            continue
        cites = tuple(dict.fromkeys(normalise_id(c) for c in claim.cites if c.strip()))
        if not cites:
            raise NarrativeUnavailable("a statement in it cited nothing")
        unknown = [c for c in cites if c not in known]
        if unknown:
            raise NarrativeUnavailable(f"it cited {_show(unknown[0])}, which is not in the data")
        named = [f"{m.group(1).upper()}-{int(m.group(2))}" for m in _ID_IN_TEXT.finditer(text)]
        made_up = [i for i in named if i not in known]
        if made_up:
            raise NarrativeUnavailable(f"it mentioned {_show(made_up[0])}, which is not in the data")
        if len(text) > MAX_CLAIM_CHARS:
            text = text[: MAX_CLAIM_CHARS - 1].rstrip() + "…"
        claims.append(Claim(text=text, cites=cites[:MAX_CITES]))
    if not claims:
        raise NarrativeUnavailable("it was empty")
    return Narrative(claims=tuple(claims))


def _show(raw: str) -> str:
    """An id the model made up, safe to echo: letters, digits and dashes only."""
    flat = re.sub(r"[^A-Za-z0-9-]", "", raw)[:24]
    return f"'{flat}'" if flat else "an id"
