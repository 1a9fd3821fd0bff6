"""The portable backend on a temporary data folder: real files in open formats."""

import json
import mailbox
from email.message import EmailMessage

import icalendar
import pytest
from pypdf import PdfWriter

from engine.executor import ToolError


def test_contact_lookup_is_case_and_accent_insensitive(backend):
    assert backend.get_email_address("sid") == "sid@example.com"
    assert backend.get_email_address("Lutfi Eren Erdogan") == "lutfi@example.com"
    assert backend.get_phone_number("Sid") == "+14155550100"
    assert backend.get_phone_number("Lutfi") == "+905550102030"


def test_missing_and_ambiguous_contacts_are_errors_not_empty_strings(backend):
    with pytest.raises(ToolError, match="No contact named 'Zed'"):
        backend.get_email_address("Zed")
    backend.contacts.add("Sid Vicious", ["sv@example.com"], [])
    with pytest.raises(ToolError, match="2 contacts match 'Sid'"):
        backend.get_email_address("Sid")
    assert backend.get_email_address("Sid Jha") == "sid@example.com"


def test_calendar_event_is_added_without_losing_existing_events(backend):
    backend.create_calendar_event("First", "2026-11-24 09:00:00", "", "", [], "", None)
    msg = backend.create_calendar_event(
        "Demo", "2026-11-24 15:00:00", "2026-11-24 16:00:00", "Room 1", ["Sid", "lutfi@example.com"], "bring slides", ""
    )
    assert "Demo" in msg
    cal = icalendar.Calendar.from_ical((backend.data_dir / "calendar" / "Calendar.ics").read_bytes())
    events = list(cal.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["First", "Demo"]
    demo = events[1]
    assert demo.decoded("dtstart").isoformat() == "2026-11-24T15:00:00"
    assert events[0].decoded("dtend").isoformat() == "2026-11-24T10:00:00"  # default one hour
    assert sorted(str(a) for a in demo.get("attendee")) == ["mailto:lutfi@example.com", "mailto:sid@example.com"]
    assert str(demo["location"]) == "Room 1"


def test_unreadable_calendar_file_is_never_overwritten(backend):
    path = backend.data_dir / "calendar" / "Work.ics"
    path.parent.mkdir(parents=True)
    path.write_text("this is not iCalendar")
    with pytest.raises(ToolError, match="left untouched"):
        backend.create_calendar_event("X", "2026-11-24 09:00:00", "", "", [], "", "Work")
    assert path.read_text() == "this is not iCalendar"


def test_bad_date_is_a_clear_error(backend):
    with pytest.raises(ToolError, match="not a date"):
        backend.create_reminder("x", "tomorrow", "", "", 0, False)


def test_reminders_all_day_and_priority(backend):
    backend.create_reminder("Buy milk", "2026-11-24 09:00:00", "", "", 0, False)
    backend.create_reminder("Mia's birthday", "2026-12-03", "", "Family", 1, True)
    todos = backend.calendar.reminders()
    by = {str(t["summary"]): t for t in todos}
    assert by["Buy milk"].decoded("due").isoformat() == "2026-11-24T09:00:00"
    assert by["Mia's birthday"].decoded("due").isoformat() == "2026-12-03"
    assert (backend.data_dir / "reminders" / "Family.ics").exists()


def test_notes_create_never_clobbers_and_append_keeps_content(backend):
    backend.create_note("Groceries", "eggs", "")
    second = backend.create_note("Groceries", "other", "")
    assert "Groceries (2)" in second
    backend.append_note_content("groceries", "milk", "")
    text = backend.open_note("Groceries", "")
    assert "eggs" in text and text.rstrip().endswith("milk")
    backend.create_note("Plan", "a/b: ../../etc", "../../outside")
    assert not (backend.data_dir.parent / "outside").exists()
    with pytest.raises(ToolError, match="Did you mean: Groceries"):
        backend.open_note("Grocerie", "")


def test_sms_outbox_resolves_names_to_numbers(backend):
    backend.send_sms(["Sid", "+1 (650) 555-0199"], "Dinner at 8")
    record = json.loads((backend.data_dir / "messages" / "outbox.jsonl").read_text().splitlines()[-1])
    assert record["to"] == ["+14155550100", "+16505550199"] and record["message"] == "Dinner at 8"


def test_looking_up_a_number_or_address_gives_it_back(backend):
    assert backend.get_phone_number("+1 340 478 3942") == "+13404783942"
    assert backend.get_phone_number("1 (352) 926-2558") == "+13529262558"  # no "+", still North American
    assert backend.get_phone_number("415 555 0100") == "+14155550100"
    assert backend.get_email_address(" ana@example.org ") == "ana@example.org"
    with pytest.raises(ToolError, match="contact"):
        backend.get_phone_number("Room 101")  # a name with digits is still a name


def test_sms_to_a_contacts_email_address_texts_their_phone(backend):
    backend.send_sms(["sid@example.com"], "hi")
    record = json.loads((backend.data_dir / "messages" / "outbox.jsonl").read_text().splitlines()[-1])
    assert record["to"] == ["+14155550100"]
    with pytest.raises(ToolError, match="No contact has the email address"):
        backend.send_sms(["nobody@example.com"], "hi")


def test_email_draft_with_attachment_in_maildir(backend):
    files = backend.data_dir / "files"
    files.mkdir(parents=True)
    (files / "agenda.txt").write_text("agenda")
    out = backend.compose_new_email(["Sid"], ["Lutfi"], "Agenda", "See attached.", ["agenda"])
    assert "draft" in out
    drafts = list(mailbox.Maildir(backend.data_dir / "mail" / "Drafts"))
    assert len(drafts) == 1
    msg = drafts[0]
    assert msg["To"] == "sid@example.com" and msg["Cc"] == "lutfi@example.com"
    assert any(part.get_filename() == "agenda.txt" for part in msg.walk())


def test_reply_and_forward_use_the_newest_inbox_message(backend):
    with pytest.raises(ToolError, match="inbox .* is empty"):
        backend.reply_to_email([], "ok", [])
    inbox = mailbox.Maildir(backend.data_dir / "mail" / "INBOX", create=True)
    m = EmailMessage()
    m["From"] = "boss@example.com"
    m["Subject"] = "Slides"
    m["Message-ID"] = "<1@x>"
    m.set_content("Can you send the slides?")
    inbox.add(m)
    backend.reply_to_email(["Lutfi"], "Sending tomorrow.", [])
    backend.forward_email(["Sid"], [], "FYI", [])
    drafts = {d["Subject"]: d for d in mailbox.Maildir(backend.data_dir / "mail" / "Drafts")}
    assert drafts["Re: Slides"]["To"] == "boss@example.com" and drafts["Re: Slides"]["In-Reply-To"] == "<1@x>"
    assert drafts["Fwd: Slides"]["To"] == "sid@example.com"


def test_smtp_sends_to_a_real_local_server(backend):
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        from engine.tools.local.mail import SmtpSettings

        backend.mail.smtp = SmtpSettings("127.0.0.1", port, starttls=False)
        assert "sent" in backend.compose_new_email(["Sid"], [], "Hi", "hello", [])
    finally:
        ctl.stop()
    assert received and received[0].rcpt_tos == ["sid@example.com"]
    assert len(list(mailbox.Maildir(backend.data_dir / "mail" / "Sent"))) == 1


def test_files_and_pdf_summary(backend):
    files = backend.data_dir / "files"
    files.mkdir(parents=True)
    pdf = files / "Q3 Report.pdf"
    w = PdfWriter()
    w.add_blank_page(200, 200)
    with open(pdf, "wb") as f:
        w.write(f)
    assert backend.open_and_get_file_path("q3 report") == str(pdf)
    with pytest.raises(ToolError, match="no extractable text"):
        backend.summarize_pdf(str(pdf))
    with pytest.raises(ToolError, match="No file named 'budget.xlsx'"):
        backend.open_and_get_file_path("budget.xlsx")


def test_maps_and_meeting_links(backend):
    assert backend.maps_open_location("Ferry Building") == "https://www.google.com/maps/search/?api=1&query=Ferry+Building"
    url = backend.maps_show_directions("", "SFO", "w")
    assert "destination=SFO" in url and "travelmode=walking" in url and "origin" not in url
    with pytest.raises(ToolError, match="Unknown transport"):
        backend.maps_show_directions("", "SFO", "x")
    assert backend.get_zoom_meeting_link("Design review", "2026-11-24 10:00:00", 30, []).startswith("https://meet.jit.si/design-review-")


def test_every_desktop_tool_is_implemented(backend):
    box = backend.toolbox()
    assert len(box) == 16 and set(box.impls) == set(box.specs)


def _mail(backend, sender: str, subject: str, text: str, stamp: float) -> None:
    import os

    (backend.data_dir / "mail").mkdir(parents=True, exist_ok=True)
    inbox = mailbox.Maildir(backend.data_dir / "mail" / "INBOX", create=True)
    m = EmailMessage()
    m["From"], m["Subject"] = sender, subject
    m.set_content(text)
    key = inbox.add(m)
    path = backend.data_dir / "mail" / "INBOX" / inbox._lookup(key)
    os.utime(path, (stamp, stamp))


def test_a_reply_or_forward_acts_on_the_message_approval_showed(backend):
    """A mail that arrives while the person reads the approval is not the one answered or
    forwarded: the call is bound to the message shown, and the forwarded text is shown."""
    _mail(backend, "boss@example.com", "Slides", "Can you send the slides?", 1_000_000)
    reply = backend.prepare_reply_to_email([], "Sending tomorrow.", [])
    forward = backend.prepare_forward_email(["Sid"], [], "FYI", [])
    assert "replies to boss@example.com: Re: Slides" in reply.details[0]
    assert any(d.startswith("body:\n") and "Can you send the slides?" in d for d in forward.details)
    _mail(backend, "noreply@bank.example", "Reset your password", "Your code is 123456", 2_000_000)
    backend.reply_to_email(**reply.arguments, **reply.extras)
    backend.forward_email(**forward.arguments, **forward.extras)
    drafts = {d["Subject"]: d for d in mailbox.Maildir(backend.data_dir / "mail" / "Drafts")}
    assert set(drafts) == {"Re: Slides", "Fwd: Slides"}
    assert drafts["Re: Slides"]["To"] == "boss@example.com"
    assert "123456" not in drafts["Fwd: Slides"].as_string() and "send the slides" in drafts["Fwd: Slides"].as_string()


def test_an_attachment_changed_after_approval_is_not_sent(backend, tmp_path):
    import os

    files = backend.search_roots[0]
    files.mkdir(parents=True, exist_ok=True)
    (files / "report.txt").write_text("Q3 numbers")
    call = backend.prepare_compose_new_email(["Sid"], [], "Report", "Here it is", ["report.txt"])
    (files / "report.txt").write_text("something else entirely")
    os.utime(files / "report.txt", (3_000_000, 3_000_000))
    with pytest.raises(ToolError, match="changed after it was shown for approval"):
        backend.compose_new_email(**call.arguments, **call.extras)
    assert not list((backend.data_dir / "mail").rglob("Drafts/*/*"))
    again = backend.prepare_compose_new_email(["Sid"], [], "Report", "Here it is", ["report.txt"])
    assert "Email 'Report'" in backend.compose_new_email(**again.arguments, **again.extras)


def test_an_edited_body_is_shown_as_edited() -> None:
    from engine.tools.spec import Prepared

    call = Prepared({"recipients": ["a@example.com"]}, ("to a@example.com", "body:\nold text"), {"body": "old text"})
    edited = call.with_extras({"body": "new text"})
    assert edited.details == ("to a@example.com", "body:\nnew text") and edited.extras["body"] == "new text"
