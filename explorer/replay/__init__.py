"""Counterexample traces: the JSON format (trace.py: save, load, validate), re-running a
trace (reproduce.py), and drawing a run as a message sequence diagram (diagram.py:
terminal and HTML)."""
