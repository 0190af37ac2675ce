"""Helpers for the passes that build a whole blueprint or plan at once.

``paused_gc()``: a context in which the cyclic garbage collector does not run. Loading and
planning 10,000 resources allocate a few hundred thousand dicts, lists and tuples that all
stay alive (and hold no reference cycles); the collector would traverse them again and
again as they pile up, for nothing. Reference counting still frees everything as usual;
the collector's previous state is restored on exit.
"""

from __future__ import annotations

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
