"""The local language model: llama.cpp through llama-cpp-python, loaded safely and shared.

One ``LocalLLM`` serves the planner and the tools that write text (e-mail bodies, PDF summaries);
a lock keeps their calls from interleaving on the same context, since a llama.cpp context is not
thread-safe.

AMX: llama.cpp's AMX/repack buffer types crash (SIGSEGV in ``ggml_backend_amx_mul_mat``) on Xeons
with AMX when the library was built natively. ``setup.sh`` builds a portable library, and the
model is also loaded with ``use_extra_bufts=False`` unless ``TINYAGENT_EXTRA_BUFTS=1``, so a
native build installed by other means does not crash either.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.models import ModelError


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    prompt_ms: float = 0.0
    generated_tokens: int = 0
    generation_ms: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.generated_tokens / (self.generation_ms / 1000) if self.generation_ms else 0.0


@contextlib.contextmanager
def _safe_model_params():  # type: ignore[no-untyped-def]
    import llama_cpp
    import llama_cpp.llama_cpp as lc

    if os.environ.get("TINYAGENT_EXTRA_BUFTS") == "1":
        yield
        return
    original = lc.llama_model_default_params

    def patched():  # type: ignore[no-untyped-def]
        params = original()
        params.use_extra_bufts = False
        return params

    lc.llama_model_default_params = patched
    llama_cpp.llama_model_default_params = patched
    try:
        yield
    finally:
        lc.llama_model_default_params = original
        llama_cpp.llama_model_default_params = original


class LocalLLM:
    """A GGUF model ready for streaming completion, optionally with a GGUF LoRA adapter."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        lora_path: str | Path | None = None,
        seed: int = 0,
    ) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ModelError("llama-cpp-python is not installed; run ./setup.sh") from exc
        self.path = Path(model_path)
        t0 = time.monotonic()
        try:
            with _safe_model_params():
                self.llama = Llama(
                    model_path=str(self.path),
                    n_ctx=n_ctx,
                    n_threads=n_threads or max(1, os.cpu_count() or 1),
                    n_batch=512,
                    lora_path=str(lora_path) if lora_path else None,
                    seed=seed,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"could not load {self.path.name}: {exc}. Is it a GGUF model file?") from exc
        self.load_seconds = time.monotonic() - t0
        self.lock = threading.Lock()
        self._chat = self._chat_formatter()

    @property
    def name(self) -> str:
        return self.path.name

    def _chat_formatter(self):  # type: ignore[no-untyped-def]
        template = self.llama.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        vocab = self.llama._model
        eos = self.llama.detokenize([vocab.token_eos()]).decode("utf-8", "ignore") if vocab.token_eos() >= 0 else ""
        bos = self.llama.detokenize([vocab.token_bos()]).decode("utf-8", "ignore") if vocab.token_bos() >= 0 else ""
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def render(self, system: str, user: str) -> str:
        """The prompt text: the model's own chat template, or the reference's plain layout for
        base models that have none."""
        if self._chat is None:
            return f"{system}\n\n{user}\n"
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return self._chat(messages=messages).prompt

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(
        self,
        prompt: str,
        *,
        grammar: str | None = None,
        max_tokens: int = 512,
        stop: list[str] | None = None,
        stats: GenerationStats | None = None,
        temperature: float = 0.0,
    ) -> Iterator[str]:
        """Yield text pieces; ``stats`` is filled in as it goes (prompt time = time to first token)."""
        from llama_cpp import LlamaGrammar

        compiled = LlamaGrammar.from_string(grammar, verbose=False) if grammar else None
        stats = stats if stats is not None else GenerationStats()
        with self.lock:
            stats.prompt_tokens = self.count_tokens(prompt)
            t0 = time.monotonic()
            first: float | None = None
            for chunk in self.llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=temperature,
                stop=stop or [],
                grammar=compiled,
                stream=True,
            ):
                now = time.monotonic()
                if first is None:
                    first = now
                    stats.prompt_ms = (first - t0) * 1000
                stats.generated_tokens += 1
                stats.generation_ms = (now - first) * 1000
                text = chunk["choices"][0]["text"]
                if text:
                    yield text

    def complete(self, prompt: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
        return "".join(self.stream(prompt, **kwargs))
