"""The answer built from a run: every outcome, and every way a plan went wrong, in words."""

from engine.agent import summarize
from engine.executor import RunResult
from engine.plan import PlanError, parse_plan


def test_answer_reports_results_failures_and_a_plan_closed_for_repeating():
    plan = parse_plan('1. get_phone_number("Hannah")\n2. send_sms(["$1"], "hi")\n3. join()<END_OF_PLAN>')
    result = RunResult(results={1: "+1 415 555 0100"}, status={1: "succeeded", 2: "failed"}, errors={2: "Messages is not allowed"})
    answer = summarize(plan, result, repeated=3)
    assert "1. get_phone_number: +1 415 555 0100" in answer
    assert "2. send_sms failed: Messages is not allowed" in answer
    assert "repeating an earlier step at step 3" in answer
    assert "repeating" not in summarize(plan, result)


def test_answer_for_nothing_to_do_and_for_a_broken_plan():
    assert "None of the available tools" in summarize(parse_plan("1. join()<END_OF_PLAN>"), RunResult())
    broken = RunResult(plan_error=PlanError("unknown_tool", "get_mail is not a tool", 1))
    assert "could not be completed" in summarize(parse_plan("1. join()<END_OF_PLAN>"), broken)


def test_a_part_of_the_request_left_out_of_the_plan_is_named_in_the_answer():
    plan = parse_plan('1. create_reminder("Call Sid", "", "", "", 0, False)\n2. join()<END_OF_PLAN>')
    answer = summarize(plan, RunResult(status={1: "succeeded"}, results={1: "ok"}), unplanned=["send_sms"])
    assert "Not planned, though your request seems to ask for it: send_sms" in answer
    assert "Not planned" not in summarize(plan, RunResult(status={1: "succeeded"}, results={1: "ok"}))
