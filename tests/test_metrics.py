"""The metric on hand-made pairs."""

import pytest

from engine.eval.metrics import score_plan, text_similarity
from engine.tools.desktop import desktop_specs

SPECS = {s.name: s for s in desktop_specs()}
TRUE = (
    '1. get_email_address("Sid")\n2. get_email_address("Lutfi")\n'
    '3. create_calendar_event("Demo", "2026-11-24 15:00:00", "2026-11-24 16:00:00", "", ["$1", "$2"], "", None)\n'
    "4. join()<END_OF_PLAN>"
)


def score(pred, true=TRUE, **kw):
    return score_plan(pred, true, SPECS, **kw)


def test_identical_plan_succeeds_on_both_levels():
    s = score(TRUE)
    assert s.success and s.success_args


def test_reordered_independent_lookups_are_isomorphic():
    pred = (
        '1. get_email_address("lutfi")\n2. get_email_address("SID")\n'
        '3. create_calendar_event("The demo", "2026-11-24 15:00", "2026-11-24 16:00:00", "", ["$2", "$1"], None, "")\n'
        "4. join()<END_OF_PLAN>"
    )
    s = score(pred)
    assert s.success and s.success_args, s.mismatches


def test_wrong_node_fails():
    pred = TRUE.replace('2. get_email_address("Lutfi")', '2. get_phone_number("Lutfi")')
    s = score(pred)
    assert not s.success and not s.success_args
    assert s.tools_pred == {"get_email_address", "get_phone_number", "create_calendar_event"}


def test_wrong_edge_fails():
    pred = TRUE.replace('["$1", "$2"]', '["$1", "Lutfi"]')
    s = score(pred)
    assert not s.success and s.error == "different dependencies"


def test_wrong_date_passes_structure_but_not_arguments():
    pred = TRUE.replace("2026-11-24 15:00:00", "2026-11-25 15:00:00")
    s = score(pred)
    assert s.success and not s.success_args
    assert any("start_date" in m for m in s.mismatches)
    assert score(pred, compare_dates=False).success_args  # records without a known "today"


def test_wrong_contact_name_fails_arguments():
    s = score(TRUE.replace('"Lutfi"', '"Lufti"'))
    assert s.success and not s.success_args


def test_free_text_is_lenient_but_not_blind():
    true = '1. get_phone_number("Sid")\n2. send_sms(["$1"], "I am running 10 minutes late")\n3. join()<END_OF_PLAN>'
    close = true.replace("I am running 10 minutes late", "Hi Sid, running 10 minutes late!")
    far = true.replace("I am running 10 minutes late", "Happy birthday")
    assert score(close, true).success_args
    assert not score(far, true).success_args
    assert text_similarity("", "") == 1.0


def test_references_inside_text_map_through_the_isomorphism():
    true = '1. maps_show_directions("", "SFO", "d")\n2. get_phone_number("Sid")\n3. send_sms(["$2"], "Route: $1")\n4. join()<END_OF_PLAN>'
    pred = (
        '1. get_phone_number("Sid")\n2. maps_show_directions("", "sfo", "driving")\n'
        '3. send_sms(["$1"], "Route: $2")\n4. join()<END_OF_PLAN>'
    )
    s = score(pred, true)
    assert s.success and s.success_args, s.mismatches


def test_syntax_error_counts_as_failure():
    s = score('1. get_email_address("Sid"\n2. join()')
    assert not s.parsed and not s.success and s.error.startswith("syntax")


@pytest.mark.parametrize("a, b, same", [("2026-03-04", "2026-03-04 00:00:00", True), ("2026-03-04", "2026-03-05", False)])
def test_date_only_values(a, b, same):
    true = f'1. create_reminder("x", "{a}", "", "", 0, True)\n2. join()<END_OF_PLAN>'
    pred = f'1. create_reminder("x", "{b}", "", "", 0, True)\n2. join()<END_OF_PLAN>'
    assert score(pred, true).success_args is same


