"""What holding a plan to a grammar costs per token, each way there is, for ``bench constraints``.

Every way replays the same token sequences under the same GBNF, each token standing for the
model's choice: llama.cpp's grammar over the whole vocabulary (what llama-cpp-python's
``grammar=`` does), the check-first path the planner uses (``engine.llama.sampling``: the choice
checked alone, the vocabulary filtered only where it is refused), and llguidance's and xgrammar's
token masks, which are not dependencies and are skipped where they are not installed. Here and not
in ``engine.bench`` because it touches llama.cpp's sampler and vocabulary directly.
"""

from __future__ import annotations

import ctypes
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import TinyAgentError
from engine.llama.checker import GrammarChecker
from engine.llama.sampling import TOKEN_DATA, GrammarFirstCheck


@dataclass(frozen=True)
class Cost:
    """One way's cost: building its matcher for a request's grammar, and the work per token."""

    way: str
    per_request_ms: float | None
    per_token_ms: float | None
    note: str = ""


class Refused(TinyAgentError, RuntimeError):
    """A way refused a token of a text the llama.cpp grammar accepts: the ways disagree."""


def grammar_costs(model_path: str, grammar: str, texts: Sequence[str],
                  limit: int | None = None) -> tuple[int, int, list[Cost]]:
    """How many texts the grammar accepts (as llama.cpp checks them; the first ``limit`` of them
    where given), their tokens in all, and each way's cost over them."""
    checker = GrammarChecker(model_path)
    plans: list[list[int]] = []
    for text in texts:
        if limit is not None and len(plans) >= limit:
            break
        if checker.accepts(grammar, text):
            plans.append(checker.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))
    if not plans:
        raise ValueError("the grammar accepts none of the texts")
    tokens = sum(len(p) for p in plans)
    costs = [Cost("llama.cpp grammar, whole vocabulary", *_whole_vocabulary(checker, grammar, plans, tokens)),
             Cost("check-first (the planner's)", *_check_first(checker, grammar, plans, tokens))]
    ways: list[tuple[str, str, Callable[[GrammarChecker, str, list[list[int]], int], tuple[float, float]]]] = [
        ("llguidance", "pip install llguidance", _llguidance),
        ("xgrammar", "pip install --no-deps xgrammar apache-tvm-ffi, which keeps triton out", _xgrammar)]
    for name, install, way in ways:
        try:
            costs.append(Cost(f"{name}, token mask", *way(checker, grammar, plans, tokens)))
        except ImportError:
            costs.append(Cost(name, None, None, f"not installed: {install}"))
    return len(plans), tokens, costs


def _whole_vocabulary(checker: GrammarChecker, grammar: str, plans: list[list[int]], tokens: int) -> tuple[float, float]:
    import llama_cpp.llama_cpp as lc

    n_vocab = checker.llama.n_vocab()
    whole = (lc.llama_token_data * n_vocab)()
    view = np.frombuffer(memoryview(whole).cast("B"), dtype=TOKEN_DATA)
    view["id"] = np.arange(n_vocab, dtype=np.intc)
    t_compile = t_tokens = 0.0
    for plan in plans:
        t0 = time.perf_counter()
        sampler = lc.llama_sampler_init_grammar(checker.vocab, grammar.encode(), b"root")
        t_compile += time.perf_counter() - t0
        try:
            for tok in plan:
                t0 = time.perf_counter()
                view["logit"] = 0.0
                lc.llama_sampler_apply(sampler, ctypes.byref(lc.llama_token_data_array(whole, n_vocab, -1, False)))
                allowed = not math.isinf(whole[tok].logit)
                lc.llama_sampler_accept(sampler, tok)
                t_tokens += time.perf_counter() - t0
                if not allowed:
                    raise Refused(f"llama.cpp refused {checker.llama.detokenize([tok])!r} of a text it accepted")
        finally:
            lc.llama_sampler_free(sampler)
    return t_compile * 1000 / len(plans), t_tokens * 1000 / tokens


