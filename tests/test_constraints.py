"""``bench constraints``' ways of holding a plan to the grammar replay the same plans and agree on
them (a way that refused a token the others allow would stop the bench), with a model's vocabulary
(the 270M's: no weights are loaded)."""

from __future__ import annotations

import pytest

from engine import models
from engine.grammar import plan_grammar
from engine.llama.constraints import grammar_costs
from engine.tools.desktop import desktop_specs

PLAN = ('1. get_email_address("Sid")\n2. compose_new_email(["$1"], [], "Demo", "See you at 3pm", [])\n'
        '3. join()<END_OF_PLAN>')


@pytest.mark.model
def test_every_way_replays_the_plans_the_grammar_accepts_and_only_those() -> None:
    unknown_tool = '1. launch_rockets("now")\n2. join()<END_OF_PLAN>'
    forward_ref = '1. compose_new_email(["$2"], [], "Demo", "Hi", [])\n2. join()<END_OF_PLAN>'
    plans, tokens, costs = grammar_costs(str(models.resolve("tiny")), plan_grammar(desktop_specs()),
                                         [unknown_tool, PLAN, forward_ref, PLAN], limit=1)
    assert plans == 1 and tokens >= 20
    assert [c.way for c in costs[:2]] == ["llama.cpp grammar, whole vocabulary", "check-first (the planner's)"]
    assert {c.way.split(",")[0] for c in costs[2:]} == {"llguidance", "xgrammar"}
    for c in costs:
        assert (c.per_token_ms is None) == bool(c.note)
        assert c.per_token_ms is None or c.per_token_ms > 0


@pytest.mark.model
def test_texts_the_grammar_refuses_all_are_an_error_not_an_empty_table() -> None:
    with pytest.raises(ValueError, match="accepts none"):
        grammar_costs(str(models.resolve("tiny")), plan_grammar(desktop_specs()), ["1. launch_rockets()"])
