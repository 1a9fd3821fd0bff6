"""What a written address or number is: the literals a plan or a contact card may hold.

Kinds (``engine.kinds``) and the contacts book (``engine.tools.local.contacts``) must agree on
what counts as an e-mail address or a phone number, so both read these rules from here; this
module imports nothing of the engine, so either may import it first.
"""

from __future__ import annotations

import re


def normalize_phone(raw: str) -> str:
    """Digits with a leading ``+``; numbers without a country code get ``+1`` as in the reference
    (and an 11-digit number starting with 1 is a North American one written without its ``+``)."""
    digits = "".join(c for c in raw if c.isdigit())
    if raw.strip().startswith("+"):
        return "+" + digits
    if raw.strip().startswith("00"):
        return "+" + digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return "+1" + digits if digits else raw


_PHONE = re.compile(r"\+?[\d\s().\-/]+")
_EMAIL = re.compile(r"[^@\s\"'<>]+@[^@\s\"'<>]+\.[^@\s\"'<>]+")


def as_phone_number(text: str) -> str | None:
    """``text`` as a phone number if it already is one, else None. Planners "look up" the number
    in "Text +1 340 478 3942: …"; that lookup must give the number back, not fail on the contacts."""
    t = text.strip()
    if _PHONE.fullmatch(t) and sum(c.isdigit() for c in t) >= 7:
        return normalize_phone(t)
    return None


def as_email_address(text: str) -> str | None:
    """``text`` if it already is an e-mail address (see ``as_phone_number``), else None."""
    t = text.strip().removeprefix("mailto:")
    return t if _EMAIL.fullmatch(t) else None


def normal_value(value: object) -> object:
    """One spelling per value, to tell whether two calls do the same thing: an address or number
    in its normal form (``+1 415 555 0100`` is ``+14155550100``), text trimmed, its spaces
    collapsed and case folded, a list as the sorted normal forms of its items."""
    if isinstance(value, (list, tuple)):
        return tuple(sorted(map(str, (normal_value(v) for v in value))))
    if not isinstance(value, str):
        return value
    v = " ".join(value.split())
    return as_email_address(v) or as_phone_number(v) or v.casefold()