def _check_first(checker: GrammarChecker, grammar: str, plans: list[list[int]], tokens: int) -> tuple[float, float]:
    """The planner's own logits processor (``GrammarFirstCheck``, without the kind guard, which
    needs the plan's tools and request), each token made the logits' argmax as the model's choice:
    its argmax, its check of that token and its accepting the one before, as in a plan."""
    scores = np.zeros(checker.llama.n_vocab(), dtype=np.single)
    t_compile = t_tokens = 0.0
    for plan in plans:
        t0 = time.perf_counter()
        check = GrammarFirstCheck(checker.llama, grammar)
        written: list[int] = []
        t_compile += time.perf_counter() - t0
        try:
            for tok in plan:
                scores[tok] = 1.0
                t0 = time.perf_counter()
                out = check(written, scores)
                t_tokens += time.perf_counter() - t0
                scores[tok] = 0.0
                if not np.isfinite(out[tok]):
                    raise Refused(f"the planner's check refused {checker.llama.detokenize([tok])!r} of a text "
                                  "llama.cpp's grammar accepted")
                written.append(tok)
        finally:
            check.close()
    return t_compile * 1000 / len(plans), t_tokens * 1000 / tokens


def _llguidance(checker: GrammarChecker, grammar: str, plans: list[list[int]], tokens: int) -> tuple[float, float]:
    import llguidance
    import llguidance.llamacpp
    import llguidance.numpy
    from llguidance.gbnf_to_lark import gbnf_to_lark

    with warnings.catch_warnings():  # llguidance calls llama_token_get_attr, deprecated, once a token
        warnings.simplefilter("ignore", DeprecationWarning)
        tok = llguidance.llamacpp.lltokenizer_from_vocab(checker.vocab)
    lark = llguidance.LLMatcher.grammar_from_lark(gbnf_to_lark(grammar))
    mask = np.zeros((1, (checker.llama.n_vocab() + 31) // 32), dtype=np.int32)
    t_compile = t_tokens = 0.0
    for plan in plans:
        t0 = time.perf_counter()
        matcher = llguidance.LLMatcher(tok, lark)
        t_compile += time.perf_counter() - t0
        if matcher.is_error():
            raise Refused(f"llguidance did not take the grammar: {matcher.get_error()}")
        for token in plan:
            t0 = time.perf_counter()
            llguidance.numpy.fill_next_token_bitmask(matcher, mask)
            ok = matcher.consume_token(token)
            t_tokens += time.perf_counter() - t0
            if not ok:
                raise Refused(f"llguidance refused a token llama.cpp's grammar allows: {matcher.get_error()}")
    return t_compile * 1000 / len(plans), t_tokens * 1000 / tokens


def _pieces(checker: GrammarChecker) -> list[bytes]:
    """Each token's bytes as llama.cpp writes them, special tokens included: the vocabulary
    xgrammar is given, with no tokenizer from a hub."""
    import llama_cpp.llama_cpp as lc

    buffer = ctypes.create_string_buffer(1024)
    pieces = []
    for token in range(checker.llama.n_vocab()):
        n = lc.llama_token_to_piece(checker.vocab, token, buffer, len(buffer), 0, True)
        pieces.append(buffer.raw[:max(n, 0)])
    return pieces


def _xgrammar(checker: GrammarChecker, grammar: str, plans: list[list[int]], tokens: int) -> tuple[float, float]:
    import xgrammar as xgr

    n_vocab = checker.llama.n_vocab()
    info = xgr.TokenizerInfo(_pieces(checker), vocab_type=xgr.VocabType.RAW, vocab_size=n_vocab, stop_token_ids=[checker.eos])
    mask = xgr.allocate_token_bitmask(1, n_vocab)
    t_compile = t_tokens = 0.0
    for plan in plans:
        t0 = time.perf_counter()
        matcher = xgr.GrammarMatcher(xgr.GrammarCompiler(info, cache_enabled=False).compile_grammar(grammar))
        t_compile += time.perf_counter() - t0
        for token in plan:
            t0 = time.perf_counter()
            matcher.fill_next_token_bitmask(mask)
            ok = matcher.accept_token(token)
            t_tokens += time.perf_counter() - t0
            if not ok:
                raise Refused("xgrammar refused a token llama.cpp's grammar allows")
    return t_compile * 1000 / len(plans), t_tokens * 1000 / tokens
