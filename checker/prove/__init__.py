"""z3 proofs: quorum intersection and inductive invariants of abstract Paxos (docs/prove.md).

This package imports nothing itself: z3 is loaded by the modules that use it
(:mod:`checker.prove.quorums`, :mod:`checker.prove.paxos`, :mod:`checker.prove.cli`).
"""
