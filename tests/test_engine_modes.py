"""no_grad() and detect_anomaly() belong to one thread (or async task), as in PyTorch; the
reproducers of issue 10 item 3, bounded (threads joined with timeouts)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from microgradnet import AnomalyError, Value, detect_anomaly, engine, is_grad_enabled, no_grad


def run_threads(*targets: Callable[[], None], timeout: float = 60.0) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"


def test_no_grad_in_one_thread_leaves_another_threads_gradients_right() -> None:
    # issue 10: while one thread looped in no_grad, another got 15,399 of 20,000 x*x gradients wrong
    stop = threading.Event()
    wrong: list[int] = []

    def in_no_grad() -> None:
        while not stop.is_set():
            with no_grad():
                Value(1.0) * 2

    def gradients() -> None:
        try:
            for k in range(5_000):
                x = Value(k / 100)
                (x * x).backward()
                if x.grad != 2 * x.data:
                    wrong.append(k)
        finally:
            stop.set()

    run_threads(in_no_grad, gradients)
    assert wrong == []


def test_entering_and_leaving_no_grad_in_two_threads_restores_grad_mode() -> None:
    # issue 10: two threads entering/leaving no_grad 2,000 times left grad mode off for everyone
    seen_off_outside: list[bool] = []

    def toggle() -> None:
        for _ in range(2_000):
            with no_grad():
                assert not is_grad_enabled()
            seen_off_outside.append(not is_grad_enabled())

    for _ in range(5):
        run_threads(toggle, toggle)
    assert not any(seen_off_outside)
    assert is_grad_enabled() and (Value(2.0) * 3).op == "mul"
    assert engine._make is engine._make_fast and engine._modes_active == 0


def test_detect_anomaly_in_one_thread_does_not_reach_another() -> None:
    inside = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def anomalous() -> None:
        with detect_anomaly():
            inside.set()
            release.wait(10)
            try:
                Value(0.0).log()
            except AnomalyError as exc:
                results["a"] = exc

    def plain() -> None:
        inside.wait(10)
        try:
            results["b"] = Value(0.0).log().data  # outside the mode: -inf, no error
        finally:
            release.set()

    run_threads(anomalous, plain)
    assert isinstance(results["a"], AnomalyError) and results["b"] == float("-inf")


def test_modes_follow_async_tasks() -> None:
    async def in_no_grad(gate: asyncio.Event) -> bool:
        with no_grad():
            await gate.wait()
            return (Value(1.0) * 2).op == ""

    async def recording(gate: asyncio.Event) -> bool:
        try:
            return is_grad_enabled() and (Value(1.0) * 2).op == "mul"
        finally:
            gate.set()

    async def main() -> list[bool]:
        gate = asyncio.Event()
        return list(await asyncio.gather(in_no_grad(gate), recording(gate)))

    assert asyncio.run(main()) == [True, True]


def test_a_new_thread_starts_in_the_default_mode() -> None:
    seen: list[bool] = []
    with no_grad():
        run_threads(lambda: seen.append(is_grad_enabled()))
        assert not is_grad_enabled()
    assert seen == [True]


def test_the_fast_node_maker_is_restored_after_an_exception_in_a_mode() -> None:
    with pytest.raises(AnomalyError), detect_anomaly(), no_grad():
        Value(-1.0).sqrt()
    assert engine._make is engine._make_fast and is_grad_enabled()
