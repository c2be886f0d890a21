"""Limits of what people type, stated once: the commands enforce them, forms show them."""

from __future__ import annotations

MAX_TITLE = 200
"""A priority's title, a team's name."""
MAX_TEXT = 1000
"""Anything longer a person types: a note, a reason, a request, a stand-up answer."""
