"""The batch engine: many independent evaluations of one function, isolated from each other.

Contract of this stage: :class:`BatchEngine` takes a picklable function ``function(context,
item)``, one shared ``context`` (a scenario, say) and a sequence of items, and returns a
:class:`BatchResult` holding one :class:`Outcome` per item, in item order: its value, or
why it failed. Nothing about an item's outcome depends on the number of workers, the
chunking or the executor; nothing raised by one item reaches another.

- **Where it runs.** In this process (``workers=1`` and no executor), on a local
  ``ProcessPoolExecutor`` started with the ``spawn`` method (forking a process that runs
  solver threads can deadlock), or on any ``concurrent.futures.Executor`` the caller
  passes, notably Dask's ``distributed.Client(...).get_executor()``. Items travel in chunks
  whose size adapts to how long an item takes (about :data:`CHUNK_SECONDS` of work each), so
  thousands of cheap items cost few round trips and a few slow ones still spread over every
  worker; at most two chunks per worker are in flight.
- **The context travels once per worker**: through the pool's initializer, or for Dask as
  the future of one task that returns it, passed to every chunk's task; Dask resolves it on
  each worker, copying it there once (a scattered value would be lost for good with the
  last worker holding it, a task's result is recomputed). Other executors get it with
  every chunk.
- **Failures.** An item whose function raises ``Exception`` fails with the exception's type
  and message. A worker that dies (``os._exit``, a segfault, SIGKILL) breaks a process pool
  for every chunk in flight: the engine starts a new pool and re-runs those chunks one at
  a time, then the items of the chunk that breaks it again one at a time, so only the item
  that kills its worker fails, with the reason ``worker died``; Dask's ``KilledWorker`` is
  recorded the same way.
- **Solver threads.** Every worker the engine starts (a pool process; a Dask worker, where
  each task sets it) has the environment variable :data:`THREADS_ENV` set to ``1``; the
  function asks :func:`solver_threads` and passes the answer to its solver, so two
  workers on two cores do not each start a thread per core.
- **Progress and interruption.** ``progress`` is called with a :class:`Progress` after
  every chunk; :class:`ProgressReporter` draws it. ``on_result`` (or iterating
  :meth:`BatchEngine.as_completed`) hands over each outcome as it arrives, so a caller can
  store it at once. Ctrl-C (``KeyboardInterrupt``) stops the batch: queued work is
  cancelled, the pool's processes are stopped, and :class:`BatchInterrupted` (a
  ``KeyboardInterrupt``) carries every outcome that had arrived.

This module imports only the standard library and :mod:`planner.errors`: it knows nothing of
solvers or scenarios.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import json
import math
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import IO, Any, NamedTuple, cast

from planner.errors import InputError

__all__ = [
    "CHUNK_SECONDS",
    "THREADS_ENV",
    "BatchEngine",
    "BatchInterrupted",
    "BatchResult",
    "Outcome",
    "Progress",
    "ProgressCallback",
    "ProgressReporter",
    "connect",
    "run_batch",
    "solver_threads",
]

THREADS_ENV = "PLANNER_SOLVER_THREADS"
"""Environment variable set to ``1`` in every worker the engine starts (see
:func:`solver_threads`)."""

CHUNK_SECONDS = 0.25
"""Work per chunk the adaptive chunking aims at: long enough that a round trip is a small
part of it, short enough that the last chunks balance across workers."""

WORKER_DIED = "worker died"
"""The start of the reason of an item whose worker process died while running it."""

_IN_FLIGHT_PER_WORKER = 2
"""Chunks submitted per worker at a time: one running, one queued behind it."""

_BALANCE = 2
"""A chunk holds at most the items left over ``_BALANCE`` times the workers."""


def solver_threads() -> int | None:
    """Threads a solver should use in this process: 1 inside a batch worker, else None.

    None means the solver's own default. Read from :data:`THREADS_ENV`, which the engine sets
    in each worker it starts; set it yourself to pin the thread count elsewhere.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


