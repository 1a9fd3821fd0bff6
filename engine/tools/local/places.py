"""Maps: a web maps URL for a place or a route (Google Maps URLs, which work in any browser)."""

from __future__ import annotations

from urllib.parse import urlencode

from engine.tools.spec import ToolError

TRAVEL_MODES = {"d": "driving", "w": "walking", "r": "transit", "": "driving"}


def location_url(location: str) -> str:
    if not location or not location.strip():
        raise ToolError("No location was given.")
    return "https://www.google.com/maps/search/?" + urlencode({"api": 1, "query": location.strip()})


def directions_url(start: str | None, end: str, transport: str | None) -> str:
    if not end or not end.strip():
        raise ToolError("No destination was given for directions.")
    mode = TRAVEL_MODES.get((transport or "d").strip().lower()[:1])
    if mode is None:
        raise ToolError(f"Unknown transport {transport!r}: use 'd' (driving), 'w' (walking) or 'r' (transit).")
    params = {"api": 1, "destination": end.strip(), "travelmode": mode}
    if start and start.strip():
        params["origin"] = start.strip()
    return "https://www.google.com/maps/dir/?" + urlencode(params)
