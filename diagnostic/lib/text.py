"""Characters no text in this service may hold.

Control characters (U+0000–U+001F and U+007F) have no place in a URL, a filter or a name;
NUL in particular cannot be stored by PostgreSQL (it would answer 500 there and store the text
on SQLite). Free text (comments, descriptions) may hold tab, line feed and carriage return.
"""

from __future__ import annotations

import re

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not \t \n \r

FORMULA_START = ("=", "+", "-", "@")


def has_control_characters(value: str, *, free_text: bool = False) -> bool:
    """True when `value` holds a control character; `free_text` allows tab and line breaks."""
    return bool((_CONTROL_IN_TEXT if free_text else _ANY_CONTROL).search(value))