# ----------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class Outcome[R]:
    """What became of one item.

    Attributes:
        index: the item's position in the batch.
        value: what the function returned (None when it failed).
        error: why it failed (``"ValueError: ..."``, ``"worker died (...)"``), or None.
    """

    index: int
    value: R | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the function returned a value."""
        return self.error is None


@dataclass(frozen=True)
class BatchResult[R]:
    """The outcomes of a batch, in item order.

    Attributes:
        outcomes: one per finished item, sorted by index (every item unless interrupted).
        total: the number of items in the batch.
        seconds: wall-clock time of the batch.
        interrupted: True when Ctrl-C stopped the batch before every item finished.
    """

    outcomes: tuple[Outcome[R], ...]
    total: int
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        """True when every item finished and none failed."""
        return len(self.outcomes) == self.total and all(o.ok for o in self.outcomes)

    @property
    def failures(self) -> tuple[Outcome[R], ...]:
        """The outcomes that failed, in item order."""
        return tuple(o for o in self.outcomes if not o.ok)

    def values(self) -> list[R]:
        """Every item's value, in item order.

        Raises:
            ValueError: some item failed or did not finish; the message lists why.
        """
        if not self.complete:
            reasons = [f"item {o.index}: {o.error}" for o in self.failures[:5]]
            missing = self.total - len(self.outcomes)
            if missing:
                reasons.append(f"{missing} item(s) did not finish")
            raise ValueError(f"the batch is incomplete: {'; '.join(reasons)}")
        return [cast(R, o.value) for o in self.outcomes]


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch; :attr:`result` holds every outcome that had arrived."""

    def __init__(self, result: BatchResult[Any]) -> None:
        super().__init__(f"interrupted after {len(result.outcomes)} of {result.total} items")
        self.result = result


class Progress(NamedTuple):
    """Where a batch stands.

    Attributes:
        done: items finished, failed ones included.
        failed: items that failed.
        total: items in the batch.
        elapsed: seconds since the batch started.
        remaining: estimated seconds left (elapsed per finished item times the items left),
            None before the first item finishes.
    """

    done: int
    failed: int
    total: int
    elapsed: float
    remaining: float | None


ProgressCallback = Callable[[Progress], None]
"""Called with a :class:`Progress` after every chunk of a batch."""


# ----------------------------------------------------------------------------------------
# What the workers run

_Result = tuple[bool, Any]
"""``(True, value)`` or ``(False, reason)``: one item's outcome as a worker returns it."""

_worker_context: Any = None
"""The context of a pool process, set once by :func:`_start_worker`."""


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _evaluate(function: Callable[[Any, Any], Any], context: Any, items: Sequence[Any]) -> _Run:
    started = time.perf_counter()
    results: list[_Result] = []
    for item in items:
        try:
            results.append((True, function(context, item)))
        except Exception as exc:  # one item's failure is its own outcome
            results.append((False, _describe(exc)))
    return results, time.perf_counter() - started


_Run = tuple[list[_Result], float]
"""A chunk's outcomes and the seconds the worker spent on it."""


def _start_worker(context: Any) -> None:
    """The pool's initializer: keep the context, and ask solvers for one thread."""
    global _worker_context
    _worker_context = context
    os.environ[THREADS_ENV] = "1"


def _identity(context: Any) -> Any:
    """The Dask task whose result is the context (see :meth:`BatchEngine._shared_context`)."""
    return context


def _pool_task(function: Callable[[Any, Any], Any], items: Sequence[Any]) -> _Run:
    """A chunk on a pool process, with the context its initializer kept."""
    return _evaluate(function, _worker_context, items)


def _remote_task(
    function: Callable[[Any, Any], Any],
    context: Any,
    items: Sequence[Any],
    single_thread: bool,
    attempt: int,
) -> _Run:
    """A chunk on an executor's worker. ``attempt`` only makes a re-run a new Dask task
    (Dask would otherwise return a failed run's outcome for the same arguments)."""
    del attempt
    if single_thread:
        os.environ[THREADS_ENV] = "1"
    return _evaluate(function, context, items)


# ----------------------------------------------------------------------------------------
# The engine

_Chunk = list[tuple[int, Any]]
"""Items of one task, each with its index."""


class _WholeChunkFailed(Exception):
    """A chunk's task failed as a whole (not one of its items): its worker died, say."""


