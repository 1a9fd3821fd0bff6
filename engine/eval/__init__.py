"""Plan accuracy: metrics (``engine.eval.metrics``) and the ``tinyagent eval`` runner."""
