"""Training samples for the planner: the prompt exactly as ``Planner`` builds it at run time, and
the record's plan as the target.

The reference found two things mattered: the prompt must be the one the model will see (the tools
ToolRAG offers and the retrieved in-context examples), and it must include *distractor* tools the
plan does not use, so the model learns to pick among offered tools rather than to use all of them.
So each sample offers the classifier's choice, plus the record's own tools (a selector miss would
otherwise teach the model to call a tool that is not in its prompt), plus a few random others.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engine.config import PromptStyle
from engine.data.records import Record
from engine.eval.runner import UNDATED_NOW
from engine.llama import LocalLLM
from engine.plan import END_OF_PLAN
from engine.planner import ToolSelector
from engine.prompt import user_prompt
from engine.tools.spec import ToolSpec
from engine.train.step import TokenizedSample


@dataclass(frozen=True)
class Sample:
    id: str
    prompt: str
    target: str
    tools: tuple[str, ...]
    question: str = ""
    """The user turn as it stands in ``prompt``: tokenized as text, as planning does."""


def offered_names(
    truth: Sequence[str], selected: Sequence[str], canonical: Sequence[str], rng: random.Random, distractors: int
) -> list[str]:
    """Truth ∪ ToolRAG's choice ∪ up to ``distractors`` random other tools, in the canonical order
    the planner uses (a stable order keeps the prompt prefix identical across queries)."""
    unknown = set(truth) - set(canonical)
    if unknown:
        raise ValueError(f"the record uses tools that are not offered at all: {', '.join(sorted(unknown))}")
    chosen = set(truth) | set(selected)
    others = [n for n in canonical if n not in chosen]
    chosen |= set(rng.sample(others, min(distractors, len(others))))
    return [n for n in canonical if n in chosen]


def target_text(plan: str) -> str:
    """What the model must write after the prompt: the plan, ending with ``<END_OF_PLAN>`` (where
    the planner stops generating)."""
    plan = plan.strip()
    return plan if plan.endswith(END_OF_PLAN) else plan + END_OF_PLAN


class SampleBuilder:
    """Builds samples with a real ``Planner`` (its prompt code, its example bank) over a
    vocab-only model, so prompt text and token ids are what planning produces."""

    def __init__(
        self,
        llm: LocalLLM,
        specs: Sequence[ToolSpec],
        *,
        select: ToolSelector | None,
        examples: int,
        distractors: int,
        seed: int = 0,
        prompt: PromptStyle = PromptStyle.REFERENCE,
    ) -> None:
        from engine.config import Config, PlannerConfig
        from engine.runtime import build_planner

        self.llm = llm
        self.specs = list(specs)
        self.canonical = [s.name for s in self.specs]
        self.by_name = {s.name: s for s in self.specs}
        self.select = select
        self.distractors = distractors
        self.rng = random.Random(seed)
        self.skipped = 0
        self.prompt = PromptStyle(prompt)
        config = Config(planner=PlannerConfig(examples=examples, prompt=self.prompt))
        self.planner = build_planner(config, self.specs, llm=llm, select=None)

    def sample(self, rec: Record) -> Sample:
        """The compact prompt describes every tool (ToolRAG's choice is held by the grammar at run
        time, so the prompt never changes with it); the reference prompt the reference's offer."""
        if self.prompt is PromptStyle.COMPACT:
            names = list(self.canonical)
        else:
            selected = [t.name for t in self.select(rec.query)] if self.select else self.canonical
            names = offered_names(rec.tools, selected, self.canonical, self.rng, self.distractors)
        now = rec.date or UNDATED_NOW
        prompt = self.planner.build_prompt(rec.query, now, [self.by_name[n] for n in names])
        return Sample(rec.id, prompt, target_text(rec.plan), tuple(names), user_prompt(rec.query, now))

    def static_prefix_ids(self) -> list[int]:
        """The token ids every compact-prompt sample starts with (the prompt's cached prefix)."""
        if self.prompt is not PromptStyle.COMPACT:
            raise ValueError("only the compact prompt has one prefix for every sample")
        prefix = self.llm.rendered_prefix(self.planner.prepare("prefix", UNDATED_NOW).request)
        return self.llm.tokenize(prefix or "", add_bos=True)

    def tokenized(self, sample: Sample) -> TokenizedSample:
        return TokenizedSample(
            sample.id, self.llm.encode(sample.prompt, sample.question), self.llm.tokenize(sample.target, add_bos=False)
        )

    def stream(self, sets: Sequence[Sequence[Record]], max_len: int) -> Iterator[TokenizedSample]:
        """Endless: one sample from each set in turn (each set in a new shuffled order whenever it
        runs out), skipping any longer than ``max_len`` tokens (counted in ``skipped``). Taking
        turns gives a small set of real requests the same weight as a large generated one."""
        sources = [self._epochs(list(records)) for records in sets if records]
        for source in itertools.cycle(sources):
            rec = next(source)
            tok = self.tokenized(self.sample(rec))
            if tok.length > max_len:
                self.skipped += 1
                continue
            yield tok

    def _epochs(self, order: list[Record]) -> Iterator[Record]:
        while True:
            self.rng.shuffle(order)
            yield from order
