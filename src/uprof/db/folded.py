"""A check that rides along with the next statement a thread sends to PostgreSQL, in its round trip.

On PostgreSQL every statement is a network round trip, which costs the server process a thread's
wait and wake-up whatever the statement: about a quarter of a retrieve's CPU (docs/architecture.md,
"A request's path"). A check whose answer is needed before anything the request does can be relied
on (is the presented API key still valid?) is queued here instead of run at once (`check_with_next`),
and the next statement the thread executes sends it first, in the same network write, with
psycopg's pipeline mode: check, statement, sync, then both results in one read (`FoldingCursor`).
The check's answer is judged before the statement's result is returned, so nothing the caller does
with that result, nor a COMMIT, happens unless the check passed. Where no statement follows (a
request refused by a header check, say), the step runs the check on its own at the end (`settle`).

Only the statements of an unnamed cursor's `execute` fold; any other way of talking to the server
(`executemany`, `copy`, `stream`) runs the pending check on its own first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import Pipeline
from psycopg.abc import PQGen
from psycopg.generators import send
from psycopg.pq import ExecStatus

T = TypeVar("T")
TUPLES_OK = ExecStatus.TUPLES_OK

# .check: the _Check queued on this thread, if any; .active: whether the thread runs a step (`in_step`).
_pending = threading.local()


@dataclass(frozen=True)
class _Check:
    sql: str
    parameters: dict[str, Any]
    judge: Callable[[tuple[Any, ...] | None], None]  # given the check's first row; raises to refuse
    run_alone: Callable[[], None]  # runs the check in its own round trip (and judges it)


def check_with_next(
    sql: str,
    parameters: dict[str, Any],
    judge: Callable[[tuple[Any, ...] | None], None],
    run_alone: Callable[[], None],
) -> None:
    """Queue a check (a query returning at most one row) to be sent with the thread's next statement.

    `judge(row)` receives the check's first row (None if it returned none) and raises to refuse: the
    statement's caller then sees that exception instead of the statement's result, as it would a
    failed statement (a write unit rolls back). `run_alone()` runs the check by itself, for `settle`.
    """
    _pending.check = _Check(sql, parameters, _remembering(judge), _remembering(run_alone))


def _remembering(call: Callable[..., None]) -> Callable[..., None]:
    """`call`, whose exception (a refusal) is also kept for the end of the step (`in_step`)."""

    def call_and_remember(*arguments: Any) -> None:
        try:
            call(*arguments)
        except KeyboardInterrupt:
            raise
        except BaseException as refusal:
            if getattr(_pending, "refusal", None) is None:
                _pending.refusal = refusal
            raise

    return call_and_remember


def in_step(work: Callable[[], T]) -> T:
    """Run `work`, a request's step, in which checks may be queued (`active`); one that no statement
    carried is run on its own at the end, whether `work` returned or raised (its refusal then wins).
    A refusal that `work` caught and went on from is raised again at the end."""
    _pending.check, _pending.active, _pending.refusal = None, True, None
    try:
        try:
            result = work()
        except BaseException:
            settle()
            raise
        settle()
        if _pending.refusal is not None:
            raise _pending.refusal
        return result
    finally:
        _pending.check, _pending.active, _pending.refusal = None, False, None


def active() -> bool:
    """Whether this thread runs a step (`in_step`), so that a check queued now is sure to be run."""
    return bool(getattr(_pending, "active", False))


def settle() -> None:
    """Run this thread's pending check now if no statement has carried it."""
    check = _take()
    if check is not None:
        check.run_alone()


def _take() -> _Check | None:
    check: _Check | None = getattr(_pending, "check", None)
    if check is not None:
        _pending.check = None
    return check


class FoldingCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, whose `execute` carries this thread's pending check (module docstring)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        check = _take() if getattr(_pending, "check", None) is not None else None
        if check is None:
            return super().execute(query, params, prepare=prepare, binary=binary)
        connection = self.connection
        checker = psycopg.Cursor(connection)
        if connection._pipeline is not None:  # uprof opens no pipeline itself: check first, then run
            checker.execute(check.sql, check.parameters)
            connection._pipeline.sync()
            check.judge(checker.fetchone())
            return super().execute(query, params, prepare=prepare, binary=binary)
        try:
            _fold(
                connection,
                checker,
                check,
                lambda: super(FoldingCursor, self).execute(query, params, prepare=prepare, binary=binary),
            )
        except BaseException:
            # The statement failed, and its caller may carry on (a unique violation, say): the check's
            # answer, read before the statement's, still counts, and its refusal wins; without an
            # answer (the connection failed) it stays pending.
            answered = checker.pgresult is not None and checker.pgresult.status == TUPLES_OK
            if not answered:
                _pending.check = check
            else:
                check.judge(checker.fetchone())
            raise
        check.judge(checker.fetchone())
        return self

    def executemany(self, query: Any, params_seq: Iterable[Any], *, returning: bool = False) -> None:
        settle()
        super().executemany(query, params_seq, returning=returning)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        settle()
        return super().copy(*args, **kwargs)

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        settle()
        return super().stream(*args, **kwargs)


class _HeldPipeline(Pipeline):
    """A pipeline whose statements only queue (psycopg's own sends each one as it is executed, a
    network write apiece) until `send_and_read` writes them all at once."""

    def _communicate_gen(self) -> PQGen[None]:
        return
        yield

    def send_and_read(self) -> PQGen[None]:
        self._enqueue_sync()
        while self.command_queue:
            self.command_queue.popleft()()  # libpq keeps them in its buffer in pipeline mode
        yield from send(self.pgconn)
        yield from self._fetch_gen(flush=False)


def _fold(
    connection: psycopg.Connection[Any], checker: psycopg.Cursor[Any], check: _Check, execute: Callable[[], Any]
) -> None:
    """Send the check, the statement (`execute`) and a sync in one network write and read every
    result: one round trip. (psycopg's `Connection.pipeline()` writes each statement as it comes and
    ends with a second sync, a round trip of its own; so the pipeline is entered and left here, with
    the pinned psycopg's own steps.)"""
    with connection.lock:
        connection._check_connection_ok()
        pipeline = _HeldPipeline(connection)
        connection.wait(pipeline._enter_gen())  # no I/O at this level
        connection._pipeline = pipeline
    error: BaseException | None = None
    try:
        checker.execute(check.sql, check.parameters)
        execute()
        with connection.lock:
            connection.wait(pipeline.send_and_read())
    except BaseException as raised:
        error = raised
        raise
    finally:
        with connection.lock:
            try:
                if error is not None:  # collect what is left, as psycopg's own exit does
                    connection.wait(Pipeline._communicate_gen(pipeline))
                    connection.wait(pipeline._exit_gen())
            except Exception:  # noqa: S110 (the error being raised is the one that matters)
                pass
            finally:
                pipeline._exit(error)
                connection._pipeline = None
