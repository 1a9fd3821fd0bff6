"""Checking a text against a grammar with llama.cpp's own grammar engine, no weights needed."""

from __future__ import annotations

import ctypes
import math


class GrammarChecker:
    """Runs llama.cpp's own grammar engine over a text, token by token, with no model weights.

    ``accepts(grammar, text)`` is true iff the sampler allows every token of ``text`` and then
    end-of-generation: exactly what constrained decoding would permit. Used by the tests and handy
    when writing grammars for new tool sets.
    """

    def __init__(self, model_path: str) -> None:
        from llama_cpp import Llama

        self.llama = Llama(model_path=model_path, vocab_only=True, verbose=False)
        self.vocab = self.llama._model.vocab
        self.eos = self.llama.token_eos()

    def accepts(self, grammar: str, text: str) -> bool:
        import llama_cpp.llama_cpp as lc

        sampler = lc.llama_sampler_init_grammar(self.vocab, grammar.encode(), b"root")
        if not sampler:
            raise ValueError("llama.cpp could not parse the grammar")
        try:
            tokens = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            for tok in [*tokens, self.eos]:
                data = (lc.llama_token_data * 1)(lc.llama_token_data(tok, 0.0, 0.0))
                arr = lc.llama_token_data_array(data, 1, -1, False)
                lc.llama_sampler_apply(sampler, ctypes.byref(arr))
                if math.isinf(data[0].logit) and data[0].logit < 0:
                    return False
                if tok == self.eos:
                    return True
                lc.llama_sampler_accept(sampler, tok)
            return False
        finally:
            lc.llama_sampler_free(sampler)
