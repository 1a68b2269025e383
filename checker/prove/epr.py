"""Is a set of formulas in (stratified) EPR? The quantifier-alternation graph of its sorts.

Why every query of :mod:`checker.prove.paxos` is decidable: there are no function
symbols at all (only relations and constants), and :func:`quantifier_alternation_edges`
computes, for each query, the sort graph of ∀-then-∃ alternations (Skolem functions). The
graph is acyclic for every query of every variant (round, value, inst → quorum → node),
which is exactly the stratified ("extended") EPR condition (:func:`find_cycle` finds
none); tests assert it. No solver is involved.
"""

from __future__ import annotations

from collections.abc import Iterable

import z3

__all__ = ["find_cycle", "quantifier_alternation_edges"]


def _is_uninterpreted(sort: z3.SortRef) -> bool:
    return bool(sort.kind() == z3.Z3_UNINTERPRETED_SORT)


def quantifier_alternation_edges(formulas: Iterable[z3.BoolRef]) -> set[tuple[str, str]]:
    """Sort edges A → B: a B-valued Skolem function of an A argument would be needed.

    Edges come from an effectively-existential variable of sort B in the scope of an
    effectively-universal variable of sort A (polarity-aware: ∀ under negation is ∃), and
    from any function symbol A… → B over uninterpreted sorts. The formula set is in
    (stratified) EPR exactly when this graph is acyclic.
    """
    edges: set[tuple[str, str]] = set()

    # No memoisation by AST id: the bodies built here are temporaries whose ids z3 reuses
    # once Python frees them, which silently skipped subformulas. The formulas are small.
    def walk(e: z3.ExprRef, polarity: int, universals: tuple[str, ...]) -> None:
        if z3.is_quantifier(e):
            assert isinstance(e, z3.QuantifierRef)
            names = [e.var_name(k) for k in range(e.num_vars())]
            var_sorts = [e.var_sort(k) for k in range(e.num_vars())]
            consts = [
                z3.Const(f"{nm}!{e.get_id()}", st) for nm, st in zip(names, var_sorts, strict=True)
            ]
            body = z3.substitute_vars(e.body(), *reversed(consts))
            sort_names = tuple(str(s) for s in var_sorts)
            universal = e.is_forall() == (polarity > 0)
            existential = e.is_forall() != (polarity > 0) or polarity == 0
            if polarity == 0:
                universal = True
            if existential:
                for u in universals:
                    for s in sort_names:
                        edges.add((u, s))
            inner = tuple(sorted(set(universals) | set(sort_names))) if universal else universals
            walk(body, polarity, inner)
            return
        if not z3.is_app(e):
            return
        decl = e.decl()
        kind = decl.kind()
        children = e.children()
        if kind == z3.Z3_OP_UNINTERPRETED and e.num_args() > 0 and _is_uninterpreted(e.sort()):
            for c in children:
                edges.add((str(c.sort()), str(e.sort())))
        if kind == z3.Z3_OP_NOT:
            walk(children[0], -polarity, universals)
        elif kind in (z3.Z3_OP_AND, z3.Z3_OP_OR):
            for c in children:
                walk(c, polarity, universals)
        elif kind == z3.Z3_OP_IMPLIES:
            walk(children[0], -polarity, universals)
            walk(children[1], polarity, universals)
        elif kind in (z3.Z3_OP_EQ, z3.Z3_OP_IFF, z3.Z3_OP_XOR, z3.Z3_OP_ITE, z3.Z3_OP_DISTINCT):
            for c in children:
                walk(c, 0, universals)
        else:
            for c in children:
                walk(c, polarity, universals)

    for f in formulas:
        walk(f, 1, ())
    return edges


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    """A cycle in the sort graph (a self-loop counts), or None when it is acyclic."""
    graph: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in graph.get(v, []):
            if state.get(w) == 1:
                return stack[stack.index(w) :] + [w]
            if w not in state:
                found = visit(w)
                if found:
                    return found
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state:
            found = visit(v)
            if found:
                return found
    return None
