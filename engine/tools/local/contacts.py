"""Contacts from vCard files (``<data>/contacts/*.vcf``), the format every address book exports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import vobject

from engine.executor import ToolError
from engine.tools.local.store import create_new, fold, safe_filename


@dataclass(frozen=True)
class Contact:
    name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    source: Path


_CARD = re.compile(r"^BEGIN:VCARD\r?$.*?^END:VCARD\r?$", re.I | re.M | re.S)


class Contacts:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.unreadable: list[str] = []
        """What the last ``all()`` could not read, each as "FILE: why", so a lookup that fails can
        say a card was skipped instead of pretending the contact does not exist."""

    def all(self) -> list[Contact]:
        """Every card of every ``.vcf`` file. Cards are parsed one by one: a broken card costs
        only itself, and is listed in ``unreadable``."""
        out: list[Contact] = []
        self.unreadable = []
        if not self.folder.is_dir():
            return out
        for path in sorted(self.folder.glob("*.vcf")):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                self.unreadable.append(f"{path.name}: {exc.strerror or exc}")
                continue
            blocks = _CARD.findall(text)
            if not blocks:
                self.unreadable.append(f"{path.name}: no BEGIN:VCARD … END:VCARD card in it")
            for n, block in enumerate(blocks, 1):
                try:
                    card = vobject.readOne(block)
                except Exception as exc:
                    self.unreadable.append(f"{path.name}: card {n} cannot be read ({type(exc).__name__}: {exc})")
                    continue
                name = str(card.fn.value).strip() if hasattr(card, "fn") else ""
                emails = tuple(str(e.value).strip() for e in card.contents.get("email", []))
                phones = tuple(str(t.value).strip() for t in card.contents.get("tel", []))
                if name:
                    out.append(Contact(name, emails, phones, path))
                else:
                    self.unreadable.append(f"{path.name}: card {n} has no name (FN)")
        return out

    def _skipped(self) -> str:
        if not self.unreadable:
            return ""
        return f" Could not read {len(self.unreadable)} card(s): {'; '.join(self.unreadable[:3])}."

    def find(self, name: str) -> Contact:
        """The one contact meant by ``name``: exact full name first, then first or last name,
        then a name that starts with it; several equally good matches are an error naming them."""
        wanted = fold(name)
        if not wanted:
            raise ToolError("No contact name was given.")
        everyone = self.all()
        if not everyone:
            raise ToolError(
                f"No contact named {name!r}: the address book at {self.folder} is empty. "
                "Add contacts with `tinyagent contacts add NAME --email ... --phone ...` or drop .vcf files there."
                + self._skipped()
            )
        tiers = [
            [c for c in everyone if fold(c.name) == wanted],
            [c for c in everyone if wanted in fold(c.name).split()],
            [c for c in everyone if fold(c.name).startswith(wanted) or wanted in fold(c.name)],
        ]
        for tier in tiers:
            if len(tier) == 1:
                return tier[0]
            if len(tier) > 1:
                names = ", ".join(sorted(c.name for c in tier))
                raise ToolError(f"{len(tier)} contacts match {name!r} ({names}); say which one.")
        raise ToolError(f"No contact named {name!r} in the address book ({len(everyone)} contacts).{self._skipped()}")

    def by_email(self, address: str) -> Contact:
        wanted = address.strip().lower()
        for c in self.all():
            if any(e.lower() == wanted for e in c.emails):
                return c
        raise ToolError(f"No contact has the email address {address!r}, so there is no phone number to text.{self._skipped()}")

    def add(self, name: str, emails: list[str], phones: list[str]) -> Path:
        card = vobject.vCard()
        card.add("fn").value = name
        parts = name.split()
        card.add("n").value = vobject.vcard.Name(family=parts[-1] if len(parts) > 1 else "", given=parts[0] if parts else name)
        for e in emails:
            card.add("email").value = e
        for p in phones:
            card.add("tel").value = p
        return create_new(self.folder / f"{safe_filename(name)}.vcf", card.serialize())


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
