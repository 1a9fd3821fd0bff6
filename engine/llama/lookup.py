"""Prompt-lookup speculative decoding (llama-cpp-python's ``LlamaPromptLookupDecoding``), for
``bench lookup``: the planner cannot use it, since llama-cpp-python hands a logits processor the
unverified draft tokens too, so it runs without the grammar and only measures what it could gain."""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Completions:
    texts: list[str]
    seconds: list[float]
    tokens: int


def complete_all(model: str, lora: str | None, prompts: Sequence[str], *, threads: int, lookup: bool,
                 stop: str, max_tokens: int = 300) -> Completions:
    """Each rendered prompt completed greedily, with prompt lookup drafting 10 tokens or without."""
    from llama_cpp import Llama
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    draft = LlamaPromptLookupDecoding(num_pred_tokens=10) if lookup else None
    llama = Llama(model_path=model, lora_path=lora, n_ctx=4096, n_threads=threads, draft_model=draft,
                  logits_all=draft is not None, verbose=False, seed=0)
    out = Completions([], [], 0)
    for prompt in prompts:
        t0 = time.monotonic()
        done = llama.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, stop=[stop])
        out.seconds.append(time.monotonic() - t0)
        out.tokens += done["usage"]["completion_tokens"]
        out.texts.append(done["choices"][0]["text"])
    del llama
    gc.collect()
    return out
