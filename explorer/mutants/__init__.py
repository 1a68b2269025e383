"""Seeded mistakes: the hand-written catalogue of mutants and pairs (catalogue.py) with
the bounds under which each is caught."""

from explorer.mutants.catalogue import (
    CATALOGUE,
    HARMLESS,
    NOT_CAUGHT,
    PAIRS,
    CaseOutcome,
    CorrectOutcome,
    HarmlessCase,
    MutantCase,
    PairCase,
    build,
    catalogue_by_name,
    map_cases,
    run_case,
    run_correct,
    run_pair,
    shuffled,
)

__all__ = [
    "CATALOGUE",
    "HARMLESS",
    "NOT_CAUGHT",
    "PAIRS",
    "CaseOutcome",
    "CorrectOutcome",
    "HarmlessCase",
    "MutantCase",
    "PairCase",
    "build",
    "catalogue_by_name",
    "map_cases",
    "run_case",
    "run_correct",
    "run_pair",
    "shuffled",
]
