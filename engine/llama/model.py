"""The llama.cpp runtime: a GGUF model (and LoRA adapter) through llama-cpp-python, loaded safely
and shared; ``generate`` serves the engine's ``GenerationRequest``s (``engine.generation``).

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
import ctypes
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from engine.generation import (
    APP_CACHE,
    Capability,
    GenerationRequest,
    GenerationStats,
    TextGuard,
    check_request,
)
from engine.models import ModelError, cache_dir

if TYPE_CHECKING:
    from engine.llama.sampling import GrammarFirstCheck

KV_CACHE_BYTES = 1 << 30
"""Disk budget for saved prompt prefixes (a 1.5B state is 10-16 MB, one per offered tool set);
``TINYAGENT_KV_CACHE_MB`` overrides it, e.g. for evaluations that plan the same sets in several runs."""


def kv_cache_budget() -> int:
    value = os.environ.get("TINYAGENT_KV_CACHE_MB", "")
    try:
        return int(value) << 20 if value else KV_CACHE_BYTES
    except ValueError:
        raise ModelError(f"TINYAGENT_KV_CACHE_MB must be a whole number of megabytes, not {value!r}") from None


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
    """A GGUF model ready for streaming completion, optionally with a GGUF LoRA adapter.

    ``generate`` is the engine's way in; ``stream`` and ``complete`` take an already rendered
    prompt and llama.cpp's own options, for benchmarks, training and this runtime's tests."""

    capabilities = frozenset(Capability)

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        lora_path: str | Path | None = None,
        seed: int = 0,
        vocab_only: bool = False,
    ) -> None:
        """``vocab_only`` loads the tokenizer and chat template without the weights: training
        uses it to build prompts and token ids exactly as planning does."""
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
                    vocab_only=vocab_only,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"could not load {self.path.name}: {exc}. Is it a GGUF model file?") from exc
        self.load_seconds = time.monotonic() - t0
        self.n_ctx = n_ctx
        # The prefix KV cache on disk depends on the adapter's weights too, not only the model's.
        self._lora_key = hashlib.sha256(Path(lora_path).read_bytes()).hexdigest()[:16] if lora_path else "-"
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

    def tokenize(self, text: str, *, add_bos: bool) -> list[int]:
        """Token ids as llama.cpp reads a prompt (``add_bos=True``, special tokens parsed) or a
        continuation of one (``add_bos=False``)."""
        return list(self.llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def encode(self, prompt: str, plain: str | None = None) -> list[int]:
        """The prompt's token ids, with the chat template's special tokens parsed but ``plain``
        (the person's words, or a tool's output, at its last place in the prompt) read as text.

        Parsed as a whole, a query holding ``<|im_end|>`` ended the user's turn and the model
        obeyed what followed it. Cut at ``plain`` the ids of ordinary text are the same: the
        tokenizers' pre-split already starts a new piece where the question starts and ends.
        """
        at = prompt.rfind(plain) if plain else -1
        if at < 0 or not plain:
            return self.tokenize(prompt, add_bos=True)
        head, tail = prompt[:at], prompt[at + len(plain):]
        ids = self.tokenize(head, add_bos=True)
        ids += self.llama.tokenize(plain.encode("utf-8"), add_bos=False, special=False)
        return ids + (self.tokenize(tail, add_bos=False) if tail else [])

    def _prime(self, prefix: str, group: str = APP_CACHE) -> str:
        """Make sure the KV cache holds ``prefix`` (the static start of every planner prompt);
        the caller holds ``self.lock``.

        Returns ``"memory"`` (already there), ``"disk"`` (loaded from a state file saved by an
        earlier run) or ``"built"`` (evaluated now and saved). A cold start of the 1.5B model
        spends most of its time on these ~1,800 tokens; loading them takes a fraction of a second.
        """
        import llama_cpp.llama_cpp as lc

        llama = self.llama
        tokens = llama.tokenize(prefix.encode("utf-8"), special=True)
        n = len(tokens)
        if n == 0 or n >= self.n_ctx:
            return "off"
        if llama.n_tokens >= n and list(llama.input_ids[:n]) == tokens:
            return "memory"
        st = self.path.stat()
        key = hashlib.sha256(f"{self.path.name}:{st.st_size}:{self.n_ctx}:{self._lora_key}\0{prefix}".encode()).hexdigest()[:32]
        folder = cache_dir().parent / "kv"
        budget = kv_cache_budget()
        if group != APP_CACHE:
            folder, budget = folder / group, budget // 4
        path = folder / f"{key}.state"
        array = (lc.llama_token * self.n_ctx)()
        if path.is_file():
            count = ctypes.c_size_t(0)
            llama._ctx.kv_cache_clear()
            read = lc.llama_state_seq_load_file(llama._ctx.ctx, str(path).encode(), 0, array, self.n_ctx, ctypes.byref(count))
            if read and count.value == n and list(array[:n]) == tokens:
                llama.input_ids[:n] = tokens
                llama.n_tokens = n
                llama._requires_eval = True
                os.utime(path)
                return "disk"
            llama._ctx.kv_cache_clear()
        llama.reset()
        llama._ctx.kv_cache_clear()
        llama.eval(tokens)
        folder.mkdir(parents=True, exist_ok=True)
        for i, t in enumerate(tokens):
            array[i] = t
        tmp = path.with_suffix(".tmp")
        if lc.llama_state_seq_save_file(llama._ctx.ctx, str(tmp).encode(), 0, array, n):
            os.replace(tmp, path)
            _evict(folder, budget)
        return "built"

    def rendered_prefix(self, request: GenerationRequest) -> str | None:
        """The start of the rendered prompt up to the end of ``request.prefix``: what is cached."""
        return self._rendered_prefix(self.render(request.system, request.user), request.prefix)

    @staticmethod
    def _rendered_prefix(prompt: str, prefix: str | None) -> str | None:
        at = prompt.find(prefix) if prefix else -1
        return prompt[: at + len(prefix)] if prefix and at >= 0 else None

    def prime(self, request: GenerationRequest) -> str:
        """Load or build the KV state of the request's prefix now, so the next prompt that starts
        with it skips that work; returns where it came from, as ``_prime``, or ``off``."""
        prefix = self.rendered_prefix(request)
        if not prefix:
            return "off"
        with self.lock:
            return self._prime(prefix, request.prefix_group)

    def generate(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        check_request(self, request)
        prompt = self.render(request.system, request.user)
        yield from self.stream(
            prompt, grammar=request.grammar, max_tokens=request.max_tokens, stop=list(request.stop), stats=stats,
            temperature=request.temperature, prefix=self._rendered_prefix(prompt, request.prefix),
            prefix_group=request.prefix_group, check_first=request.check_first, plain=request.as_text,
            guard=request.guard, forced=request.forced,
        )

    def keep_only(self, request: GenerationRequest) -> None:
        """Forget everything in the KV cache after the request's prefix (benchmarks use it so
        every run pays the same prompt cost instead of reusing the previous query's tokens)."""
        prefix = self.rendered_prefix(request)
        if not prefix:
            return
        with self.lock:
            tokens = self.llama.tokenize(prefix.encode("utf-8"), special=True)
            n = len(tokens)
            if self.llama.n_tokens > n and list(self.llama.input_ids[:n]) == tokens:
                self.llama.n_tokens = n

    def stream(
        self,
        prompt: str,
        *,
        grammar: str | None = None,
        max_tokens: int = 512,
        stop: list[str] | None = None,
        stats: GenerationStats | None = None,
        temperature: float = 0.0,
        prefix: str | None = None,
        prefix_group: str = APP_CACHE,
        check_first: bool = True,
        plain: str | None = None,
        guard: TextGuard | None = None,
        forced: Callable[[str], str] | None = None,
    ) -> Iterator[str]:
        """Yield text pieces; ``stats`` is filled in as it goes (prompt time = time to first token,
        including restoring or building the cached ``prefix`` of the prompt, if one is given).
        ``plain`` is the part of the prompt never to be read as special tokens (``encode``);
        ``guard`` refuses tokens as they are chosen (``engine.kindguard``; greedy, with the grammar).

        With a grammar and greedy decoding, ``check_first`` asks the grammar about the model's
        choice before filtering the whole vocabulary (``engine.llama.sampling``); same output, faster.
        ``check_first=False`` is llama-cpp-python's own grammar sampling, kept for comparison.
        ``forced`` (with the check-first grammar) names the text the grammar forces next: it is
        written in one batch with the model's choice instead of a decode step a token."""
        from llama_cpp import LlamaGrammar, LogitsProcessorList

        compiled = None
        processors = None
        if grammar and check_first and temperature == 0.0:
            from engine.llama.sampling import GrammarFirstCheck

            processors = LogitsProcessorList([GrammarFirstCheck(self.llama, grammar, guard=guard)])
        elif grammar:
            compiled = LlamaGrammar.from_string(grammar, verbose=False)
        stats = stats if stats is not None else GenerationStats()
        with self.lock:
            t0 = time.monotonic()
            if prefix and prompt.startswith(prefix):
                stats.prefix_cache = self._prime(prefix, prefix_group)
            tokens = self.encode(prompt, plain)
            stats.prompt_tokens = len(tokens)
            if len(tokens) >= self.n_ctx:
                raise ModelError(f"the request is too long for the model: its prompt is {len(tokens):,} tokens, and "
                                 f"the model reads at most {self.n_ctx:,}; shorten it or split it into several")
            if processors and forced is not None:
                yield from self._jump_forward(tokens, processors[0], forced, max_tokens, stop or [], stats, t0)
                return
            first: float | None = None
            for chunk in self.llama.create_completion(
                tokens,
                max_tokens=max_tokens,
                temperature=temperature,
                stop=stop or [],
                grammar=compiled,
                logits_processor=processors,
                stream=True,
            ):
                now = time.monotonic()
                if first is None:
                    first = now
                    stats.prompt_ms = (first - t0) * 1000
                stats.generated_tokens += 1
                stats.generation_ms = (now - first) * 1000
                if processors:
                    stats.check_ms = processors[0].seconds * 1000
                text = chunk["choices"][0]["text"]
                if text:
                    yield text

    def _jump_forward(self, tokens: list[int], check: GrammarFirstCheck, forced: Callable[[str], str],
                      max_tokens: int, stop: list[str], stats: GenerationStats, t0: float) -> Iterator[str]:
        """Greedy decoding under ``check`` where each step evaluates the model's choice together
        with the tokens the grammar forces after it (``forced``): one decode of 1 + k tokens costs
        far less than k + 1 decodes on a CPU. Text, stops and statistics as ``create_completion``
        gives them; the caller holds ``self.lock``."""
        import llama_cpp.llama_cpp as lc
        import numpy as np

        llama = self.llama
        max_tokens = min(max_tokens, self.n_ctx - len(tokens))  # as create_completion bounds it
        n_vocab = llama.n_vocab()
        vocab = llama._model.vocab
        cached = llama.input_ids[: llama.n_tokens]
        same = 0
        while same < min(len(cached), len(tokens)) and cached[same] == tokens[same]:
            same += 1
        llama.n_tokens = min(same, len(tokens) - 1)
        llama.eval(tokens[llama.n_tokens :])
        written: list[int] = []
        data = b""
        shown = 0
        first: float | None = None
        while len(written) < max_tokens:
            scores = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(n_vocab,))
            token = int(np.argmax(check(llama.input_ids[: llama.n_tokens], scores)))
            now = time.monotonic()
            if first is None:
                first = now
                stats.prompt_ms = (first - t0) * 1000
            if lc.llama_vocab_is_eog(vocab, token):
                break
            data += llama.detokenize([token])
            text = _utf8_prefix(data)
            then = forced(text)
            jump = llama.tokenize(then.encode("utf-8"), add_bos=False, special=False) if then else []
            taken = check.force(token, jump[: max_tokens - len(written) - 1])
            written += [token, *taken]
            stats.generated_tokens = len(written)
            stats.forced_tokens += len(taken)
            stats.check_ms = check.seconds * 1000
            if taken:
                data += llama.detokenize(taken)
                text = _utf8_prefix(data)
            ends = [at for at in (text.find(s) for s in stop if s) if at >= 0]
            if ends:
                if min(ends) > shown:
                    yield text[shown : min(ends)]
                stats.generation_ms = (time.monotonic() - first) * 1000
                return
            ready = len(text) - _stop_start(text, stop)
            if ready > shown:
                yield text[shown:ready]
                shown = ready
            if len(written) >= max_tokens:
                break
            llama.eval([token, *taken])
            stats.generation_ms = (time.monotonic() - first) * 1000
        text = _utf8_prefix(data)
        if len(text) > shown:
            yield text[shown:]
        if first is not None:
            stats.generation_ms = (time.monotonic() - first) * 1000

    def complete(self, prompt: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
        return "".join(self.stream(prompt, **kwargs))


def _evict(folder: Path, budget: int) -> None:
    """Keep the KV state files under ``budget`` bytes, dropping the least recently used."""
    files = sorted(folder.glob("*.state"), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for f in files:
        total += f.stat().st_size
        if total > budget:
            f.unlink(missing_ok=True)


def _utf8_prefix(data: bytes) -> str:
    """The text of ``data`` up to a character cut in half at its end (a token may end mid-character)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8", "replace")
        return data.decode("utf-8", "replace")


def _stop_start(text: str, stop: list[str]) -> int:
    """How many characters at the end of ``text`` could be the start of a stop string, and so
    are held back until the next token says whether it is one."""
    longest = 0
    for s in stop:
        for n in range(min(len(s) - 1, len(text)), longest, -1):
            if text.endswith(s[:n]):
                longest = n
                break
    return longest
