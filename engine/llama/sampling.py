"""Grammar-constrained greedy decoding that checks the model's own choice first.

llama-cpp-python puts the grammar in the sampler chain, which runs every token of the vocabulary
through the grammar at every step (151K tokens for Qwen, 262K for Gemma): py-spy showed
``llama_grammar_apply_impl`` as most of the generation time, about as slow per token for the 270M
model as for the 1.5B. llama.cpp's own ``common_sampler`` avoids this: it takes the unconstrained
choice, asks the grammar about that single token, and only filters the whole vocabulary when the
grammar refuses it. For greedy decoding the result is the same token either way (the best allowed
token is the best token whenever the best token is allowed), so plans do not change, only time.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.generation import TextGuard

GUARD_CANDIDATES = 40
"""The model's best tokens offered to a ``TextGuard``, in order, before it yields to the grammar."""

TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)
"""llama.cpp's ``llama_token_data`` as a numpy record, so a whole vocabulary's logits are set in one
assignment rather than 151K ctypes writes."""


class GrammarFirstCheck:
    """A llama-cpp-python logits processor enforcing a GBNF grammar for greedy decoding.

    Use one instance per completion, with ``temperature=0`` and without llama-cpp-python's own
    ``grammar=``. The grammar state advances by the tokens that appear in ``input_ids`` after the
    first call (the prompt is everything there at the first call).
    """

    def __init__(self, llama: Any, grammar: str, root: str = "root", guard: TextGuard | None = None) -> None:
        import llama_cpp.llama_cpp as lc

        self._lc = lc
        self._llama = llama
        self.guard = guard
        self._written = b""
        self._sampler = lc.llama_sampler_init_grammar(llama._model.vocab, grammar.encode("utf-8"), root.encode("utf-8"))
        if not self._sampler:
            raise ValueError("the plan grammar did not parse in llama.cpp; this is a bug in engine.grammar")
        n_vocab = llama.n_vocab()
        self._buffer = (lc.llama_token_data * n_vocab)()
        self._view = np.frombuffer(memoryview(self._buffer).cast("B"), dtype=TOKEN_DATA)
        self._view["id"] = np.arange(n_vocab, dtype=np.intc)  # the grammar never reorders the array
        self._one = lc.llama_token_data(0, 0.0, 0.0)
        self._one_array = lc.llama_token_data_array(ctypes.pointer(self._one), 1, -1, False)
        self._all_array = lc.llama_token_data_array(
            ctypes.cast(self._buffer, ctypes.POINTER(lc.llama_token_data)), n_vocab, -1, False
        )
        self._seen: int | None = None
        self.quick = 0
        self.filtered = 0
        self.seconds = 0.0
        """Time spent in the checks, all tokens together (``GenerationStats.check_ms``)."""

    def __call__(self, input_ids: Sequence[int], scores: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return self._constrain(input_ids, scores)
        finally:
            self.seconds += time.perf_counter() - t0

    def _constrain(self, input_ids: Sequence[int], scores: np.ndarray) -> np.ndarray:
        self._advance(input_ids)
        best = int(np.argmax(scores))
        if self.guard is not None:
            chosen = self._guarded(scores, best)
            if chosen is not None:
                self.quick += 1
                if chosen == best:
                    return scores
                out = np.full_like(scores, -np.inf)
                out[chosen] = scores[chosen]
                return out
            self.guard.yielded += 1
        elif self._allows(best):
            self.quick += 1
            return scores
        self.filtered += 1
        self._view["logit"] = scores
        self._view["p"] = 0.0
        self._all_array.size = len(scores)
        self._all_array.selected = -1
        self._all_array.sorted = False
        self._lc.llama_sampler_apply(self._sampler, ctypes.byref(self._all_array))
        return self._view["logit"].copy()

    def _advance(self, input_ids: Sequence[int]) -> None:
        if self._seen is None:
            self._seen = len(input_ids)
            return
        for token in input_ids[self._seen :]:
            self._accept(int(token))
        self._seen = len(input_ids)

    def _accept(self, token: int) -> None:
        self._lc.llama_sampler_accept(self._sampler, token)
        if self.guard is not None:
            self._written += self._llama.detokenize([token])

    def force(self, chosen: int, tokens: Sequence[int]) -> list[int]:
        """Take the model's ``chosen`` token, then as many of ``tokens`` (the text the grammar
        forces next, ``engine.grammar.forced_text``) as the grammar and the guard allow in turn;
        returns those taken. The caller evaluates ``chosen`` and them in one batch: jump-forward
        decoding. The next call then finds them already accepted."""
        assert self._seen is not None, "force() follows a call that chose a token"
        t0 = time.perf_counter()
        try:
            self._accept(chosen)
            taken: list[int] = []
            for token in tokens:
                if not self._allows(token):
                    break
                if self.guard is not None and not self.guard.allows(
                        (self._written + self._llama.detokenize([token])).decode("utf-8", "ignore")):
                    break
                self._accept(token)
                taken.append(token)
            self._seen += 1 + len(taken)
            return taken
        finally:
            self.seconds += time.perf_counter() - t0

    def _guarded(self, scores: np.ndarray, best: int) -> int | None:
        """The best of the model's top tokens that the grammar and the kind guard both allow."""
        assert self.guard is not None
        text = self._written.decode("utf-8", "ignore")
        if np.isfinite(scores[best]) and self._ok(best, text):
            return best  # the usual case: no partition of the whole vocabulary
        k = min(GUARD_CANDIDATES, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        for token in top[np.argsort(-scores[top])]:
            token = int(token)
            if not np.isfinite(scores[token]):
                break
            if token != best and self._ok(token, text):
                return token
        return None

    def _ok(self, token: int, text: str) -> bool:
        """The grammar and the kind guard both allow ``token`` after ``text``."""
        assert self.guard is not None
        return self._allows(token) and self.guard.allows(text + self._llama.detokenize([token]).decode("utf-8", "ignore"))

    def _allows(self, token: int) -> bool:
        self._one.id = token
        self._one.logit = 0.0
        self._one_array.size = 1
        self._one_array.selected = -1
        self._lc.llama_sampler_apply(self._sampler, ctypes.byref(self._one_array))
        return bool(np.isfinite(self._one.logit))

    def close(self) -> None:
        if getattr(self, "_sampler", None):
            self._lc.llama_sampler_free(self._sampler)
            self._sampler = None

    def __del__(self) -> None:
        self.close()
