"""The batch engine: isolation of failures and of dead workers, order, progress, Ctrl-C.

The item functions are module-level so that spawned pool processes and Dask workers can
import them. A "poison" item kills its worker with ``os._exit``, as a segfault would.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planner.analysis import batch
from planner.analysis.batch import (
    THREADS_ENV,
    WORKER_DIED,
    BatchEngine,
    BatchInterrupted,
    Outcome,
    Progress,
    ProgressReporter,
    connect,
    run_batch,
    solver_threads,
)
from planner.errors import InputError

RAISES = 3
"""The item whose function raises."""

EXITS = 7
"""The item whose function kills its worker process."""


def affine(context: dict[str, int], item: int) -> int:
    """``scale * item + shift``; raises on :data:`RAISES` when ``context["poison"]`` is 1 or
    more, and kills its process on :data:`EXITS` when it is 2."""
    poison = context.get("poison", 0)
    if poison >= 1 and item == RAISES:
        raise ValueError(f"item {item} is bad")
    if poison >= 2 and item == EXITS:
        os._exit(13)
    return context["scale"] * item + context["shift"]


def threads_seen(context: None, item: int) -> int | None:
    """What :func:`solver_threads` says inside the worker."""
    return solver_threads()


CONTEXT = {"scale": 3, "shift": 1}
RAISING = {**CONTEXT, "poison": 1}
"""Only the raising item is bad: for work in this process, which ``os._exit`` would end."""
POISON = {**CONTEXT, "poison": 2}


def expected(items: range) -> list[int]:
    return [3 * k + 1 for k in items]


def check_isolation(outcomes: tuple[Outcome[int], ...], items: range) -> None:
    """Every item has its outcome, in order; only the two bad ones failed, each its way."""
    assert [o.index for o in outcomes] == list(range(len(items)))
    for outcome, k in zip(outcomes, items, strict=True):
        if k == RAISES:
            assert outcome.error == f"ValueError: item {k} is bad"
        elif k == EXITS:
            assert outcome.error is not None and outcome.error.startswith(WORKER_DIED)
        else:
            assert outcome.ok and outcome.value == 3 * k + 1


# ----------------------------------------------------------------------------------------
# A local process pool


def test_results_are_in_item_order_and_equal_for_one_and_two_workers() -> None:
    items = range(200)
    one = run_batch(affine, items, CONTEXT, workers=1)
    two = run_batch(affine, items, CONTEXT, workers=2)
    assert one.values() == two.values() == expected(items)
    assert one.complete and two.complete


def test_chunking_does_not_change_the_results() -> None:
    items = range(50)
    with BatchEngine(affine, CONTEXT, workers=2) as engine:
        for size in (1, 7, 50):
            engine.chunk_size = size
            assert engine.map(items).values() == expected(items)


def test_a_raising_item_fails_alone_in_process() -> None:
    result = run_batch(affine, range(10), RAISING, workers=1)
    assert [o.index for o in result.failures] == [RAISES]
    assert result.failures[0].error == "ValueError: item 3 is bad"
    assert not result.complete
    with pytest.raises(ValueError, match="item 3: ValueError: item 3 is bad"):
        result.values()


def test_a_raising_item_and_a_dying_worker_fail_alone_in_a_process_pool() -> None:
    items = range(40)
    # chunks of 4 put the poison item among others, so the culprit must be found
    result = run_batch(affine, items, POISON, workers=2, chunk_size=4)
    check_isolation(result.outcomes, items)
    assert [o.index for o in result.failures] == [RAISES, EXITS]


def test_the_pool_is_recreated_and_used_again_after_a_worker_died() -> None:
    with BatchEngine(affine, POISON, workers=2) as engine:
        first = engine.map(range(10))
        check_isolation(first.outcomes, range(10))
        again = engine.map(range(20, 40))
    assert again.values() == expected(range(20, 40))


def test_a_worker_dying_while_work_is_handed_over_loses_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race CI once hit: the pool breaks between two hand-overs, so handing over the
    next chunk raises ``BrokenProcessPool`` at once. Here every hand-over after the poison
    item waits until the pool is broken, so the race happens on every run: the chunk that
    was being handed over is put back, the chunks in flight are re-run, and every item
    still gets its own outcome."""
    pools: list[concurrent.futures.ProcessPoolExecutor] = []
    submitted: list[list[int]] = []
    local_pool = BatchEngine._local_pool

    def watched(self: BatchEngine[Any, Any, Any]) -> Any:
        pool = local_pool(self)
        if not pools or pools[-1] is not pool:
            pools.append(pool)
            plain_submit = pool.submit

            def submit(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
                if pool is pools[0] and any(EXITS in items for items in submitted):
                    deadline = time.monotonic() + 30
                    while not pool._broken and time.monotonic() < deadline:  # type: ignore[attr-defined]
                        time.sleep(0.01)
                submitted.append(list(args[1]))
                return plain_submit(fn, *args, **kwargs)

            pool.submit = submit  # type: ignore[method-assign]
        return pool

    monkeypatch.setattr(BatchEngine, "_local_pool", watched)
    items = range(20)
    result = run_batch(affine, items, POISON, workers=2, chunk_size=1)
    check_isolation(result.outcomes, items)
    assert len(pools) >= 2, "the broken pool was replaced"


def test_workers_are_asked_for_one_solver_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert solver_threads() is None
    assert run_batch(threads_seen, range(4), None, workers=2).values() == [1, 1, 1, 1]
    monkeypatch.setenv(THREADS_ENV, "3")
    assert solver_threads() == 3


def test_any_executor_works_and_is_not_shut_down() -> None:
    with concurrent.futures.ThreadPoolExecutor(3) as executor:
        result = run_batch(affine, range(30), RAISING, executor=executor, chunk_size=4)
        assert [o.index for o in result.failures] == [RAISES]
        assert run_batch(affine, range(5), CONTEXT, executor=executor).values() == (
            expected(range(5))
        )


def test_out_of_range_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="workers must be at least 1"):
        BatchEngine(affine, CONTEXT, workers=0)
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        BatchEngine(affine, CONTEXT, chunk_size=0)


