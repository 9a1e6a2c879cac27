"""The collector helpers a review runs under leave the interpreter as they found it."""

from __future__ import annotations

import gc
import weakref

import pytest

from coderev.analysis.collector import YOUNG_THRESHOLD, collector_paused, long_lived_settled


def test_paused_collector_is_back_on_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def _walked(obj: object) -> bool:
    """Whether the collector's walks (any generation but the frozen one) reach `obj`."""
    return any(o is obj for o in gc.get_objects())


def test_settled_freezes_what_exists_and_collects_young_objects_less_often() -> None:
    before = gc.get_threshold()
    held = [[] for _ in range(100)]  # containers made before the review: not walked in it
    with long_lived_settled():
        made = [[]]  # made during the review: walked as usual
        assert not _walked(held) and _walked(made)
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
        assert gc.get_threshold()[1:] == before[1:]
    assert _walked(held)  # walked again afterwards
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_settled_still_collects_cycles_made_inside() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    with long_lived_settled():
        ref = weakref.ref(Node())
        gc.collect()
        assert ref() is None  # a cycle made during the review is still collected


def test_settled_restores_the_interpreter_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(ValueError), long_lived_settled():
        raise ValueError("step failed")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
