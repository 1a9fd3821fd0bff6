import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.plan import END_OF_PLAN, PlanError, PlanParser, Ref, format_literal, parse_plan, substitute, to_graph
from engine.tools.desktop import desktop_specs

SPECS = desktop_specs()
INVITE = (
    '1. get_email_address("Sid")\n'
    '2. get_email_address("Lutfi")\n'
    '3. create_calendar_event("Demo", "2026-11-24 15:00:00", "2026-11-24 16:00:00", "", ["$1", "$2"], "", None)\n'
    "4. join()<END_OF_PLAN>"
)


def test_parses_the_reference_format():
    plan = parse_plan(INVITE, SPECS)
    assert plan.complete
    assert [t.tool for t in plan.tasks] == ["get_email_address", "get_email_address", "create_calendar_event", "join"]
    event = plan.tasks[2]
    assert event.args[4] == [Ref(1), Ref(2)] and event.args[6] is None
    assert event.deps == {1, 2}


def test_graph_has_dependency_edges_and_no_join():
    g = to_graph(parse_plan(INVITE, SPECS))
    assert set(g.nodes) == {1, 2, 3}
    assert set(g.edges) == {(1, 3), (2, 3)}
    assert g.nodes[3]["tool"] == "create_calendar_event"


def test_reference_variants_braces_bare_refs_thoughts_and_join_on_its_own_line():
    text = (
        "Thought: look up first\n"
        '1. get_phone_number("Sid")\n'
        '2. send_sms(${1}, "Hi, the link is $3 (costs $5)")\n'
        "Thought: done\n"
        "3. join()\n" + END_OF_PLAN
    )
    plan = parse_plan(text, SPECS)
    assert plan.tasks[0].thought == "look up first"
    assert plan.tasks[1].args[0] == Ref(1)
    # "$3" and "$5" inside text of task 2 are not earlier ids, so they stay text.
    assert plan.tasks[1].deps == {1}


def test_embedded_reference_is_substituted_in_text_and_lists():
    plan = parse_plan('1. maps_open_location("Tartine")\n2. send_sms(["+1 555"], "Meet here: $1")\n3. join()', SPECS)
    assert plan.tasks[1].deps == {1}
    assert substitute(plan.tasks[1].args[1], {1: "https://maps/x"}, 2) == "Meet here: https://maps/x"
    assert substitute([Ref(1), "b"], {1: ["a1", "a2"]}, 2) == ["a1", "a2", "b"]


def test_streaming_yields_each_task_when_its_line_completes():
    parser = PlanParser(SPECS)
    seen = []
    for ch in INVITE:
        for task in parser.feed(ch):
            seen.append((task.id, parser._buffer))
    parser.finish()
    assert [i for i, _ in seen] == [1, 2, 3, 4]
    assert all(buf == "" for _, buf in seen)


def test_streaming_first_task_is_available_before_the_plan_ends():
    parser = PlanParser(SPECS)
    assert parser.feed('1. get_email_address("Sid")') == []
    first = parser.feed("\n2. get_ema")
    assert [t.id for t in first] == [1]


def test_named_arguments_and_defaults_bind_in_order():
    from engine.plan import bind_arguments
    from engine.tools.spec import ToolSpec

    def f(a: str, b: int = 3) -> str:
        return ""

    spec = ToolSpec.from_function(f)
    plan = parse_plan("1. f(b=5, a='x')\n2. f('y')\n3. join()", [spec])
    assert bind_arguments(plan.tasks[0], spec) == {"a": "x", "b": 5}
    assert bind_arguments(plan.tasks[1], spec) == {"a": "y", "b": 3}


def test_single_value_for_a_list_parameter_becomes_a_list():
    from engine.plan import bind_arguments

    plan = parse_plan('1. get_phone_number("Sid")\n2. send_sms("$1", "hi")\n3. join()', SPECS)
    assert bind_arguments(plan.tasks[1], {s.name: s for s in SPECS}["send_sms"])["recipients"] == [Ref(1)]


@pytest.mark.parametrize(
    "text, kind, task_id",
    [
        ('1. get_mail("Sid")\n2. join()', "unknown_tool", 1),
        ('1. get_email_address("Sid", "x")\n2. join()', "arity", 1),
        ("1. get_email_address()\n2. join()", "arity", 1),
        ("1. create_reminder(\"x\", \"\", \"\", \"\", \"high\", False)\n2. join()", "type", 1),
        ('1. send_sms([1, 2], "hi")\n2. join()', "type", 1),
        ('1. get_email_address(name)\n2. join()', "syntax", 1),
        ('1. get_email_address("Sid"\n2. join()', "syntax", 1),
        ('1. get_email_address("Sid")\n1. get_email_address("Bo")\n2. join()', "duplicate_id", 1),
        ('1. get_email_address("Sid")\n2. send_sms(["$5"], "hi")\n3. join()', "missing_ref", 2),
        ('1. send_sms(["$2"], "hi")\n2. get_phone_number("Sid")\n3. join()', "later_ref", 1),
        ('1. send_sms(["$2"], "hi")\n2. get_phone_number("$1")\n3. join()', "cycle", None),
        ('1. get_phone_number("$1")\n2. join()', "cycle", 1),
        ('1. get_email_address("Sid")\n', "incomplete", None),
        ('1. join("x")', "arity", 1),
    ],
)
def test_every_error_class_names_the_task_and_reason(text, kind, task_id):
    with pytest.raises(PlanError) as info:
        parse_plan(text, SPECS)
    assert info.value.kind == kind
    if task_id is not None:
        assert info.value.task_id == task_id
        assert str(info.value).startswith(f"task {task_id}: ")


