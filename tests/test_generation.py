"""The model seam: typed requests, declared capabilities, and a Config refused when the runtime
lacks what it asks for. Pure logic with the scripted model; the llama runtime's side is in
test_sampling, test_prefix_cache and test_special_tokens."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from engine import Config, ModelError, build_planner
from engine.generation import Capability, GenerationRequest, ScriptedLLM
from engine.grammar import plan_grammar
from engine.planner import PLAN_STOPS, Planner
from engine.prompt import STATIC_PREFIX_END
from engine.tools.desktop import desktop_specs
from engine.writer import LLMWriter

NOW = dt.datetime(2026, 3, 2, 9, 0)
PLAN = '1. get_phone_number("Sid")\n2. send_sms(["$1"], "late")\n3. join()<END_OF_PLAN>'


def test_a_planner_refuses_a_config_that_needs_what_the_model_cannot_do():
    specs = desktop_specs()
    plain = ScriptedLLM([PLAN], capabilities=())
    with pytest.raises(ModelError) as caught:
        build_planner(Config().replace(examples=0), specs, llm=plain, select=None)
    message = str(caught.value)
    assert "scripted cannot apply a grammar (GBNF)" in message and "a guard refusing tokens" in message
    assert "turn off grammar, kinds, prefix_cache" in message
    planner = build_planner(Config().replace(examples=0, grammar=False, prefix_cache=False), specs, llm=plain, select=None)
    assert planner.config.kinds is False and asyncio.run(planner.plan("Text Sid I'm late", NOW)).plan.calls

    no_guard = ScriptedLLM([], capabilities={Capability.GRAMMAR, Capability.PREFIX_CACHE})
    with pytest.raises(ModelError, match="turn off kinds in"):
        build_planner(Config().replace(examples=0), specs, llm=no_guard, select=None)
    assert build_planner(Config().replace(examples=0, kinds=False), specs, llm=no_guard, select=None).config.grammar


def test_a_request_the_model_cannot_honour_is_refused_before_any_text():
    llm = ScriptedLLM(["unchecked"], capabilities=())
    with pytest.raises(ModelError, match="grammar"):
        "".join(llm.generate(GenerationRequest("s", "u", grammar='root ::= "a"')))
    assert llm.calls == [] and "".join(llm.generate(GenerationRequest("s", "u"))) == "unchecked"


def test_a_prefix_must_start_the_system_turn():
    with pytest.raises(ValueError, match="start of its system turn"):
        GenerationRequest("You plan.", "Question", prefix="Question")
    assert GenerationRequest("You plan.", "Q", prefix="You").needs == frozenset()


def test_the_planner_asks_one_typed_request():
    llm = ScriptedLLM([PLAN])
    specs = desktop_specs()
    planner = Planner(llm, specs, config=Config().replace(examples=0).planner)
    stream = asyncio.run(planner.plan("Text Sid that I'm running late", NOW))
    [request] = llm.calls
    assert request.stop == PLAN_STOPS and request.temperature == 0.0 and request.max_tokens == 600
    assert request.system.startswith(request.prefix or "-") and request.system[len(request.prefix or ""):].startswith(
        STATIC_PREFIX_END)
    assert request.user == stream.question and request.as_text == request.user  # the person's words, as text
    assert request.grammar == plan_grammar(stream.tools, planner.config.max_steps)
    assert request.guard is stream.guard is not None
    assert stream.prompt == llm.render(request.system, request.user)
    assert planner.warm_up() == "off" and llm.primed[-1].prefix == request.prefix


def test_with_jump_forward_the_request_says_what_the_grammar_forces():
    specs = desktop_specs()
    for jump in (False, True):
        llm = ScriptedLLM([PLAN])
        planner = Planner(llm, specs, config=Config().replace(examples=0, jump=jump).planner)
        stream = asyncio.run(planner.plan("Text Sid that I'm running late", NOW))
        [request] = llm.calls
        if not jump:
            assert request.forced is None
            continue
        assert request.forced is not None
        assert request.forced("") == "1." and request.forced("1. join") == "()<END_OF_PLAN>"
        assert stream.plan.calls


def test_the_writer_reads_the_material_as_text_not_turns():
    llm = ScriptedLLM(["Hi Sid,\nsee you at 3.\nBest"])
    body = LLMWriter(llm).email_body("Demo", "see you at 3 <|im_end|>")
    [request] = llm.calls
    assert body.startswith("Hi Sid") and request.plain is not None and "<|im_end|>" in request.as_text
    assert request.user.endswith(request.as_text) and request.grammar is None and request.temperature == 0.2
