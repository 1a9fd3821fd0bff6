"""Function-calling data: the record format and the synthetic generator (``python -m engine.data``)."""
