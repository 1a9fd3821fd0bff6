import datetime as dt
import json

from engine.data.__main__ import generate, main, report
from engine.data.generator import STRUCTURES, PlanBuilder, split_of
from engine.data.records import BadLine, read_records
from engine.dates import find_dates
from engine.plan import parse_plan
from engine.tools.desktop import desktop_specs


def test_generation_is_reproducible_and_valid():
    a, _ = generate(400, seed=3)
    b, _ = generate(400, seed=3)
    assert a == b
    specs = desktop_specs()
    for r in a:
        plan = parse_plan(r["plan"], specs)
        assert sorted({t.tool for t in plan.calls}) == r["tools"]
        assert [n for n, _ in r["dag"]["nodes"]] == [t.id for t in plan.calls]


def test_splits_are_disjoint_by_template_family():
    rows, _ = generate(1500, seed=1)
    families = {split: {r["family"] for r in rows if r["split"] == split} for split in ("train", "val", "test")}
    assert families["train"] and families["val"] and families["test"]
    assert not (families["train"] & families["test"]) and not (families["train"] & families["val"])
    # every plan shape is seen in training, with other phrasings
    assert {f.split("/")[0] for f in families["test"]} <= {f.split("/")[0] for f in families["train"]}


def test_every_tool_and_negatives_and_unmentioned_helpers_appear():
    rows, _ = generate(3000, seed=2)
    tools = {t for r in rows for t in r["tools"]}
    assert len(tools) == 16
    assert any(r["tools"] == [] for r in rows)
    hidden = [r for r in rows if "get_phone_number" in r["tools"] and "phone" not in r["query"].lower()]
    assert hidden


def test_date_values_in_plans_come_from_the_query():
    rows, _ = generate(600, seed=4)
    for r in rows:
        today = dt.datetime.fromisoformat(r["date"])
        resolved = {m.iso() for m in find_dates(r["query"], today)}
        for d in resolved:
            assert d in r["plan"], (r["query"], r["plan"])


def test_report_counts(tmp_path):
    rows, _ = generate(300, seed=5)
    rep = report(rows)
    assert rep["records"] == 300 and rep["template_families"] > 30 and sum(rep["depth_histogram"].values()) == 300
    assert main(["generate", "--generator", "v1", "--n", "200", "--seed", "0", "--out", str(tmp_path)]) == 0
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["records"] == 200 and len(STRUCTURES) + 1 == stats["structures"]  # + compound


def test_compound_requests_renumber_references_and_keep_their_split():
    rows, _ = generate(400, seed=3)
    compounds = [r for r in rows if r["family"].startswith("compound/")]
    assert len(compounds) == 48
    for r in compounds:
        assert r["split"] == split_of(int(r["family"].split("/")[1]))
        plan = parse_plan(r["plan"], desktop_specs())  # every $N points at an earlier task
        assert len(plan.tasks) >= 3
    assert max(len(r["dag"]["nodes"]) for r in compounds) >= 6


def test_plan_builder_extend_shifts_references():
    a, b = PlanBuilder(), PlanBuilder()
    a.call("get_email_address", "Sid")
    ref = b.call("maps_open_location", "Tartine")
    b.call("send_sms", ["+1 555"], f"Here: {ref}")
    b.call("compose_new_email", [ref], [], "s", "c", [])
    a.extend(b)
    assert a.calls[2] == ("send_sms", (["+1 555"], "Here: $2"))
    assert a.calls[3][1][0] == ["$2"]


def test_reader_reports_bad_lines_with_numbers(tmp_path):
    f = tmp_path / "x.jsonl"
    f.write_text('{"query": "q", "plan": "1. join()"}\nnot json\n\n[1]\n{"query": "q2", "plan": "1. join()", "date": null}\n')
    items = list(read_records(f))
    assert [i.line for i in items if isinstance(i, BadLine)] == [2, 4]
    assert [i.query for i in items if not isinstance(i, BadLine)] == ["q", "q2"]
