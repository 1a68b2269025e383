"""Running generated mutants: each in a separate process, on a copy of the package.

For each :class:`~explorer.mutants.mutate.Mutant` the runner copies the target package
into a fresh temporary directory, writes the mutated module there, and starts
``python -m explorer.cli.mutate_worker`` with that directory as its working directory and
first on ``PYTHONPATH``: the project's own files are never touched, and the mutant is
loaded from source in that process only. A process that outlives the per-mutant budget
is killed (with its process group) and the mutant counted as timed out. So is one that
outgrows the per-mutant memory budget (the worker caps its own address space with ``RLIMIT_AS``
as it starts; a pre-exec hook is unsafe beside the runner's threads):
a mutant can make a step build ever larger states, and one such process once held
17.6 GB of a shared machine's memory before the wall budget ran out.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from explorer.mutants.mutate import Mutant, package_dir

__all__ = ["STATUSES", "MutantResult", "MutationJob", "baseline", "run_mutant", "run_mutants", "score"]

STATUSES = ("killed", "survived", "timed out", "broken")


@dataclass(frozen=True)
class MutationJob:
    """What every mutant is checked against, and how."""

    target: str = "paxos_core"
    portfolio: str | None = None  # --portfolio spec; None: the default portfolio
    model: str | None = None  # a user's model, checked alone at synod check's defaults
    variant: str | None = None
    world: str | None = None  # one world of the portfolio only
    budget_s: float = 300.0  # wall seconds per mutant
    memory_mb: int | None = 4096  # address space per mutant's process; None: no cap
    traces: str | None = None  # where killed mutants' traces go
    #: reduce each world where that keeps its guarantee (explorer/engine/por_policy.py);
    #: None: synod check's default, read in the mutant's process
    por: bool | None = None
    # sometimes properties the unmutated protocol witnesses, per world (see baseline())
    witnessed: dict[str, list[str]] | None = None


@dataclass
class MutantResult:
    mutant: Mutant
    status: str  # one of STATUSES
    wall_s: float
    cpu_s: float | None = None
    world: str | None = None
    property: str | None = None
    depth: int | None = None
    trace: str | None = None
    error: str | None = None
    diff: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in ("mutant", "extra")}
        m = self.mutant
        data.update(id=m.id, module=m.module, line=m.line, operator=m.operator, description=m.description)
        return data


def _prepare(job: MutationJob, mutant: Mutant, source: str, root: Path) -> Path:
    """A temporary directory holding a copy of the package with ``mutant`` applied."""
    work = Path(tempfile.mkdtemp(prefix="synod-mutant-"))
    copy = work / job.target
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (copy / mutant.module).write_text(mutant.apply(source), encoding="utf-8")
    return work


def _out_of_memory(out: str, err: str) -> bool:
    """Whether the worker ran out of its address space (a MemoryError it reported, or
    one raised where it could not report it)."""
    return "MemoryError" in out or "MemoryError" in err or "Cannot allocate memory" in err


def run_mutant(job: MutationJob, mutant: Mutant, source: str, root: Path | None = None) -> MutantResult:
    """Check one mutant in a separate process (see the module docstring)."""
    root = root or package_dir(job.target)
    work = _prepare(job, mutant, source, root)
    env = dict(os.environ)
    # the mutated copy first; then the caller's directory (a user's model package) and path
    env["PYTHONPATH"] = os.pathsep.join([str(work), os.getcwd(), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    request = asdict(job)
    if job.traces:
        request["traces"] = str(Path(job.traces).absolute() / mutant.id.replace(":", "-"))
    start = time.monotonic()
    diff = mutant.diff(source)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "explorer.cli.mutate_worker"], cwd=work, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True
        )
        try:
            out, err = proc.communicate(json.dumps(request), timeout=job.budget_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return MutantResult(mutant, "timed out", time.monotonic() - start, diff=diff)
        except BaseException:  # Ctrl-C: the process runs in its own session, end it too
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - start
    if job.memory_mb is not None and _out_of_memory(out, err):
        return MutantResult(mutant, "timed out", wall, error=f"over its memory budget ({job.memory_mb} MB)", diff=diff)
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        last = (err.strip().splitlines() or ["no output"])[-1]
        return MutantResult(mutant, "broken", wall, error=f"the check process failed: {last}", diff=diff)
    return MutantResult(
        mutant, data["status"], wall, cpu_s=data.get("cpu_s"), world=data.get("world"),
        property=data.get("property"), depth=data.get("depth"), trace=data.get("trace"),
        error=data.get("error"), diff=diff, extra={"witnessed": data.get("witnessed")},
    )


def baseline(job: MutationJob, sources: dict[str, str]) -> MutantResult:
    """The unmutated package checked the same way (an empty edit): it must survive, and
    what it witnesses becomes ``job.witnessed``."""
    module = sorted(sources)[0]
    identity = Mutant(module, 0, "none", "the unmutated protocol", 0, 0, "")
    return run_mutant(job, identity, sources[module])


def run_mutants(
    job: MutationJob,
    mutants: Sequence[Mutant],
    sources: dict[str, str],
    workers: int = 1,
    on_result: Callable[[MutantResult], None] | None = None,
) -> list[MutantResult]:
    """Check every mutant (``workers`` at a time), results in the order of ``mutants``."""
    root = package_dir(job.target)

    def one(mutant: Mutant) -> MutantResult:
        result = run_mutant(job, mutant, sources[mutant.module], root)
        if on_result is not None:
            on_result(result)
        return result

    if workers <= 1:
        return [one(m) for m in mutants]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, mutants))


def score(results: Sequence[MutantResult]) -> dict[str, Any]:
    """Counts per status and the mutation score: killed / (killed + survived + timed out);
    broken mutants (the code raises) are no verdict and are left out of the score."""
    counts = {status: sum(1 for r in results if r.status == status) for status in STATUSES}
    judged = counts["killed"] + counts["survived"] + counts["timed out"]
    walls = [r.wall_s for r in results]
    return {
        "mutants": len(results),
        **{k.replace(" ", "_"): v for k, v in counts.items()},
        "score": round(counts["killed"] / judged, 4) if judged else None,
        "seconds_per_mutant": round(sum(walls) / len(walls), 2) if walls else None,
    }
