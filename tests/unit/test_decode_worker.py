"""The STT's worker thread: an Executor that runs final decodes before interim ones."""

from __future__ import annotations

import asyncio
import threading

import pytest

from gateway.providers.stt.decode_worker import INTERIM, DecodeWorker

HELD = 10.0  # a bound on waits for the worker, never a pause


async def test_it_serves_run_in_executor_one_job_at_a_time_in_order_of_priority() -> None:
    worker = DecodeWorker("test-stt")
    gate, started = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        started.set()
        gate.wait(HELD)
        order.append("running")

    loop = asyncio.get_running_loop()
    running = loop.run_in_executor(worker, first)
    assert await asyncio.to_thread(started.wait, HELD)
    interims = [worker.submit_at(INTERIM, order.append, f"interim {n}") for n in range(2)]
    final = loop.run_in_executor(worker, order.append, "final")
    assert worker.queued == 3 and not worker.idle
    gate.set()
    await asyncio.gather(running, final, *(asyncio.wrap_future(f) for f in interims))
    assert order == ["running", "final", "interim 0", "interim 1"]
    assert worker.idle  # already when the last future is done: a done-callback may start the next decode
    worker.shutdown()


async def test_a_failed_job_fails_its_future_and_the_worker_goes_on() -> None:
    worker = DecodeWorker("test-stt")

    def broken() -> None:
        raise ValueError("bad audio")

    with pytest.raises(ValueError, match="bad audio"):
        await asyncio.wrap_future(worker.submit(broken))
    assert await asyncio.wrap_future(worker.submit(len, "four")) == 4
    worker.shutdown()


def test_shutting_down_cancels_what_is_queued_and_refuses_more() -> None:
    worker = DecodeWorker("test-stt")
    gate, started = threading.Event(), threading.Event()

    def busy() -> None:
        started.set()
        gate.wait(HELD)

    running = worker.submit(busy)
    assert started.wait(HELD)
    queued = worker.submit_at(INTERIM, len, "x")
    worker.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    gate.set()
    worker.shutdown(wait=True)  # the running job still finishes
    assert running.done() and not running.cancelled()
    with pytest.raises(RuntimeError):
        worker.submit(len, "x")
