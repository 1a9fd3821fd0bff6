"""Text that tools write for the user: e-mail bodies and PDF summaries.

``LLMWriter`` asks the local model; ``ExtractiveWriter`` needs no model (it keeps the leading
sentences and passes context through) and is what runs when no model is loaded.
"""

from __future__ import annotations

import re
from typing import Protocol

from engine.generation import GenerationRequest, PlanningModel


class Writer(Protocol):
    def summarize(self, text: str) -> str: ...

    def email_body(self, subject: str, context: str, thread: str = "") -> str: ...


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class ExtractiveWriter:
    def __init__(self, sentences: int = 5) -> None:
        self.sentences = sentences

    def summarize(self, text: str) -> str:
        flat = re.sub(r"\s+", " ", text).strip()
        return " ".join(_SENTENCE.split(flat)[: self.sentences])

    def email_body(self, subject: str, context: str, thread: str = "") -> str:
        return context.strip() or subject.strip()


class LLMWriter:
    def __init__(self, llm: PlanningModel, max_tokens: int = 256) -> None:
        self.llm = llm
        self.max_tokens = max_tokens

    def _ask(self, instruction: str, material: str) -> str:
        request = GenerationRequest(
            "You are a concise writing assistant. Reply with the requested text only.", f"{instruction}\n\n{material}",
            max_tokens=self.max_tokens, temperature=0.2,
            plain=material,  # a PDF's text or the thread being answered: read as text, never as turns
        )
        return "".join(self.llm.generate(request)).strip()

    def summarize(self, text: str) -> str:
        return self._ask("Summarize this document in at most five sentences.", text[:6000])

    def email_body(self, subject: str, context: str, thread: str = "") -> str:
        if not context.strip() and not subject.strip():
            return ""
        material = f"Subject: {subject}\nWhat to say: {context}"
        if thread:
            material += f"\n\nThe email being answered:\n{thread[:3000]}"
        return self._ask(
            "Write the body of this email: a short greeting, the message, and a sign-off. Keep every link, address, "
            "date and number from 'What to say' exactly as given.",
            material,
        )
