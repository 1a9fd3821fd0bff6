"""tinyagent's engine: plan a desktop command with a small local model and run it.

Public surface: ``ToolSpec`` / ``ToolBox`` (tools), ``parse_plan`` / ``PlanParser`` / ``PlanError``
(plan format), ``Executor`` and the events (execution), ``Planner`` and ``Agent`` (the whole loop).
"""

__version__ = "0.1.0"
