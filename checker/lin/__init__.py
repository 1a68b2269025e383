"""Linearizability checking of client histories (see docs/linearizability.md)."""
