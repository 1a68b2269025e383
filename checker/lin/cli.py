"""``synod lin HISTORY``: check a client history for linearizability.

Exit codes: 0 linearizable, 1 not linearizable, 2 bad input (one line on stderr naming
the file, the line and the problem), 3 unknown (a budget ran out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any

from checker.lin.edn import Keyword, Symbol
from checker.lin.formats import FORMATS, parse_history
from checker.lin.guard import ModelRaised, guarded_model
from checker.lin.history import UNKNOWN, History, HistoryError, Operation
from checker.lin.models import DEFAULT_MODEL_FOR_FORMAT, MODELS, LinModel, ModelError, make_model
from checker.lin.search import LinResult, ModelMismatchError, check

MAX_PREFIX_PRINTED = 12


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("history", help="history file (Synod JSON, a trace saved by synod check, Porcupine etcd/kv, Jepsen EDN)")
    parser.add_argument(
        "--model",
        help=f"{', '.join(MODELS)} or package.module:attribute "
        "(default: from the file, a trace's model (multipaxos synod-kv, basic consensus), else by "
        "format: etcd/jepsen cas-register, kv kv, json synod-kv)",
    )
    parser.add_argument("--format", default="auto", choices=FORMATS, help="input format (default auto)")
    parser.add_argument(
        "--init",
        metavar="V",
        help="initial value (of the register, or of every key); JSON or EDN literal, "
        "e.g. 0, nil, '\"\"'; anything else is a string",
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, metavar="T",
        help="wall-time limit in seconds before 'unknown' (default 60)",
    )
    # the old spelling, hidden (one name for one idea across subcommands: check's)
    parser.add_argument("--timeout", dest="time_limit", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--max-steps", type=int, default=None, help="search steps before 'unknown'")
    parser.add_argument(
        "--max-configs",
        type=int,
        default=500_000,
        help="cached configurations per part before the cache is emptied (bounds memory)",
    )
    parser.add_argument("--no-partition", action="store_true", help="check the history as one part")
    parser.add_argument(
        "--all-parts", action="store_true", help="after a refuted part, keep searching the others"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--html", metavar="FILE", help="write a bounded HTML view of the result")


def parse_init(text: str) -> Any:
    """``--init``: JSON, then the EDN words nil/true/false, then a plain string. Lists
    become tuples (states are hashed); a JSON object is refused (ValueError)."""
    if text in ("nil", "null"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return _frozen(value)


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        raise ValueError("a JSON object is not a value the models hold; give a number, a string, nil or a list")
    return value


def _jsonable(v: Any) -> Any:
    if v is UNKNOWN:
        return None
    if isinstance(v, Keyword):
        return ":" + v.name
    if isinstance(v, Symbol):
        return v.name
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v]
    if isinstance(v, frozenset | set):
        return sorted((_jsonable(x) for x in v), key=repr)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return repr(v)


def _op_json(op: Operation, model: LinModel) -> dict[str, Any]:
    return {
        "id": op.id,
        "process": _jsonable(op.process),
        "input": _jsonable(op.input),
        "output": _jsonable(op.output),
        "output_known": op.output is not UNKNOWN,
        "call": op.call,
        "ret": op.ret,
        "line": op.line,
        "text": model.describe_operation(op),
    }


def result_json(result: LinResult, model: LinModel, history: History) -> dict[str, Any]:
    st = result.stats
    return {
        "verdict": result.verdict,
        "model": model.name,
        "format": history.format,
        "file": history.source,
        "operations": len(history.ops),
        "reason": result.reason or None,
        "witnesses": [
            {
                "part": _jsonable(w.label),
                "prefix_length": len(w.prefix),
                "part_operations": len(w.part_ops),
                "prefix": [_op_json(o, model) for o in w.prefix],
                "blocked": None if w.blocked is None else _op_json(w.blocked, model),
                "state": w.state_text,
                "candidates": [_op_json(o, model) for o in w.candidates],
            }
            for w in result.witnesses
        ],
        "stats": {
            "steps": st.steps,
            "cache_hits": st.cache_hits,
            "dominated": st.dominated,
            "cache_size": st.cache_size,
            "cache_clears": st.cache_clears,
            "parts": st.parts,
            "parts_linearizable": st.parts_linearizable,
            "parts_refuted": st.parts_refuted,
            "elapsed_s": round(st.elapsed_s, 6),
            "cpu_s": round(st.cpu_s, 6),
        },
    }


def _text(result: LinResult, model: LinModel, history: History) -> str:
    st = result.stats
    lines: list[str] = []
    out = lines.append
    out(
        f"{history.source}: {len(history.ops)} operations, format {history.format}, "
        f"model {model.name}, {st.parts} part(s)"
    )
    out(f"verdict: {result.verdict}" + (f" ({result.reason})" if result.reason else ""))
    for w in result.witnesses:
        label = "" if w.label is None else f"part {w.label!r}: "
        out(f"{label}longest linearizable prefix: {len(w.prefix)} of {len(w.part_ops)} operations")
        shown = w.prefix[-MAX_PREFIX_PRINTED:]
        if len(w.prefix) > len(shown):
            out(f"  ... {len(w.prefix) - len(shown)} earlier operations")
        for o in shown:
            out(f"  {model.describe_operation(o)}")
        out(f"  state after the prefix: {w.state_text}")
        if w.blocked is not None:
            where = f" (line {w.blocked.line})" if w.blocked.line else ""  # 0: no source line
            out(f"  cannot place: {model.describe_operation(w.blocked)}{where}")
        if w.candidates:
            names = ", ".join(model.describe_operation(o) for o in w.candidates[:6])
            more = f" (+{len(w.candidates) - 6})" if len(w.candidates) > 6 else ""
            out(f"  other candidates there: {names}{more}")
    out(
        f"search: {st.steps} steps, {st.cache_hits} cache hits ({st.dominated} by dominance), "
        f"{st.elapsed_s:.3f} s"
    )
    return "".join(line + "\n" for line in lines)


def _fail(message: str) -> int:
    sys.stderr.write(f"synod lin: {message}\n")
    return 2


def _write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".synod-lin-", suffix=".html", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run(args: argparse.Namespace) -> int:
    path: str = args.history
    if not args.time_limit > 0:
        return _fail(f"--time-limit must be a positive number of seconds, got {args.time_limit:g}")
    if args.max_steps is not None and args.max_steps <= 0:
        return _fail("--max-steps must be positive")
    if args.max_configs <= 0:
        return _fail("--max-configs must be positive")
    if args.html == "":
        return _fail("--html must not be empty")  # was silently skipped
    if args.html:
        html_dir = os.path.dirname(os.path.abspath(args.html))
        if not os.path.isdir(html_dir):
            return _fail(f"{args.html}: directory {html_dir} does not exist")
        if os.path.isdir(args.html):  # say so before a check that may take --time-limit
            return _fail(f"{args.html}: cannot write: Is a directory")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        return _fail(f"{path}: cannot read: {e.strerror or e}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return _fail(f"{path}:{line}: not UTF-8 text")
    try:
        history = parse_history(text, args.format, path)
    except HistoryError as e:
        return _fail(str(e))
    except RecursionError:
        return _fail(f"{path}: input nested too deeply")
    model_name = args.model or history.model_hint or DEFAULT_MODEL_FOR_FORMAT.get(history.format, "cas-register")
    if args.init is not None:
        try:
            init, has_init = parse_init(args.init), True
        except ValueError as e:
            return _fail(f"--init {args.init}: {e}")
    else:
        init, has_init = history.init_hint, history.has_init_hint
    try:
        model = guarded_model(make_model(model_name, init, has_init))
    except ModelError as e:
        return _fail(str(e) if args.model else f"{path}: {e} (named by the file)")
    try:
        return _check_and_report(args, history, model)
    except ModelMismatchError as e:
        where = f"{path}:{e.op.line}" if e.op.line else path
        return _fail(f"{where}: {e.problem} (model {model.name})")
    except ModelRaised as e:  # the model's own code failed: bad input, not a verdict
        line = e.operation_line(history.ops)
        return _fail(f"{path}:{line}: {e}" if line else f"{path}: {e}")


def _check_and_report(args: argparse.Namespace, history: History, model: LinModel) -> int:
    """Search, write the HTML, print the verdict; the exit code of the verdict."""
    path: str = args.history
    result = check(
        history,
        model,
        timeout=args.time_limit,
        max_steps=args.max_steps,
        partition=not args.no_partition,
        stop_at_first=not args.all_parts,
        max_configs=args.max_configs,
    )
    # Render everything first (the model describes operations and states), then write:
    # a model failing while describing leaves no half-written file and no half report.
    report = json.dumps(result_json(result, model, history)) + "\n" if args.json else _text(result, model, history)
    if args.html:
        from checker.lin.html import render_html

        page = render_html(result, model, os.path.basename(path))
        try:
            _write_atomically(args.html, page)
        except OSError as e:
            return _fail(f"{args.html}: cannot write: {e.strerror or e}")
    try:
        sys.stdout.write(report)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head: the verdict is still the exit code
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return result.exit_code
