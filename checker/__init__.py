"""Synod's judges, usable without the explorer.

- :mod:`checker.invariants`: the safety invariants over plain data (votes, learned values,
  applied logs, promises, replies);
- :mod:`checker.lin`: linearizability of a client history (search, models, history
  formats, HTML view, ``synod lin``);
- :mod:`checker.prove`: z3 proofs (quorum intersection, inductive invariants of abstract
  Paxos and Multi-Paxos, ``synod prove``).

Importing this package imports none of them (and so not z3).
"""
