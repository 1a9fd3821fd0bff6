"""Contacts from vCard files (``<data>/contacts/*.vcf``), the format every address book exports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import vobject

from engine.tools.local.store import create_new, fold, safe_filename
from engine.tools.spec import ToolError


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
        """The one contact meant by ``name``: its full name, or one whole part of it (first or last
        name, ignoring case and accents), when exactly one contact has it. Anything less sure is
        an error carrying ranked ``candidates`` (nicknames, typos, partial names), for the person
        to pick from: a guess is never used."""
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
        chosen = choose_name(name, [c.name for c in everyone], f"the address book ({len(everyone)} contacts)",
                             self._skipped())
        return next(c for c in everyone if c.name == chosen)

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


# Short and long forms of given names that people use for each other.
NICKNAMES = [
    ("bob", "robert"), ("rob", "robert"), ("bobby", "robert"), ("bill", "william"), ("will", "william"),
    ("liam", "william"), ("jim", "james"), ("jimmy", "james"), ("jamie", "james"), ("mike", "michael"),
    ("mick", "michael"), ("kate", "katherine"), ("katie", "katherine"), ("kathy", "katherine"), ("cathy", "catherine"),
    ("liz", "elizabeth"), ("beth", "elizabeth"), ("lizzie", "elizabeth"), ("betty", "elizabeth"), ("tom", "thomas"),
    ("tommy", "thomas"), ("dave", "david"), ("dan", "daniel"), ("danny", "daniel"), ("chris", "christopher"),
    ("chris", "christine"), ("tony", "anthony"), ("nick", "nicholas"), ("alex", "alexander"), ("alex", "alexandra"),
    ("sasha", "alexander"), ("sasha", "alexandra"), ("sam", "samuel"), ("sam", "samantha"), ("ben", "benjamin"),
    ("matt", "matthew"), ("pat", "patrick"), ("pat", "patricia"), ("steve", "steven"), ("steve", "stephen"),
    ("jen", "jennifer"), ("jenny", "jennifer"), ("jess", "jessica"), ("becky", "rebecca"), ("maggie", "margaret"),
    ("peggy", "margaret"), ("meg", "margaret"), ("sue", "susan"), ("suzy", "susan"), ("andy", "andrew"),
    ("drew", "andrew"), ("joe", "joseph"), ("joey", "joseph"), ("pepe", "jose"), ("paco", "francisco"),
    ("javi", "javier"), ("nacho", "ignacio"), ("lupita", "guadalupe"), ("rafa", "rafael"), ("sid", "siddharth"),
    ("abe", "abraham"), ("ed", "edward"), ("ted", "edward"), ("charlie", "charles"), ("chuck", "charles"),
    ("fred", "frederick"), ("freddie", "frederick"), ("harry", "henry"), ("hank", "henry"), ("jack", "john"),
    ("johnny", "john"), ("dick", "richard"), ("rick", "richard"), ("ricky", "richard"), ("vicky", "victoria"),
    ("nate", "nathan"), ("nate", "nathaniel"), ("greg", "gregory"), ("jeff", "jeffrey"), ("ron", "ronald"),
    ("ken", "kenneth"), ("kenny", "kenneth"), ("tim", "timothy"), ("larry", "lawrence"), ("misha", "mikhail"),
    ("dima", "dmitri"), ("kostya", "konstantin"), ("lena", "elena"), ("vova", "vladimir"),
]
_NICK: dict[str, set[str]] = {}
for _short, _long in NICKNAMES:
    _NICK.setdefault(_short, set()).add(_long)
    _NICK.setdefault(_long, set()).add(_short)


def choose_name(name: str, names: list[str], where: str, note: str = "") -> str:
    """The one of ``names`` that ``name`` means: the full name, or one whole part of it (first or
    last name, ignoring case and accents), when exactly one has it. Anything less sure is a
    ``ToolError`` carrying ranked candidates for the person to pick from: a guess is never used.
    Both backends choose so; the Mac one with the names Contacts lists."""
    wanted = fold(name)
    for tier in ([n for n in names if fold(n) == wanted], [n for n in names if wanted in fold(n).split()]):
        if len(tier) == 1:
            return tier[0]
        if tier:
            ordered = sorted(tier)
            raise ToolError(f"{len(ordered)} contacts match {name!r} ({', '.join(ordered)}); say which one.",
                            candidates=ordered, value=name)
    ranked = rank_candidates(name, names)
    hint = f" Did you mean {' or '.join(ranked[:3])}?" if ranked else ""
    raise ToolError(f"No contact named {name!r} in {where}.{hint}{note}", candidates=ranked, value=name)


def rank_candidates(name: str, names: list[str], limit: int = 5) -> list[str]:
    """Contact names ``name`` may have meant, best first: a nickname of a given name (Bob for
    Robert), a name that starts with it (Sidd for Siddharth), then close spellings (typos,
    dropped accents). Only names at least that close are listed."""
    import difflib

    wanted = fold(name)
    words = wanted.split()
    scored: list[tuple[float, str]] = []
    for full in names:
        parts = fold(full).split()
        score = difflib.SequenceMatcher(None, wanted, fold(full)).ratio()
        for w in words:
            for part in parts:
                if part in _NICK.get(w, ()):
                    score = max(score, 0.95)
                elif len(w) >= 2 and part.startswith(w):
                    score = max(score, 0.85)
                else:
                    score = max(score, difflib.SequenceMatcher(None, w, part).ratio() - 0.05)
        if score >= 0.75:
            scored.append((score, full))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [full for _, full in scored[:limit]]
