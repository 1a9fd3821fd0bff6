"""tinyagent's engine: plan a request with a small local model and run the plan, with the desktop
tools or your own.

The public face is this package: ``from engine import Agent`` and the names in ``__all__``; the
modules behind them may change. Names are imported on first use (PEP 562), so ``import engine``
costs nothing and a submodule never waits on the whole engine.

    import asyncio
    from engine import Agent

    def get_weather(city: str) -> str:
        \"\"\"Today's weather in a city.\"\"\"
        return f"Sunny, 21 °C in {city}"

    agent = Agent.for_tools([get_weather])  # the default model, Qwen2.5-Coder-1.5B
    print(asyncio.run(agent.run("What's the weather in Paris?")).answer)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_WHERE = {
    "Agent": "engine.agent", "AgentRun": "engine.agent",
    "Planner": "engine.planner", "PlanStream": "engine.planner", "RequestError": "engine.planner",
    "Config": "engine.config", "PlannerConfig": "engine.config", "ConfigError": "engine.config",
    "Selection": "engine.config", "Backend": "engine.config", "PromptStyle": "engine.config",
    "Executor": "engine.executor", "RunResult": "engine.executor", "TaskOutcome": "engine.executor", "Approval": "engine.executor",
    "ToolBox": "engine.tools.spec", "ToolSpec": "engine.tools.spec", "ToolError": "engine.tools.spec",
    "ToolSpecError": "engine.tools.spec", "Prepared": "engine.tools.spec",
    "Plan": "engine.plan", "Task": "engine.plan", "PlanError": "engine.plan", "PlanParser": "engine.plan",
    "parse_plan": "engine.plan",
    "TinyAgentError": "engine.errors", "ModelError": "engine.models",
    "Event": "engine.events", "TaskStatus": "engine.events", "Answer": "engine.events",
    "LocalLLM": "engine.llama", "PlanningModel": "engine.generation", "ScriptedLLM": "engine.generation",
    "GenerationRequest": "engine.generation", "Capability": "engine.generation",
    "ExampleBank": "engine.examples", "Example": "engine.examples",
    "load_agent": "engine.agent", "build_planner": "engine.runtime",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
