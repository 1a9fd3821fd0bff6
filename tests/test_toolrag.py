"""ToolRAG with the real encoder (all-MiniLM-L6-v2 in numpy) and the committed classifier head."""

import numpy as np
import pytest

from engine.toolrag import ClassifierSelector, EmbedSelector, ToolRAGError, make_selector, with_helpers
from engine.tools.desktop import desktop_specs
from engine.train.toolrag import set_metrics

SPECS = desktop_specs()


@pytest.fixture(scope="module")
def encoder():
    from engine.encoder import default_encoder

    return default_encoder()


def test_encoder_matches_sentence_transformers(encoder):
    # The value sentence-transformers' documentation gives for this pair with all-MiniLM-L6-v2.
    v = encoder.encode(["A man is eating food.", "A man is eating a piece of bread."])
    assert float(v[0] @ v[1]) == pytest.approx(0.7553, abs=2e-3)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # padding in a batch does not change an embedding
    single = encoder.encode(["A man is eating food."])
    assert np.allclose(single[0], v[0], atol=1e-5)


def test_encoder_can_stop_after_fewer_layers(encoder):
    texts = ["Text Sid that I'm running late", "Summarize Q3 Report.pdf"]
    full, shallow = encoder.encode(texts), encoder.encode(texts, layers=3)
    assert np.allclose(encoder.encode(texts, layers=encoder.layers), full)
    assert np.allclose(np.linalg.norm(shallow, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(shallow, full, atol=1e-2)
    with pytest.raises(ValueError, match="between 1 and 6"):
        encoder.encode(texts, layers=7)


def test_embed_selector_returns_k_relevant_tools():
    sel = EmbedSelector(SPECS, k=4)
    names = {t.name for t in sel("Show me walking directions to the Ferry Building")}
    assert len(names) == 4 and "maps_show_directions" in names


def test_helpers_are_added():
    by_name = {s.name: s for s in SPECS}
    assert with_helpers({"send_sms"}, by_name) == {"send_sms", "get_phone_number"}
    assert with_helpers({"send_sms"}, {"send_sms": by_name["send_sms"]}) == {"send_sms"}  # a helper not offered stays out
    assert set_metrics([{"a", "b"}], [{"a"}]) == {"recall": 1.0, "all_needed_kept": 1.0, "mean_selected": 2.0, "exact_set": 0.0}


@pytest.mark.parametrize(
    "query, needed",
    [
        ("Text Sid that I'm running late", {"send_sms", "get_phone_number"}),
        ("Invite Lutfi to the demo tomorrow at 3pm", {"create_calendar_event", "get_email_address"}),
        ("Summarize Q3 Report.pdf", {"summarize_pdf", "open_and_get_file_path"}),
        ("remind me to water the plants in 2 hours", {"create_reminder"}),
    ],
)
def test_classifier_keeps_needed_tools_including_unnamed_helpers(query, needed):
    sel = ClassifierSelector(SPECS)
    chosen = {t.name for t in sel(query)}
    assert needed <= chosen
    assert len(chosen) < len(SPECS)


def test_unknown_selector_is_a_clear_error():
    with pytest.raises(ToolRAGError, match="available"):
        make_selector("bm25", SPECS)
    assert make_selector("none", SPECS) is None


def test_sure_thresholds_are_the_lowest_that_keep_precision():
    import numpy as np

    from engine.train.toolrag import sure_thresholds

    probs = np.array([[0.99], [0.95], [0.9], [0.8], [0.7]] * 10)
    truth = [{"send_sms"}, {"send_sms"}, {"send_sms"}, set(), {"send_sms"}] * 10
    # above 0.8 every query needs it; including 0.8 drops precision to 0.75
    assert sure_thresholds(probs, truth, ["send_sms"], precision=0.98) == {"send_sms": 0.9}
    assert sure_thresholds(probs, truth, ["send_sms"], precision=0.75) == {"send_sms": 0.7}
    assert sure_thresholds(probs[:5], truth[:5], ["send_sms"], precision=0.98, min_support=20) == {}


def test_the_classifier_is_sure_only_above_its_tuned_thresholds():
    from engine.toolrag import ClassifierSelector

    selector = ClassifierSelector(desktop_specs())
    thresholds = selector.manifest["sure"]["thresholds"]
    query = "Summarize the PDF attention.pdf and set up a zoom call with Ana tomorrow at 3pm"
    probs = dict(zip(selector.labels, selector.probabilities([query])[0], strict=True))
    assert selector.sure(query) == [n for n in selector.labels if n in thresholds and probs[n] >= thresholds[n]]
    assert {"summarize_pdf", "get_zoom_meeting_link"} <= set(selector.sure(query))
    assert "send_sms" not in selector.sure("Text Sid that I'm running 10 minutes late")  # 0.46: not sure (v1-trained)


def test_head_training_learns_a_separable_labelling_and_loads_back(tmp_path):
    import numpy as np

    from engine.toolrag import Head
    from engine.train.toolrag import fit_head, init_head, save_head

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype(np.float32)
    y = np.stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0], axis=1).astype(np.float32)
    for hidden in (0, 16):
        head = init_head(8, 2, hidden, rng)
        fit_head(head, x, y, epochs=60, lr=3e-2, batch=64, rng=rng)
        assert ((head.predict(x) > 0.5) == (y > 0.5)).mean() > 0.95
        save_head(head, tmp_path / "head.npz")
        again = Head.load(tmp_path / "head.npz")
        assert np.allclose(again.predict(x), head.predict(x), atol=1e-2)


