"""Helpers for the passes that build a whole blueprint or plan at once.

``paused_gc()``: a context in which the cyclic garbage collector does not run. Loading and
planning 10,000 resources allocate a few hundred thousand dicts, lists and tuples that all
stay alive (and hold no reference cycles); the collector would traverse them again and
again as they pile up, for nothing. Reference counting still frees everything as usual;
the collector's previous state is restored on exit.

``no_collection_for_this_command()``: for a command that builds its data and exits
(``dpn validate``, ``dpn plan --offline``). A pause alone only moves the work: the objects
made during it are all young, and the first collections after it traverse every one of
them (some 50 ms of a 10,000-resource plan, landing on whatever allocates next), then
the collection at interpreter exit does it again. Such a command makes no cycles worth
collecting in its short life, so the collector stays off, and everything alive at exit is
frozen out of the final collection. Only in the process ``dpn.cli.main`` runs: a program
that invokes the click commands itself (a test's ``CliRunner``) keeps its collector.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Run the body without cyclic garbage collection (nested uses are fine)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()

_COMMAND_PROCESS = False  # set by dpn.cli.main: this process runs one dpn command


def this_process_runs_one_command() -> None:
    global _COMMAND_PROCESS
    _COMMAND_PROCESS = True


def no_collection_for_this_command() -> None:
    """Turn the cyclic collector off for the rest of this process, if it is a command's."""
    if _COMMAND_PROCESS:
        gc.disable()
        atexit.register(gc.freeze)
