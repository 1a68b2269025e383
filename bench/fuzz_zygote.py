"""A zygote for bench/fuzz_cli.py --fork: import ``synod`` once, then fork a real child
process per input.

Each child is a process of its own (its own exit code, its own stdout and stderr on
files, its own signal handlers, its own working directory), running ``synod``'s
``main()`` as the console script does, minus the interpreter start-up and imports that
cost most of a short run's CPU. Reads one JSON job a line on stdin
(``{"argv": [...], "cwd": DIR, "out": FILE, "err": FILE, "hang_s": S}``) and answers one
JSON line on stdout (``{"code": N}`` or ``{"hang": true}``). Single-threaded, so fork is
safe. ``synod explore`` has serving stubbed out, as in the exec mode.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.explore.server import ExploreServer  # noqa: E402

cli_main = importlib.import_module("explorer.cli.main")  # the module (explorer.cli.main is also a function's name)

ExploreServer.serve_forever = lambda self, *a, **k: None  # type: ignore[method-assign]
for _module, _help in cli_main.SUBCOMMANDS.values():  # every subcommand's imports, paid once
    importlib.import_module(_module)


def _child(job: dict[str, object]) -> None:
    os.chdir(str(job["cwd"]))
    devnull = os.open(os.devnull, os.O_RDONLY)  # not the job pipe
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd, path in ((1, job["out"]), (2, job["err"])):
        target = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    signal.alarm(int(float(str(job["hang_s"]))))  # a hang dies of SIGALRM
    sys.argv = ["synod", *job["argv"]]  # type: ignore[misc]
    try:
        code = cli_main.main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # as the interpreter does: the message on stderr, exit 1
            sys.stderr.write(f"{exc.code}\n")
            code = 1
    except BaseException:  # as the interpreter prints it
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code & 0xFF)


def main() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(job)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
            answer: dict[str, object] = {"hang": True}
        elif os.WIFSIGNALED(status):
            answer = {"code": 128 + os.WTERMSIG(status)}
        else:
            answer = {"code": os.WEXITSTATUS(status)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