def test_table_gives_the_noise_of_a_success_rate():
    from engine.eval.table import margin, markdown

    assert margin(0.5, 100) == pytest.approx(0.098, abs=0.001)
    assert margin(0.5, 400) == pytest.approx(margin(0.5, 100) / 2)
    row = {"model": "m.gguf", "toolrag": "none", "grammar": True, "records": 200, "success": 0.5, "success_args": 0.4,
           "syntax_errors": 0.0, "tool_precision": 1.0, "tool_recall": 1.0, "tools_offered": 16, "prompt_tokens": 2300,
           "latency_p50_s": 9.0, "latency_p95_s": 20.0, "prefix_built": 0.0}
    assert "50.0% ±6.9%" in markdown([row])


def test_failures_say_what_kind_and_which_tools():
    from engine.eval.metrics import Summary

    wrong = score(TRUE.replace('2. get_email_address("Lutfi")', '2. get_phone_number("Lutfi")'))
    assert (wrong.kind, wrong.error) == ("wrong tools", "different tools (missing get_email_address; extra get_phone_number)")
    missing = score('1. get_email_address("Sid")\n2. create_calendar_event("Demo", "2026-11-24 15:00:00", '
                    '"2026-11-24 16:00:00", "", ["$1"], "", None)\n3. join()<END_OF_PLAN>')
    assert missing.kind == "missing tools"
    extra = score(TRUE.replace("4. join()", '4. get_phone_number("Sid")\n5. join()'))
    assert extra.kind == "extra tools"
    edge = score(TRUE.replace('["$1", "$2"]', '["$1", "Lutfi"]'))
    date = score(TRUE.replace("2026-11-24 15:00:00", "2026-11-25 15:00:00"))
    broken = score("1. get_email_address(")
    assert (edge.kind, date.kind, broken.kind, score(TRUE).kind) == ("different dependencies", "arguments differ", "syntax error", "")
    summary = Summary()
    for s in (wrong, missing, extra, edge, date, broken, score(TRUE)):
        summary.add(s)
    assert sum(summary.failures.values()) == 6 and summary.failures["arguments differ"] == 1


def test_plan_length_counts_calls_not_join_and_buckets_come_from_kept_results(tmp_path):
    import json

    from engine.eval.metrics import length_bucket, plan_length
    from engine.eval.table import by_length_from_results

    five = "".join(f'{i}. get_phone_number("p{i}")\n' for i in range(1, 6)) + "6. join()<END_OF_PLAN>"
    assert plan_length(five) == 5 and plan_length("1. join()<END_OF_PLAN>") == 0
    assert plan_length('1. send_sms(["+1"], "2. call(me) later")\n2. join()') == 1
    assert [length_bucket(n) for n in (0, 1, 2, 4, 5, 9)] == ["0-1", "0-1", "2-4", "2-4", "5+", "5+"]
    results = tmp_path / "row.jsonl"
    results.write_text("\n".join(json.dumps({"truth": t, "success": s}) for t, s in
                                 [(five, True), (five, False), ("1. join()", True)]) + "\n")
    assert by_length_from_results(results) == {"0-1": {"success": 1.0, "records": 1},
                                               "2-4": {"success": None, "records": 0},
                                               "5+": {"success": 0.5, "records": 2}}


def test_plans_of_a_wrong_kind_are_counted_from_a_rows_records(tmp_path):
    import json

    from engine.eval.table import kind_errors_from_results

    preds = ['1. send_sms(["Sid"], "hi")\n2. join()<END_OF_PLAN>',  # a name texted
             '1. get_phone_number("Sid")\n2. send_sms(["$1"], "hi")\n3. join()<END_OF_PLAN>',
             '1. get_email_address("Sid")\n2. summarize_pdf("$1")\n3. join()<END_OF_PLAN>',  # an address summarised
             "1. send_sms(",  # does not parse: a syntax failure, not counted here
             ]
    results = tmp_path / "row.jsonl"
    results.write_text("".join(json.dumps({"pred": p}) + "\n" for p in preds))
    assert kind_errors_from_results(results) == 2
