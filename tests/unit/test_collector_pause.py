"""core.snapshot.collector_paused: the collector is off while any snapshot loads, and back to
what it was once the last one is done, however the loads of several threads overlap."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator

import pytest

from core.snapshot import collector_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_off_inside_back_on_after(collector_on: None) -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer load is still running
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on: None) -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_loads_in_threads_leave_it_on(collector_on: None) -> None:
    """Without the shared count, one thread could see the collector off (another's pause), keep
    it off when done, and leave it off for the life of the process."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to provoke the interleaving
    try:

        def load(times: int) -> None:
            for _ in range(times):
                with collector_paused():
                    [object() for _ in range(50)]

        for _ in range(5):
            threads = [threading.Thread(target=load, args=(2000,)) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert gc.isenabled()
    finally:
        sys.setswitchinterval(switch)