def test_a_tool_the_classifier_does_not_know_is_always_offered_and_said_at_load():
    """A 17th tool: the classifier has no label for it, so it cannot rule it out; it is offered
    with whatever else is chosen, and loading says so."""
    from engine.runtime import tool_selector
    from engine.tools.spec import ToolSpec

    extra = ToolSpec.from_json_schema({"type": "function", "function": {
        "name": "play_music", "description": "Play a song.", "parameters": {
            "type": "object", "properties": {"song": {"type": "string"}}, "required": ["song"]}}})
    warnings: list[str] = []
    sel = tool_selector("classifier", [*desktop_specs(), extra], warnings.append)
    assert sel.unlabelled == ["play_music"] and any("no label for play_music" in w for w in warnings)
    names = [t.name for t in sel("Text Sid that I'm running late")]
    assert "play_music" in names and "send_sms" in names and len(names) < 17


def _copy_classifier(tmp_path):
    import shutil

    from engine.resources import models_path

    folder = tmp_path / "toolrag"
    shutil.copytree(models_path("toolrag"), folder)
    return folder


@pytest.mark.parametrize("damage, reason", [
    (lambda f: (f / "head.npz").write_bytes((f / "head.npz").read_bytes()[:-100]), "truncated or foreign"),
    (lambda f: (f / "head.npz").unlink(), "missing"),
    (lambda f: (f / "manifest.json").write_text("{not json"), "unreadable"),
    (lambda f: (f / "manifest.json").write_text('{"weights": "head.npz"}'), "lacks labels"),
])
def test_a_damaged_classifier_is_refused_at_load_with_its_reason(tmp_path, damage, reason):
    folder = _copy_classifier(tmp_path)
    damage(folder)
    with pytest.raises(ToolRAGError, match=reason):
        ClassifierSelector(desktop_specs(), folder)


def test_a_same_size_foreign_head_is_refused_by_its_sha256(tmp_path):
    folder = _copy_classifier(tmp_path)
    data = bytearray((folder / "head.npz").read_bytes())
    data[-200] ^= 0xFF
    (folder / "head.npz").write_bytes(bytes(data))
    with pytest.raises(ToolRAGError, match="sha256"):
        ClassifierSelector(desktop_specs(), folder)


