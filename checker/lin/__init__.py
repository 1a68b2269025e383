"""Linearizability checking of client histories (docs/linearizability.md).

The public API, re-exported here; the modules behind it:

- :mod:`checker.lin.search`: :func:`check`, the Wing–Gong/Lowe search and its pruning;
- :mod:`checker.lin.models`: sequential specifications (:class:`LinModel`, :func:`make_model`);
- :mod:`checker.lin.history`: :class:`Operation`, :class:`History`, building one from events;
- :mod:`checker.lin.formats`: :func:`parse_history` and one reader per file format;
- :mod:`checker.lin.edn`: the EDN reader the Jepsen formats use;
- :mod:`checker.lin.html`: the HTML view of a result; :mod:`checker.lin.cli`: ``synod lin``.

Everything here is the standard library only (no z3).

    from checker.lin import check, make_model, parse_history

    history = parse_history(open("etcd_000.log").read(), "auto", "etcd_000.log")
    result = check(history, make_model("cas-register"), timeout=60)
    print(result.verdict)
"""

from checker.lin.edn import Keyword, Symbol
from checker.lin.formats import FORMATS, detect_format, parse_history
from checker.lin.formats.synod_json import history_to_json
from checker.lin.history import (
    UNKNOWN,
    History,
    HistoryBuilder,
    HistoryError,
    Operation,
    history_from_events,
    info_event,
    invoke_event,
    ok_event,
)
from checker.lin.models import (
    MODELS,
    LinModel,
    ModelError,
    cas_register_model,
    consensus_model,
    kv_cas_model,
    kv_model,
    make_model,
    partition_by_key,
    register_model,
    synod_kv_model,
)
from checker.lin.search import (
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    UNKNOWN_VERDICT,
    LinResult,
    LinStats,
    ModelMismatchError,
    PartWitness,
    check,
)

__all__ = [
    "FORMATS",
    "LINEARIZABLE",
    "MODELS",
    "NOT_LINEARIZABLE",
    "UNKNOWN",
    "UNKNOWN_VERDICT",
    "History",
    "HistoryBuilder",
    "HistoryError",
    "Keyword",
    "LinModel",
    "LinResult",
    "LinStats",
    "ModelError",
    "ModelMismatchError",
    "Operation",
    "PartWitness",
    "Symbol",
    "cas_register_model",
    "check",
    "consensus_model",
    "detect_format",
    "history_from_events",
    "history_to_json",
    "info_event",
    "invoke_event",
    "kv_cas_model",
    "kv_model",
    "make_model",
    "ok_event",
    "parse_history",
    "partition_by_key",
    "register_model",
    "synod_kv_model",
]
