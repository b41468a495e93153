"""The STT's one worker thread, with final decodes ahead of interim ones.

Whisper decodes one turn at a time on one thread (two decoders would fight over the cores). With
incremental sessions (gateway/providers/stt/incremental.py) that thread also re-decodes turns still
in progress; a caller who has stopped speaking must not wait behind another caller's interim text,
so a final decode is queued ahead of every interim one. A decode already running is never
interrupted (CTranslate2 cannot be), so a final waits at most for one decode.

It is an `Executor`, so `loop.run_in_executor(worker, ...)` queues a final decode as before.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

FINAL = 0  # a turn has ended: the caller is waiting for this text
INTERIM = 1  # a turn in progress: text that is nice to have early


@dataclass(order=True)
class _Job:
    priority: int
    seq: int  # first come, first served within a priority
    future: Future[Any] = field(compare=False)
    run: Callable[[], Any] = field(compare=False)


class DecodeWorker(Executor):
    def __init__(self, name: str = "stt") -> None:
        self._name = name
        self._queue: list[_Job] = []
        self._seq = itertools.count()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None  # started on the first job, like ThreadPoolExecutor
        self._closed = False
        self._running = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self.submit_at(FINAL, fn, *args, **kwargs)

    def submit_at(self, priority: int, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("the STT worker is shut down")
            heapq.heappush(self._queue, _Job(priority, next(self._seq), future, lambda: fn(*args, **kwargs)))
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._thread.start()
            self._ready.notify()
        return future

    @property
    def queued(self) -> int:
        """Jobs waiting (not the one running)."""
        with self._ready:
            return len(self._queue)

    @property
    def idle(self) -> bool:
        """Nothing running and nothing waiting."""
        with self._ready:
            return not self._queue and not self._running

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._ready:
            self._closed = True
            if cancel_futures:
                for job in self._queue:
                    job.future.cancel()
                self._queue.clear()
            self._ready.notify()
            thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return  # shut down and nothing left to run
                job = heapq.heappop(self._queue)
                if not job.future.set_running_or_notify_cancel():
                    continue  # cancelled while queued: superseded, or its call ended
                self._running = True
            failed: BaseException | None = None
            try:
                result = job.run()
            except BaseException as exc:  # handed to whoever waits for it, as an Executor does
                failed = exc
            with self._ready:
                self._running = False  # before the future's callbacks, which may look at `idle`
            if failed is not None:
                job.future.set_exception(failed)
            else:
                job.future.set_result(result)