def test_a_head_of_other_shapes_is_refused_with_the_shapes(tmp_path):
    from engine.toolrag import Head

    rng = np.random.default_rng(0)
    head = Head({"w1": rng.normal(size=(384, 8)), "b1": np.zeros(8), "w2": rng.normal(size=(8, 15)), "b2": np.zeros(15)})
    with pytest.raises(ToolRAGError, match=r"16 labels: w2 is \(8, 15\)"):
        head.check(384, 16, tmp_path / "head.npz")
    head.check(384, 15, tmp_path / "head.npz")
    with pytest.raises(ToolRAGError, match="w1 is"):
        head.check(768, 15, tmp_path / "head.npz")
    with pytest.raises(ToolRAGError, match="not a readable head"):
        (tmp_path / "x.npz").write_bytes(b"PK\x03\x04 not a zip")
        Head.load(tmp_path / "x.npz")


def test_a_broken_classifier_leaves_every_tool_offered_and_says_why(tmp_path, monkeypatch):
    import engine.toolrag as T
    from engine.runtime import tool_selector

    folder = _copy_classifier(tmp_path)
    (folder / "head.npz").write_bytes(b"")
    monkeypatch.setattr(T, "models_path", lambda name: folder)
    warnings: list[str] = []
    assert tool_selector("classifier", desktop_specs(), warnings.append) is None
    assert any("truncated or foreign" in w for w in warnings)


def test_the_word_view_reads_words_and_pairs_once_and_caps_a_huge_request():
    from engine.toolrag import MAX_WORDS, ngrams

    assert ngrams("Text Jannik the LINK, text him") == ["text", "jannik", "the", "link", "him", "text jannik",
                                                       "jannik the", "the link", "link text", "text him"]
    assert ngrams("   ") == []
    assert len(ngrams(" ".join(f"w{i}" for i in range(50_000)))) == 2 * MAX_WORDS - 1
    assert "écris" in ngrams("Écris à Zoé")


def test_a_word_view_learns_what_the_embedding_cannot_see_and_loads_back(tmp_path):
    """The embedding here carries nothing (zeros); only the words say which label is meant, so a
    head that ignores them cannot pass."""
    from engine.toolrag import Head
    from engine.train.toolrag import add_words, fit_head, fit_words, init_head, save_head, word_vocab

    rng = np.random.default_rng(0)
    texts = [f"{verb} {name} please" for verb in ("text", "email", "remind") for name in ("ana", "bo", "cy", "di")] * 10
    y = np.array([[t.startswith("text"), t.startswith("email")] for t in texts], dtype=np.float32)
    x = np.zeros((len(texts), 4), np.float32)
    head = init_head(4, 2, 8, rng)
    fit_head(head, x, y, epochs=5, lr=1e-2, batch=16, rng=rng)
    assert ((head.predict(x) > 0.5) == (y > 0.5)).mean() < 0.9
    head = add_words(head, word_vocab(texts), 4, 2)
    with pytest.raises(ValueError, match="texts"):
        head.predict(x)
    fit_words(head, x, texts, y, epochs=30, lr=5e-2, batch=16, rng=rng)
    assert ((head.predict(x, texts) > 0.5) == (y > 0.5)).all()
    new = ["text zed please", "email zed please", "remind zed please"]
    assert (head.predict(np.zeros((3, 4), np.float32), new) > 0.5).tolist() == [[True, False], [False, True], [False, False]]
    save_head(head, tmp_path / "head.npz")
    again = Head.load(tmp_path / "head.npz")
    again.check(4, 2, tmp_path / "head.npz")
    assert np.allclose(again.predict(x, texts), head.predict(x, texts), atol=1e-2)


def test_a_partial_or_misshapen_word_view_is_refused(tmp_path):
    from engine.toolrag import Head

    base = {"w2": np.zeros((4, 2)), "b2": np.zeros(2)}
    with pytest.raises(ToolRAGError, match="partial word view: it lacks le, lb"):
        Head({**base, "vocab": np.array(["a"]), "lw": np.zeros((1, 2))}).check(4, 2, tmp_path / "h.npz")
    with pytest.raises(ToolRAGError, match=r"lw is \(2, 2\), not \(1, 2\)"):
        Head({**base, "vocab": np.array(["a"]), "lw": np.zeros((2, 2)), "le": np.zeros((4, 2)),
              "lb": np.zeros(2)}).check(4, 2, tmp_path / "h.npz")
