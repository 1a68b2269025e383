"""Importing a user's module by name (``--model pkg.mod:Name``, ``--portfolio pkg.mod:NAME``).

The working directory goes on ``sys.path`` (a user runs Synod beside their package), and
a module that cannot be imported, or fails while importing, is the user's bad input: a
:class:`ConfigError` (one line, exit 2), never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from explorer.engine.errors import ConfigError

__all__ = ["import_user_module"]


def import_user_module(module_name: str, prefix: str = "", purpose: str = "") -> ModuleType:
    """Import ``module_name``; errors read ``{prefix}cannot import 'm'{purpose}: ...``."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{prefix}cannot import {module_name!r}{purpose}: {exc}") from None
    except Exception as exc:  # a user's module failing at import is their bad input
        raise ConfigError(
            f"{prefix}importing {module_name!r}{purpose} failed: {type(exc).__name__}: {exc}"
        ) from None
