"""The plan layout, without Qt."""

from engine.plan import parse_plan
from engine.tools.desktop import desktop_specs
from gui.layout import StreamingLayout, barycentre, crossings

SPECS = desktop_specs()


def test_nodes_never_move_while_the_plan_streams():
    plan = parse_plan(
        '1. get_email_address("Sid")\n2. get_email_address("Lutfi")\n3. get_phone_number("Sid")\n'
        '4. create_calendar_event("Demo", "", "", "", ["$1", "$2"], "", None)\n5. send_sms(["$3"], "$4")\n6. join()',
        SPECS,
    )
    lay = StreamingLayout()
    seen = {}
    for t in plan.calls:
        seen[t.id] = lay.add(t)
        for tid, slot in seen.items():
            assert lay.slots[tid] == slot
    assert [seen[i].layer for i in (1, 2, 3, 4, 5)] == [0, 0, 0, 1, 2]


def test_barycentre_removes_crossings():
    # Layer 1 written in the opposite order of its parents: two crossing edges when appended.
    plan = parse_plan(
        '1. get_email_address("a")\n2. get_phone_number("b")\n'
        '3. send_sms(["$2"], "x")\n4. compose_new_email(["$1"], [], "s", "c", [])\n5. join()',
        SPECS,
    )
    lay = StreamingLayout()
    for t in plan.calls:
        lay.add(t)
    assert crossings(plan.calls, lay.slots) == 1
    assert crossings(plan.calls, barycentre(plan.calls, lay.layers)) == 0


def test_the_first_window_says_what_to_try_and_who_is_in_the_address_book(tmp_path):
    from engine.tools.local.contacts import Contacts
    from gui.welcome import welcome

    assert "No contacts yet" in welcome(tmp_path) and "tinyagent contacts add" in welcome(tmp_path)
    Contacts(tmp_path / "contacts").add("Sid Jha", ["sid@example.com"], [])
    text = welcome(tmp_path)
    assert "Your contacts: Sid Jha." in text and "Remind me to buy milk" in text


def test_a_missing_xcb_cursor_library_is_named_before_qt_starts(monkeypatch):
    import ctypes.util

    from gui import welcome

    monkeypatch.setattr(welcome.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert "libxcb-cursor0" in welcome.display_problem()
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: f"lib{name}.so.0")
    assert welcome.display_problem() is None
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert welcome.display_problem() is None
