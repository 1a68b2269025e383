"""``synod replay TRACE``: rebuild a model from a saved trace alone and re-run it.

Says one of: reproduced (exit 1), now passes (exit 0), or diverged at step k (exit 4,
with the label wanted and the labels enabled there: the trace no longer describes a
run of the model, which is neither a reproduced bug nor a fixed one). A broken trace, an unbuildable
configuration, or a trace the model cannot have made (a property or initial state it
does not have) is one line on stderr, exit 2. The run is drawn with
``explorer.replay.diagram`` (a message sequence diagram for actor models, a numbered action
list for other models), at its natural width when stdout is not a terminal (a log or a
pipe never gets a wrapped diagram); ``--html FILE`` writes the drawing as one page that
names the model, the variant and the configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from rich.text import Text

from explorer.cli.check import check_output_file
from explorer.cli.console import StdoutConsole
from explorer.engine.model import Model
from explorer.models import build_model
from explorer.models.config import ConfigError
from explorer.replay import diagram
from explorer.replay.reproduce import ReplayOutcome, replay_trace, trace_mismatch
from explorer.replay.trace import Trace, TraceError, load_trace, write_text_atomic


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trace", metavar="TRACE", help="a trace saved by synod check")
    parser.add_argument("--html", metavar="FILE", help="also write the run as one self-contained HTML page")


def render_terminal(model: Model[Any, Any], outcome: ReplayOutcome, trace: Trace) -> RenderableType:
    return diagram.render_terminal(
        model, outcome.states, outcome.actions, outcome.fail_step, trace.property_name
    )


def render_html(model: Model[Any, Any], outcome: ReplayOutcome, trace: Trace, source: str = "") -> str:
    return diagram.render_html(
        model, outcome.states, outcome.actions, outcome.fail_step, trace.property_name,
        about=trace_about(trace, source),
    )


def trace_about(trace: Trace, source: str = "") -> list[tuple[str, str]]:
    """What the HTML page says the run is: model, variant, configuration, search, trace."""
    from explorer.cli.check import command_line

    c = trace.config
    faults = ", ".join(f"{k}={v}" for k, v in vars(c.faults).items() if v) or "none"
    world = (
        f"{c.nodes} nodes, {c.clients} clients × {c.ops} ops, faults {faults}, "
        f"{c.network} network, ballots ≤ {c.ballots}"
    )
    quorums = ", ".join(
        f"phase {i} quorum {q}" for i, q in ((1, c.phase1_quorum), (2, c.phase2_quorum)) if q is not None
    )
    extra = ", ".join(f"{k}={v!r}" for k, v in c.extra)
    configuration = "; ".join(part for part in (world, quorums, extra) if part)
    if c.symmetry:
        configuration += "; symmetry reduction"
    s = trace.settings
    about = [
        ("model", c.model),
        ("variant", c.variant),
        ("configuration", configuration),
        ("search", f"{s.strategy}, seed {s.seed}"),
        ("property", f"{trace.property_kind} {trace.property_name!r}, fails after {trace.step} steps"),
        ("check it again", command_line(c, s.strategy, s.max_depth)),
        ("recorded by", f"synod {trace.synod_version}"),
    ]
    if source:
        about.insert(0, ("trace", source))
    return about


def verdict_text(outcome: ReplayOutcome, trace: Trace) -> Text:
    if outcome.status == "reproduced":
        return Text(f"reproduced: {outcome.detail}", style="bold red")
    if outcome.status == "passes":
        return Text(f"now passes: {outcome.detail}", style="bold green")
    text = Text(f"diverged at step {outcome.diverged_at}: {outcome.detail}", style="bold yellow")
    if outcome.wanted is not None:
        text.append(f"\n  wanted:  {outcome.wanted}")
        enabled = ", ".join(outcome.enabled) if outcome.enabled else "(none: no action is enabled)"
        text.append(f"\n  enabled: {enabled}")
    return text


def run(args: argparse.Namespace) -> int:
    try:
        # Path("") is the current directory; an empty --html was silently skipped.
        if args.trace == "":
            raise TraceError("TRACE must not be empty")
        if args.html == "":
            raise ConfigError("--html must not be empty")
        trace = load_trace(args.trace)
        html_path = Path(args.html) if args.html is not None else None
        if html_path is not None:
            check_output_file(html_path, "--html")
        model = build_model(trace.config)
        mismatch = trace_mismatch(model, trace)
        if mismatch is not None:
            raise TraceError(f"{args.trace}: {mismatch}")
    except (TraceError, ConfigError) as exc:
        sys.stderr.write(f"synod replay: {exc}\n")
        return 2

    outcome = replay_trace(model, trace)
    console = StdoutConsole()
    c = trace.config
    console.print(
        Text(
            f"trace {args.trace}: {c.model} (variant {c.variant}), "
            f"{trace.property_kind} property {trace.property_name!r} failed after {trace.step} steps "
            f"(recorded by synod {trace.synod_version})"
        ),
        soft_wrap=True,
    )
    # not a terminal: the diagram at its natural width (rich wrapped it at 80 columns)
    console.print(render_terminal(model, outcome, trace), soft_wrap=not console.is_terminal)
    console.print(verdict_text(outcome, trace), soft_wrap=True)
    if html_path is not None:
        write_text_atomic(html_path, render_html(model, outcome, trace, args.trace))
        console.print(f"wrote {html_path}")
    return outcome.exit_code