def test_streaming_catches_forward_references_and_decreasing_ids_at_once():
    parser = PlanParser(SPECS)
    with pytest.raises(PlanError) as info:
        parser.feed('1. send_sms(["$2"], "hi")\n')
    assert info.value.kind == "later_ref"
    with pytest.raises(PlanError):
        parser.feed("2. join()\n")  # a failed parser stays failed
    p2 = PlanParser(SPECS)
    with pytest.raises(PlanError) as info:
        p2.feed('2. get_email_address("a")\n1. get_email_address("b")\n')
    assert info.value.kind == "order"


def test_prose_and_code_fences_are_ignored_and_tasks_after_join_dropped():
    text = '```\nHere is the plan:\n1. get_email_address("Sid")\n2. join()\n3. get_email_address("x")\n```'
    plan = parse_plan(text, SPECS)
    assert [t.id for t in plan.tasks] == [1, 2]


def test_format_round_trip():
    plan = parse_plan(INVITE, SPECS)
    again = parse_plan(plan.text(), SPECS)
    assert [t.text() for t in again.tasks] == [t.text() for t in plan.tasks]
    assert format_literal(['a"b', None, True, 3, -1.5]) == '["a\\"b", None, True, 3, -1.5]'


_PLANISH = st.sampled_from(
    ["1. ", "2. ", "join()", "get_email_address(", "send_sms(", '"$1"', "$2", "${3}", "[", "]", ", ", '"', "\n",
     END_OF_PLAN, "Thought: ", "None", "True", "(", ")", "=", "**", "lambda", "\\", "99999999. ", "'", "é", "\x00"]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(_PLANISH, max_size=60).map("".join)))
def test_fuzz_no_input_raises_anything_but_plan_error(text):
    try:
        parse_plan(text, SPECS)
    except PlanError:
        pass
    parser = PlanParser(SPECS)
    try:
        for i in range(0, len(text), 3):
            parser.feed(text[i : i + 3])
        parser.finish()
    except PlanError:
        pass


def test_pathological_nesting_is_a_plan_error():
    with pytest.raises(PlanError):
        parse_plan("1. get_email_address(" + "[" * 5000 + "]" * 5000 + ")\n2. join()", SPECS)
    with pytest.raises(PlanError):
        parse_plan("1. get_email_address(" + "(" * 200 + ")" * 200 + ")\n2. join()", SPECS)


def test_a_repeated_call_ends_the_plan_in_its_place():
    text = (
        '1. get_phone_number("Hannah")\n2. get_phone_number("Ingrid")\n3. send_sms(["$1", "$2"], "hi")\n'
        '4. get_phone_number("Hannah")\n5. get_phone_number("Hannah")\n6. join()<END_OF_PLAN>'
    )
    parser = PlanParser(SPECS, stop_on_repeat=True)
    tasks = parser.feed(text[:70]) + parser.feed(text[70:]) + parser.finish()
    assert [t.tool for t in tasks] == ["get_phone_number", "get_phone_number", "send_sms", "join"]
    assert parser.repeated == 4 and parser.done and parser.plan.complete
    assert parser.plan.text().endswith('3. send_sms(["$1", "$2"], "hi")\n4. join()<END_OF_PLAN>')
    # Same tool with other arguments is not a repeat, and without the option nothing changes.
    plain = PlanParser(SPECS)
    assert len(plain.feed(text) + plain.finish()) == 6 and plain.repeated is None


def test_a_replan_round_continues_the_ids_may_name_earlier_steps_and_stops_at_a_repeat():
    earlier = parse_plan('1. get_phone_number("Sid")\n2. send_sms(["$1"], "hi")\n3. join()<END_OF_PLAN>', SPECS).tasks
    parser = PlanParser(SPECS, stop_on_repeat=True, earlier=earlier)
    tasks = parser.feed('3. get_email_address("Sid")\n4. send_sms(["$3"], "hi")\n5. join()<END_OF_PLAN>') + parser.finish()
    assert [t.id for t in tasks] == [3, 4, 5] and tasks[1].deps == {3}
    again = PlanParser(SPECS, stop_on_repeat=True, earlier=earlier)
    assert [t.tool for t in again.feed('3. get_phone_number("Sid")\n4. join()<END_OF_PLAN>')] == ["join"]
    assert again.repeated == 3
    with pytest.raises(PlanError, match="id 2 is used twice"):
        PlanParser(SPECS, earlier=earlier).feed('2. get_email_address("Sid")\n')


def test_end_of_plan_inside_a_quoted_argument_is_text_not_the_end():
    text = '1. send_sms(["+14155550100"], "type <END_OF_PLAN> to stop, it\'s \\"fine\\"")\n2. join()<END_OF_PLAN>'
    parser = PlanParser(SPECS)
    tasks = parser.feed(text[:40]) + parser.feed(text[40:]) + parser.finish()
    assert [t.tool for t in tasks] == ["send_sms", "join"] and parser.plan.complete
    assert tasks[0].args[1] == 'type <END_OF_PLAN> to stop, it\'s "fine"'


def test_arguments_are_bound_once_per_task_and_each_caller_gets_its_own_copy():
    import dataclasses

    from engine.plan import bind_arguments, parse_plan
    from engine.tools.desktop import desktop_specs

    specs = {s.name: s for s in desktop_specs()}
    task = parse_plan('1. send_sms(["+14155550100"], "hi")\n2. join()<END_OF_PLAN>', specs).tasks[0]
    first = bind_arguments(task, specs["send_sms"])
    first["message"] = "changed"
    assert bind_arguments(task, specs["send_sms"])["message"] == "hi"
    assert len(task._bound) == 1  # the parser's check bound it; later callers reuse that
    other = dataclasses.replace(task, args=(["+14155550199"], "bye"))
    assert bind_arguments(other, specs["send_sms"])["message"] == "bye"  # a copy made with new args binds anew
