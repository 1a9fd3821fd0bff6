"""Mail in a Maildir (``<data>/mail/{INBOX,Drafts,Sent}``), sent over SMTP only when configured.

Without SMTP settings a composed message is saved as a draft, which is what the reference does on
macOS (it opens a compose window rather than sending). "The currently selected message" of reply
and forward is the newest message in the inbox.
"""

from __future__ import annotations

import mailbox
import mimetypes
import os
import smtplib
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path

from engine.tools.spec import ToolError


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    starttls: bool = True

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("TINYAGENT_SMTP_HOST")
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("TINYAGENT_SMTP_PORT", "587")),
            user=os.environ.get("TINYAGENT_SMTP_USER", ""),
            password=os.environ.get("TINYAGENT_SMTP_PASSWORD", ""),
            starttls=os.environ.get("TINYAGENT_SMTP_STARTTLS", "1") != "0",
        )


class MailStore:
    def __init__(self, root: Path, sender: str, smtp: SmtpSettings | None = None) -> None:
        self.root = root
        self.sender = sender
        self.smtp = smtp

    def _box(self, name: str) -> mailbox.Maildir:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return mailbox.Maildir(self.root / name, create=True)

    def _file(self, name: str, msg: EmailMessage) -> str:
        """Add ``msg`` to a mailbox, readable by its owner only (``mailbox`` leaves it 0644 under
        the usual umask, and a draft may hold anything the person wrote)."""
        box = self._box(name)
        key = box.add(msg)
        os.chmod(Path(box._path) / box._lookup(key), 0o600)  # type: ignore[attr-defined]
        return key

    def build(
        self, to: list[str], cc: list[str], subject: str, body: str, attachments: list[str],
        in_reply_to: EmailMessage | None = None,
    ) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        if to:
            msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain="tinyagent.local")
        if in_reply_to is not None and in_reply_to["Message-ID"]:
            msg["In-Reply-To"] = in_reply_to["Message-ID"]
            msg["References"] = in_reply_to["Message-ID"]
        msg.set_content(body)
        for a in attachments:
            path = Path(a)
            if not path.is_file():
                raise ToolError(f"Attachment {a!r} does not exist.")
            ctype, _ = mimetypes.guess_type(path.name)
            maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
            msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
        return msg

    def deliver(self, msg: EmailMessage) -> str:
        """Send when SMTP is configured (and file under Sent), else save as a draft."""
        if self.smtp is None:
            key = self._file("Drafts", msg)
            return f"saved as a draft ({self.root / 'Drafts'} {key}); configure SMTP to send"
        try:
            with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=30) as s:
                if self.smtp.starttls:
                    s.starttls()
                if self.smtp.user:
                    s.login(self.smtp.user, self.smtp.password)
                s.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            key = self._file("Drafts", msg)
            raise ToolError(f"Sending failed ({exc}); the message was kept as a draft ({key}).") from exc
        self._file("Sent", msg)
        return "sent"

    def selected(self) -> tuple[str, EmailMessage]:
        """The message a reply or forward acts on: the newest in the inbox, with its key. The key
        is what approval binds the call to, so a mail that arrives meanwhile is not the one
        answered (``message``)."""
        inbox = self._box("INBOX")
        newest: tuple[float, str] | None = None
        for key in inbox.iterkeys():
            stamp = (Path(inbox._path) / inbox._lookup(key)).stat().st_mtime  # type: ignore[attr-defined]
            if newest is None or stamp > newest[0]:
                newest = (stamp, key)
        if newest is None:
            raise ToolError(f"There is no email to reply to or forward: the inbox {self.root / 'INBOX'} is empty.")
        return newest[1], self.message(newest[1])

    def message(self, key: str) -> EmailMessage:
        """The inbox message ``key``; gone (moved, deleted) is an error, never another message."""
        inbox = self._box("INBOX")
        try:
            path = Path(inbox._path) / inbox._lookup(key)  # type: ignore[attr-defined]
            with open(path, "rb") as f:
                return BytesParser(policy=policy.default).parse(f)  # type: ignore[return-value]
        except (KeyError, OSError):
            raise ToolError("The email that was shown for approval is no longer in the inbox; nothing was sent.") from None

    @staticmethod
    def body_of(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""
