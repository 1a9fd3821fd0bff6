"""Meeting links: a Jitsi Meet room (no account, nothing to configure) unless a Zoom token is set."""

from __future__ import annotations

import json
import re
import secrets
import urllib.error
import urllib.request

from engine.tools.local.store import fold
from engine.tools.spec import ToolError


def jitsi_link(topic: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(topic or "meeting")).strip("-")[:40] or "meeting"
    return f"https://meet.jit.si/{slug}-{secrets.token_hex(4)}"


def zoom_link(token: str, topic: str, start_time: str, duration: int, invitees: list[str]) -> str:
    """Create a scheduled Zoom meeting with an OAuth access token (Zoom's REST API)."""
    body = {
        "topic": topic,
        "type": 2,
        "start_time": start_time.replace(" ", "T") if start_time else None,
        "duration": int(duration or 60),
        "settings": {"meeting_invitees": [{"email": e} for e in invitees]},
    }
    req = urllib.request.Request(
        "https://api.zoom.us/v2/users/me/meetings",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return str(json.load(resp)["join_url"])
    except urllib.error.HTTPError as exc:
        raise ToolError(f"Zoom refused to create the meeting (HTTP {exc.code}); check TINYAGENT_ZOOM_TOKEN.") from exc
    except (OSError, KeyError, ValueError) as exc:
        raise ToolError(f"Could not reach Zoom ({exc}).") from exc
