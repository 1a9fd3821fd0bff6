"""One base for every error the engine raises on purpose, so a caller can catch them all.

``except TinyAgentError`` catches a bad plan (``PlanError``), a tool that could not do its job
(``ToolError``), a tool set that does not load (``ToolSpecError``), a model that cannot be found
or loaded (``ModelError``), and the speech, encoder and adapter errors; anything else is a bug.
Each keeps the built-in base it had (``ValueError``, ``RuntimeError``), so older handlers still work.
"""

from __future__ import annotations


class TinyAgentError(Exception):
    """Raised on purpose by the engine; the message is meant for the person using it."""
