"""The llama.cpp runtime: the only package that touches llama-cpp-python.

``LocalLLM`` loads a GGUF model (and adapter) and serves ``engine.generation``'s requests with
every ``Capability``; ``sampling`` holds the grammar-first check and the token guard, ``checker``
runs a grammar over a text without weights, ``lookup`` is prompt-lookup decoding for a benchmark.
A second runtime would be a sibling package with its own ``PlanningModel``.
"""

from engine.llama.checker import GrammarChecker
from engine.llama.model import LocalLLM

__all__ = ["GrammarChecker", "LocalLLM"]
