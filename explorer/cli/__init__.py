"""The ``synod`` command line: one entry point (main.py), one module per subcommand
(check.py, replay.py, mutants.py; ``lin`` and ``prove`` live with their checkers), the
check report (report.py) and the live progress view (progress.py).

Kept light: ``synod`` imports a subcommand's module only when that subcommand runs.
"""

from explorer.cli.main import main

__all__ = ["main"]