def test_an_empty_batch_is_complete() -> None:
    result = run_batch(affine, [], CONTEXT, workers=2)
    assert result.complete and result.outcomes == () and result.total == 0


# ----------------------------------------------------------------------------------------
# Progress and interruption


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_counts_every_item_and_every_failure(workers: int) -> None:
    seen: list[Progress] = []
    run_batch(affine, range(12), RAISING, workers=workers, progress=seen.append)
    last = seen[-1]
    assert (last.done, last.failed, last.total) == (12, 1, 12)
    assert last.remaining == 0
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert all(p.elapsed >= 0 for p in seen)


def test_on_result_sees_each_outcome_once() -> None:
    arrived: list[int] = []
    run_batch(affine, range(30), CONTEXT, workers=2, on_result=lambda o: arrived.append(o.index))
    assert sorted(arrived) == list(range(30))


class Interrupt:
    """An ``on_result`` that presses Ctrl-C after ``after`` outcomes."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.seen = 0

    def __call__(self, outcome: Outcome[Any]) -> None:
        self.seen += 1
        if self.seen == self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_keeps_what_finished(workers: int) -> None:
    with BatchEngine(affine, CONTEXT, workers=workers, chunk_size=2) as engine:
        with pytest.raises(BatchInterrupted) as caught:
            engine.map(range(100), on_result=Interrupt(after=5))
        partial = caught.value.result
        assert partial.interrupted and partial.total == 100
        assert len(partial.outcomes) == 5
        assert all(o.value == 3 * o.index + 1 for o in partial.outcomes)
        # the engine still works afterwards
        assert engine.map(range(4)).values() == expected(range(4))
    assert isinstance(caught.value, KeyboardInterrupt)


def test_leaving_the_iterator_early_cancels_the_rest() -> None:
    with BatchEngine(affine, CONTEXT, workers=2, chunk_size=1) as engine:
        outcomes = engine.as_completed(range(1000))
        first = next(outcomes)
        outcomes.close()
        assert first.ok
        assert engine.map(range(3)).values() == expected(range(3))


def test_the_reporter_prints_plain_lines_without_a_terminal() -> None:
    stream = io.StringIO()
    reporter = ProgressReporter("coalitions solved", stream=stream, interval=0)
    reporter(Progress(10, 1, 40, 5.0, 15.0))
    reporter(Progress(40, 1, 40, 20.0, 0.0))
    lines = stream.getvalue().splitlines()
    assert lines == [
        "coalitions solved: 10 of 40 (25%), 1 failed, 5 s, about 15 s left",
        "coalitions solved: 40 of 40 (100%), 1 failed, 20 s",
    ]


def test_the_reporter_throttles_plain_lines() -> None:
    stream = io.StringIO()
    reporter = ProgressReporter("items", stream=stream, interval=3600)
    for done in range(1, 10):
        reporter(Progress(done, 0, 10, float(done), 1.0))
    reporter(Progress(10, 0, 10, 10.0, 0.0))
    assert len(stream.getvalue().splitlines()) == 2  # the first, and the last


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_reporter_draws_a_bar_on_a_terminal() -> None:
    stream = Terminal()
    reporter = ProgressReporter("items", stream=stream, width=10)
    reporter(Progress(5, 0, 10, 65.0, 65.0))
    assert (
        stream.getvalue() == "\r[#####.....] items: 5 of 10 (50%), 1 min 5 s, about 1 min 5 s left"
    )
    reporter.close()
    assert stream.getvalue().endswith("\n")


# ----------------------------------------------------------------------------------------
# Dask


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[concurrent.futures.Executor]:
    distributed = pytest.importorskip("distributed", reason="Dask (distributed) not installed")
    dask = pytest.importorskip("dask")
    # a task that kills its worker is given up at once, not retried on three more workers
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client.get_executor()


def test_dask_gives_the_same_results(dask_executor: concurrent.futures.Executor) -> None:
    with BatchEngine(affine, CONTEXT, executor=dask_executor) as engine:
        assert engine.parallelism == 2
        assert engine.map(range(60)).values() == expected(range(60))
    assert run_batch(threads_seen, range(3), None, executor=dask_executor).values() == [1, 1, 1]


def test_under_dask_a_raising_item_and_a_killed_worker_fail_alone(
    dask_executor: concurrent.futures.Executor,
) -> None:
    items = range(12)
    result = run_batch(affine, items, POISON, executor=dask_executor, chunk_size=3)
    check_isolation(result.outcomes, items)
    assert "KilledWorker" in (result.outcomes[EXITS].error or "")


def test_connect_reads_a_scheduler_file(
    dask_executor: concurrent.futures.Executor, tmp_path: Path, monkeypatch: Any
) -> None:
    client: Any = dask_executor._client  # type: ignore[attr-defined]
    file = tmp_path / "scheduler.json"
    # what `dask scheduler --scheduler-file` writes, trimmed to what a client reads
    file.write_text(json.dumps({"type": "Scheduler", "address": client.scheduler.address}))
    opened, owned = connect(scheduler_file=file)
    try:
        assert owned is opened and opened.scheduler.address == client.scheduler.address
        assert run_batch(affine, range(5), CONTEXT, executor=opened.get_executor()).values() == (
            expected(range(5))
        )
    finally:
        owned.close()
    with pytest.raises(InputError, match="not both"):
        connect("tcp://localhost:8786", scheduler_file=file)
    monkeypatch.setattr(batch, "CONNECT_SECONDS", 0.2)
    with pytest.raises(InputError, match=r"scheduler file .*missing\.json: it does not exist"):
        connect(scheduler_file=tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"type": "Scheduler"}')
    with pytest.raises(InputError, match="names no scheduler address"):
        connect(scheduler_file=tmp_path / "other.json")