class BatchEngine[C, T, R]:
    """Evaluates ``function(context, item)`` for batches of items, each isolated.

    One engine keeps its local pool between batches (a process costs about a second to
    start), so a caller that evaluates many small batches, such as a search, pays for it
    once. Close it, or use it as a context manager.

    Args:
        function: a module-level function (it must pickle) of the context and one item.
        context: what every item shares; sent once to each worker.
        workers: processes of the local pool; 1 runs in this process. With an
            ``executor``, a hint of its parallelism when it cannot be read from it.
        executor: any ``concurrent.futures.Executor``, e.g. Dask's
            ``Client.get_executor()``; it is not shut down here.
        chunk_size: items per task; default adaptive (about :data:`CHUNK_SECONDS` each).

    Raises:
        ValueError: ``workers`` or ``chunk_size`` is below 1.
    """

    def __init__(
        self,
        function: Callable[[C, T], R],
        context: C,
        *,
        workers: int = 1,
        executor: concurrent.futures.Executor | None = None,
        chunk_size: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
        self.function = function
        self.context = context
        self.workers = workers
        self.chunk_size = chunk_size
        self._executor = executor
        self._client: Any = _dask_client(executor)
        self._shared: Any = None
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._attempt = 0
        self._item_seconds: float | None = None

    # -- public ---------------------------------------------------------------------------

    @property
    def parallelism(self) -> int:
        """How many items can run at once."""
        if self._client is not None:
            threads: dict[str, int] = self._client.nthreads()
            return max(1, sum(threads.values()))
        given = getattr(self._executor, "_max_workers", None)
        return given if isinstance(given, int) and given > 0 else self.workers

    def map(
        self,
        items: Sequence[T],
        *,
        progress: ProgressCallback | None = None,
        on_result: Callable[[Outcome[R]], None] | None = None,
    ) -> BatchResult[R]:
        """Evaluate every item; return their outcomes in item order.

        Args:
            items: the batch.
            progress: called with a :class:`Progress` after every chunk.
            on_result: called with each outcome as it arrives (in completion order).

        Raises:
            BatchInterrupted: Ctrl-C stopped the batch; it carries what had finished.
        """
        started = time.perf_counter()
        arrived: list[Outcome[R]] = []
        try:
            for outcome in self.as_completed(items, progress=progress):
                arrived.append(outcome)
                if on_result is not None:
                    on_result(outcome)
        except KeyboardInterrupt as exc:
            partial = _collect(arrived, len(items), started, interrupted=True)
            raise BatchInterrupted(partial) from exc
        return _collect(arrived, len(items), started, interrupted=False)

    def as_completed(
        self, items: Sequence[T], *, progress: ProgressCallback | None = None
    ) -> Generator[Outcome[R], None, None]:
        """Each item's outcome as soon as it is known (in completion order).

        Leaving the loop early cancels the work not yet started. On ``KeyboardInterrupt``
        queued work is cancelled and the local pool's processes are stopped before it
        propagates.
        """
        tracker = _Tracker(len(items), progress)
        work: _Chunk = list(enumerate(items))
        if not work:
            return
        runs = self._inline(work) if self._in_process else self._parallel(work)
        for outcome in runs:
            tracker.add(outcome)
            yield outcome
            tracker.report_if_due()
        tracker.report()

    def close(self) -> None:
        """Shut down the local pool, if one was started, and release the shared context."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._shared is not None:
            self._shared.release()
            self._shared = None

    def __enter__(self) -> BatchEngine[C, T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running --------------------------------------------------------------------------

    @property
    def _in_process(self) -> bool:
        return self._executor is None and self.workers == 1

    def _inline(self, work: _Chunk) -> Iterator[Outcome[R]]:
        for index, item in work:
            results, _ = _evaluate(self.function, self.context, [item])
            yield _outcome(index, results[0])

    def _parallel(self, work: _Chunk) -> Iterator[Outcome[R]]:
        queue = deque(work)
        in_flight: dict[concurrent.futures.Future[_Run], _Chunk] = {}
        window = _IN_FLIGHT_PER_WORKER * self.parallelism
        try:
            while queue or in_flight:
                while queue and len(in_flight) < window:
                    chunk = [queue.popleft() for _ in range(min(len(queue), self._size(queue)))]
                    try:
                        in_flight[self._submit(chunk)] = chunk
                    except BrokenProcessPool:
                        # a worker died while this chunk was being handed over: the chunk
                        # never ran, so it goes back; the chunks in flight fail below
                        queue.extendleft(reversed(chunk))
                        if not in_flight:
                            self._drop_pool()
                        break
                if not in_flight:
                    continue
                finished, _ = concurrent.futures.wait(
                    in_flight, return_when=concurrent.futures.FIRST_COMPLETED
                )
                suspects = yield from self._drain(finished, in_flight)
                if suspects:
                    # the broken pool fails every chunk in flight at once
                    concurrent.futures.wait(in_flight)
                    suspects += yield from self._drain(set(in_flight), in_flight)
                    self._drop_pool()
                    yield from self._isolate(suspects)
        except BaseException:
            self._abandon(in_flight)
            raise

    def _drain(
        self,
        finished: set[concurrent.futures.Future[_Run]],
        in_flight: dict[concurrent.futures.Future[_Run], _Chunk],
    ) -> Generator[Outcome[R], None, list[_Chunk]]:
        """The outcomes of finished chunks; returns the chunks a broken pool stopped."""
        suspects: list[_Chunk] = []
        for future in finished:
            chunk = in_flight.pop(future)
            try:
                yield from self._unpack(future, chunk)
            except _WholeChunkFailed as exc:
                if isinstance(exc.__cause__, BrokenProcessPool):
                    suspects.append(chunk)
                else:
                    yield from self._one_by_one(chunk)
        return suspects

    def _size(self, queue: deque[tuple[int, Any]]) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        if self._item_seconds is None:
            return 1
        balanced = math.ceil(len(queue) / (_BALANCE * self.parallelism))
        wanted = max(1, round(CHUNK_SECONDS / max(self._item_seconds, 1e-6)))
        return max(1, min(wanted, balanced))

    def _submit(self, chunk: _Chunk) -> concurrent.futures.Future[_Run]:
        items = [item for _, item in chunk]
        if self._executor is None:
            return self._local_pool().submit(_pool_task, self.function, items)
        self._attempt += 1
        return self._executor.submit(
            _remote_task,
            self.function,
            self._shared_context(),
            items,
            self._client is not None,
            self._attempt,
        )

    def _unpack(
        self, future: concurrent.futures.Future[_Run], chunk: _Chunk
    ) -> Iterator[Outcome[R]]:
        try:
            results, seconds = future.result()
        except Exception as exc:  # the task as a whole: a dead worker, an unpicklable item
            raise _WholeChunkFailed(_describe(exc)) from exc
        self._learn(seconds, len(chunk))
        for (index, _), result in zip(chunk, results, strict=True):
            yield _outcome(index, result)

    def _learn(self, seconds: float, items: int) -> None:
        per_item = seconds / max(items, 1)
        previous = self._item_seconds
        self._item_seconds = per_item if previous is None else 0.5 * (previous + per_item)

    def _isolate(self, suspects: list[_Chunk]) -> Iterator[Outcome[R]]:
        """Re-run chunks that were in flight when a worker died, one at a time, and the
        items of a chunk that kills its worker again one at a time too."""
        for chunk in suspects:
            try:
                yield from self._unpack(self._submit(chunk), chunk)
            except _WholeChunkFailed as exc:
                self._recover(exc)
                if len(chunk) == 1:
                    yield _task_failure(chunk[0][0], exc)
                else:
                    yield from self._one_by_one(chunk)

    def _one_by_one(self, chunk: _Chunk) -> Iterator[Outcome[R]]:
        for index, item in chunk:
            single = [(index, item)]
            try:
                yield from self._unpack(self._submit(single), single)
            except _WholeChunkFailed as exc:
                self._recover(exc)
                yield _task_failure(index, exc)

    def _recover(self, failure: _WholeChunkFailed) -> None:
        """Start a new pool next time if the failure broke this one."""
        if isinstance(failure.__cause__, BrokenProcessPool):
            self._drop_pool()

    # -- resources ------------------------------------------------------------------------

    def _local_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.context,),
            )
        return self._pool

    def _drop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _shared_context(self) -> Any:
        if self._client is None:
            return self.context
        if self._shared is None:
            # a task that returns the context rather than scattered data: the scheduler
            # recomputes a lost task result, but scattered data dies with the workers that
            # hold it, and a worker killed by an item may be the last one to have it
            self._shared = self._client.submit(_identity, self.context, pure=False)
        return self._shared

    def _abandon(self, in_flight: dict[concurrent.futures.Future[_Run], _Chunk]) -> None:
        """Cancel the work in flight; stop the local pool's processes, which may be busy."""
        for future in in_flight:
            future.cancel()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            processes = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join()


def _dask_client(executor: concurrent.futures.Executor | None) -> Any:
    """The Dask client behind a ``Client.get_executor()``, or None for other executors."""
    client = getattr(executor, "_client", None)
    return client if hasattr(client, "scatter") and hasattr(client, "nthreads") else None


def _task_failure(index: int, failure: _WholeChunkFailed) -> Outcome[Any]:
    """The outcome of an item whose task failed alone: its worker died, or it would not
    travel (pickle)."""
    cause = failure.__cause__
    died = isinstance(cause, BrokenProcessPool) or type(cause).__name__ == "KilledWorker"
    return Outcome(index, None, f"{WORKER_DIED} ({failure})" if died else str(failure))


def _outcome[R](index: int, result: _Result) -> Outcome[R]:
    ok, payload = result
    return Outcome(index, payload, None) if ok else Outcome(index, None, str(payload))


def _collect[R](
    arrived: list[Outcome[R]], total: int, started: float, *, interrupted: bool
) -> BatchResult[R]:
    return BatchResult(
        outcomes=tuple(sorted(arrived, key=lambda o: o.index)),
        total=total,
        seconds=time.perf_counter() - started,
        interrupted=interrupted,
    )


class _Tracker:
    """Counts a batch's outcomes and calls its progress callback."""

    def __init__(self, total: int, progress: ProgressCallback | None) -> None:
        self.total = total
        self.progress = progress
        self.started = time.perf_counter()
        self.done = 0
        self.failed = 0
        self._reported = 0.0

    def add(self, outcome: Outcome[Any]) -> None:
        self.done += 1
        self.failed += not outcome.ok

    def report_if_due(self) -> None:
        """Report at most every 50 ms (a chunk's outcomes arrive together)."""
        if time.perf_counter() - self._reported >= 0.05 or self.done == self.total:
            self.report()

    def report(self) -> None:
        if self.progress is None:
            return
        self._reported = time.perf_counter()
        elapsed = self._reported - self.started
        left = self.total - self.done
        remaining = elapsed / self.done * left if self.done else None
        self.progress(Progress(self.done, self.failed, self.total, elapsed, remaining))


def run_batch[C, T, R](
    function: Callable[[C, T], R],
    items: Sequence[T],
    context: C,
    *,
    workers: int = 1,
    executor: concurrent.futures.Executor | None = None,
    chunk_size: int | None = None,
    progress: ProgressCallback | None = None,
    on_result: Callable[[Outcome[R]], None] | None = None,
) -> BatchResult[R]:
    """One batch on a :class:`BatchEngine` opened and closed for it (see there).

    Raises:
        BatchInterrupted: Ctrl-C stopped the batch; it carries what had finished.
    """
    with BatchEngine(
        function, context, workers=workers, executor=executor, chunk_size=chunk_size
    ) as engine:
        return engine.map(items, progress=progress, on_result=on_result)


# ----------------------------------------------------------------------------------------
# Showing progress


class ProgressReporter:
    """A progress callback that draws a bar on a terminal, or prints a line now and then.

    On a terminal the line is redrawn in place (at most ten times a second); otherwise
    (a log file, CI) a plain line is printed every ``interval`` seconds and when the batch
    ends, so a long run is never silent.

    Args:
        label: what is counted, e.g. ``"coalitions solved"``.
        stream: where to write; default standard error.
        interval: seconds between plain lines when ``stream`` is not a terminal.
        width: characters of the bar.
    """

    def __init__(
        self,
        label: str = "done",
        *,
        stream: IO[str] | None = None,
        interval: float = 5.0,
        width: int = 30,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.width = width
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = -math.inf
        self._open = False

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        final = progress.done >= progress.total
        due = self._last + (0.1 if self.terminal else self.interval)
        if not final and now < due:
            return
        self._last = now
        if self.terminal:
            self.stream.write("\r" + self.bar(progress))
            self._open = not final
            if final:
                self.stream.write("\n")
        else:
            self.stream.write(self.line(progress) + "\n")
        self.stream.flush()

    def line(self, progress: Progress) -> str:
        """``coalitions solved: 120 of 500 (24%), 2 failed, 31 s, about 1 min 38 s left``."""
        share = progress.done / progress.total if progress.total else 1.0
        parts = [f"{self.label}: {progress.done:,} of {progress.total:,} ({share:.0%})"]
        if progress.failed:
            parts.append(f"{progress.failed:,} failed")
        parts.append(_duration(progress.elapsed))
        if progress.remaining is not None and progress.done < progress.total:
            parts.append(f"about {_duration(progress.remaining)} left")
        return ", ".join(parts)

    def bar(self, progress: Progress) -> str:
        """The terminal form: ``[#########.........] `` then :meth:`line`."""
        share = progress.done / progress.total if progress.total else 1.0
        filled = round(self.width * share)
        return f"[{'#' * filled}{'.' * (self.width - filled)}] {self.line(progress)}"

    def close(self) -> None:
        """End a bar left open (an interrupted batch)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def connect(
    scheduler: Any = None, *, scheduler_file: str | os.PathLike[str] | None = None
) -> tuple[Any, Any]:
    """The executor a ``--scheduler`` or ``--scheduler-file`` option names, and the Dask
    client to close afterwards: the one way in to Dask for every command that solves many
    runs (share, stress, sweep).

    Args:
        scheduler: None (a local pool), a Dask scheduler's address (``tcp://host:8786``),
            or an object with ``submit`` (an Executor or a ``distributed.Client``), used as
            it is.
        scheduler_file: a Dask scheduler file (as ``dask scheduler --scheduler-file``
            writes, and HPC job scripts share) instead of an address.

    Returns:
        ``(executor_or_client, owned)``: ``owned`` is the client opened here (close it when
        done), or None when nothing was opened.

    Raises:
        InputError: both an address and a file are given, or Dask is not installed or
            cannot connect.
    """
    if scheduler is not None and scheduler_file is not None:
        raise InputError("give a scheduler address or a scheduler file, not both")
    if scheduler_file is None and (scheduler is None or not isinstance(scheduler, str)):
        return scheduler, None
    try:
        # imported by name: Dask is an optional extra, untyped, and absent from most installs
        distributed = importlib.import_module("distributed")
    except ImportError as exc:
        raise InputError(
            "a Dask scheduler was given, but Dask is not installed; install it with "
            "`pip install 'coalition-planner[dask]'` or drop --scheduler/--scheduler-file"
        ) from exc
    address = scheduler if scheduler_file is None else _address_in(os.fspath(scheduler_file))
    try:
        client = distributed.Client(address, timeout=f"{CONNECT_SECONDS:g}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot connect to the Dask scheduler at {address}: {exc}") from exc
    return client, client


CONNECT_SECONDS = 10.0
"""How long :func:`connect` waits for a scheduler (and for its scheduler file to appear)."""


def _address_in(path: str) -> str:
    """The scheduler address a scheduler file holds, waiting up to :data:`CONNECT_SECONDS`
    for the file to appear (a job script may start the scheduler alongside). Dask's own
    ``Client(scheduler_file=...)`` would wait forever for a mistyped path."""
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            with open(path, encoding="utf-8") as file:
                address = json.load(file)["address"]
            if isinstance(address, str) and address:
                return address
            problem = "it names no scheduler address"
        except FileNotFoundError:
            problem = f"it does not exist (waited {CONNECT_SECONDS:g} s)"
        except (ValueError, KeyError, TypeError):  # not yet flushed, or not a scheduler file
            problem = "it names no scheduler address"
        except OSError as exc:
            raise InputError(f"cannot read the Dask scheduler file {path}: {exc}") from exc
        if time.monotonic() >= deadline:
            raise InputError(
                f"cannot use the Dask scheduler file {path}: {problem}; start the scheduler "
                f"with `dask scheduler --scheduler-file {path}`, or correct the path"
            )
        time.sleep(0.1)
