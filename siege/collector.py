"""Python's cyclic garbage collector around siege's large, long-lived objects.

A network's graph is hundreds of thousands of dicts that live as long as the process and form no
reference cycles, yet every full collection walks all of them. Two remedies, used where they pay:
:func:`collector_paused` while a burst of acyclic objects is made (a graph loaded, an analysis's
rows), and :func:`batch_command` for one command of the command line (a process that ends when the
command does).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
from collections.abc import Iterator

_batch = {"paused": False, "froze": False}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside the block (also as a decorator), switched back on after if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextlib.contextmanager
def batch_command() -> Iterator[None]:
    """One command of the command line: the collector stays off while modules are imported and the
    network and scenario are loaded (the objects made then live until the command ends), until
    :func:`loaded` freezes them out of every later collection and switches it back on for the model
    and the files. Restored as found after (the frozen objects are unfrozen)."""
    was_on = gc.isenabled()
    gc.disable()
    _batch.update(paused=True, froze=False)
    try:
        yield
    finally:
        if _batch["froze"]:
            gc.unfreeze()
        _batch.update(paused=False, froze=False)
        if was_on:
            gc.enable()


def loaded() -> None:
    """In a :func:`batch_command`, the long-lived objects are made: freeze them and resume collecting
    (what the model and outputs make is collected as usual). Does nothing outside one."""
    if _batch["paused"]:
        gc.freeze()
        _batch.update(paused=False, froze=True)
        gc.enable()


def skip_final_collection() -> None:
    """At the exit of a command-line process, the interpreter's last collection walks every object to
    find nothing worth finalising (a third of a second after a run of the blockade): freeze them
    first. Registered by the ``siege`` entry points only, never by the library."""
    atexit.register(gc.freeze)
