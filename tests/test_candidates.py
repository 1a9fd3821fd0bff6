"""A lookup that fails offers who may have been meant, ranked, on a realistic address book; a
guess is never used: only an exact name, or one whole part of it, picks a contact by itself."""

from __future__ import annotations

import pytest

from engine.executor import ToolError
from engine.tools.local.contacts import Contacts, rank_candidates

BOOK = [
    "Robert Fischer", "Katherine O'Brien", "Elizabeth Warren-Smith", "William Chen", "James Okafor", "Michael Rossi",
    "Siddharth Rao", "Sid Jha", "José Martínez", "Zoë Ürlaub", "Łukasz Żółć", "Thomas Müller", "Christopher Lee",
    "Christine Dubois", "Alexandra Petrova", "Alexander Ivanov", "Samantha Green", "Samuel Adeyemi", "Benjamin Cohen",
    "Matthew Park", "Patricia Nguyen", "Stephen King", "Jennifer Lopez", "Jessica Tanaka", "Rebecca Hill",
    "Margaret Thatcher-Jones", "Susan Kowalski", "Andrew Mensah", "Joseph Haddad", "Francisco Gómez",
    "Guadalupe Reyes", "Rafael Nadal", "Edward Norton", "Charles Darwin", "Frederick Douglass", "Henry Ford",
    "John Smith", "Richard Feynman", "Victoria Beckham", "Nathaniel Hawthorne", "Gregory Peck", "Jeffrey Lebowski",
    "Ronald Weasley", "Kenneth Branagh", "Timothy Dalton", "Lawrence Olivier", "Dmitri Mendeleev", "Elena Kagan",
    "Søren Kierkegaard", "Björk Guðmundsdóttir", "Nguyễn Thị Mai", "Ayşe Yılmaz", "Lutfi Eren Erdoğan", "Priya Patel",
]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    contacts = Contacts(tmp_path_factory.mktemp("data") / "contacts")
    for i, name in enumerate(BOOK):
        contacts.add(name, [f"c{i}@example.com"], [f"+1 415 555 01{i:02d}"])
    return contacts


def test_the_fixture_is_a_real_address_book(book):
    assert len(book.all()) == len(BOOK) >= 50


@pytest.mark.parametrize(("asked", "first"), [
    ("Bob", "Robert Fischer"), ("Kate", "Katherine O'Brien"), ("Liz", "Elizabeth Warren-Smith"),
    ("Bill Chen", "William Chen"), ("Mike", "Michael Rossi"), ("Dima", "Dmitri Mendeleev"),
    ("Lupita", "Guadalupe Reyes"), ("Paco", "Francisco Gómez"), ("Ted Norton", "Edward Norton"),
    ("Sidd", "Siddharth Rao"), ("Jose Martines", "José Martínez"), ("Lukasz", "Łukasz Żółć"),
    ("Fynman", "Richard Feynman"), ("Erdogn", "Lutfi Eren Erdoğan"), ("Kierkegard", "Søren Kierkegaard"),
])
def test_a_failed_lookup_ranks_who_was_meant_first(book, asked, first):
    with pytest.raises(ToolError) as err:
        book.find(asked)
    assert err.value.candidates and err.value.candidates[0] == first, err.value.candidates
    assert first in str(err.value)  # said in words too: "Did you mean …?"


@pytest.mark.parametrize(("asked", "picked"), [
    ("josé martínez", "José Martínez"), ("JOSE MARTINEZ", "José Martínez"), ("Feynman", "Richard Feynman"),
    ("Rao", "Siddharth Rao"), ("Zoe", "Zoë Ürlaub"), ("priya", "Priya Patel"), ("Zoe Urlaub", "Zoë Ürlaub"),
    ("Ayse", "Ayşe Yılmaz"),  # accents ignored: still exact
])
def test_only_an_exact_name_or_name_part_picks_by_itself(book, asked, picked):
    assert book.find(asked).name == picked


def test_two_contacts_with_the_name_are_both_offered(book):
    with pytest.raises(ToolError) as err:
        book.find("Chris")  # a nickname of two people: never a guess
    assert {"Christopher Lee", "Christine Dubois"} <= set(err.value.candidates)
    with pytest.raises(ToolError) as err:
        book.find("Alex")
    assert set(err.value.candidates[:2]) == {"Alexandra Petrova", "Alexander Ivanov"}


def test_a_name_like_nobody_offers_nobody(book):
    with pytest.raises(ToolError) as err:
        book.find("Xavier Quintana")
    assert err.value.candidates == ()


def test_ranking_is_stable_and_bounded():
    names = [f"Sam {i}" for i in range(20)]
    assert rank_candidates("Sam", names) == rank_candidates("Sam", list(reversed(names)))
    assert len(rank_candidates("Sam", names)) == 5


def test_a_note_not_found_offers_the_notes_it_may_be(tmp_path):
    from engine.tools.local import LocalBackend

    backend = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    for name in ("Team standup notes", "Groceries", "Standup 2026-11"):
        backend.create_note(name, "x", "")
    with pytest.raises(ToolError) as exc:
        backend.open_note("standup", "")
    assert list(exc.value.candidates[:2]) == ["Standup 2026-11", "Team standup notes"] and exc.value.value == "standup"
    with pytest.raises(ToolError) as exc:
        backend.open_note("Grocries", "")
    assert list(exc.value.candidates) == ["Groceries"]


def test_a_calendar_name_close_to_one_of_yours_is_a_question_and_a_new_name_a_new_calendar(tmp_path):
    from engine.tools.local import LocalBackend

    backend = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    event = ("Demo", "2026-12-01 15:00:00", "2026-12-01 16:00:00", "", [], "")
    backend.create_calendar_event(*event, "Work")
    with pytest.raises(ToolError) as exc:
        backend.create_calendar_event(*event, "Wrok")
    assert list(exc.value.candidates) == ["Work"] and exc.value.value == "Wrok"
    backend.create_calendar_event(*event, "work")  # the same calendar, whatever the case
    backend.create_calendar_event(*event, "Family")  # unlike any: a new one
    assert sorted(p.name for p in (backend.data_dir / "calendar").glob("*.ics")) == ["Family.ics", "Work.ics"]
    backend.create_reminder("Eggs", "", "", "", 0, False)
    with pytest.raises(ToolError) as exc:
        backend.create_reminder("Milk", "", "", "Reminderz", 0, False)
    assert list(exc.value.candidates) == ["Reminders"]
