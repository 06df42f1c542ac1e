"""The script runner: scenario steps released later, as other users acting on cue.

A loaded script is a sequence of steps. Each step waits for its trigger,
counted from the moment the step before it was released (the first: from
the load), then performs its action through the store's public methods,
under the room's rules, as that user's own request would:

- ``after_ms``: that many milliseconds on the server clock (after the time
  the previous step was due, when that one was timed too). Advancing a
  frozen clock releases every step it passes at once; with a running clock
  the runner task sleeps until the earliest deadline (no polling);
- ``after_sync``: that many ``/sync`` answers to that user (the sync handler
  calls :meth:`ScriptRunner.on_sync` after computing each answer);
- ``on_next``: an explicit :meth:`ScriptRunner.next` (``POST /_mock/script/next``),
  which also releases a step waiting on anything else.

Steps due through the clock or a sync are released synchronously, in the
call that made them due, so a test sees the result as soon as that call
returns. Scripts loaded by several fixtures run side by side. An action the
room's rules refuse is logged and recorded in :attr:`ScriptRunner.failures`,
and the script goes on. Everything runs on the server's event loop thread.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import anyio

from mockserver.core.clock import Clock
from mockserver.core.errors import MatrixError
from mockserver.core.store import Store
from mockserver.scenarios.plan import Action, Script, Step

log = logging.getLogger("mockserver.script")


def perform(store: Store, action: Action) -> None:
    """Do what ``action`` says, as its user; raises MatrixError when the rules refuse."""
    kind = action.kind
    room_id = action.room_id
    if kind == "presence":
        assert action.presence is not None
        store.set_presence(action.user_id, action.presence, status_msg=action.status_msg)
        return
    assert room_id is not None
    if kind in ("send", "state"):
        assert action.event_type is not None
        store.send_event(
            action.user_id,
            room_id,
            action.event_type,
            action.content,
            state_key=action.state_key if kind == "state" else None,
        )
    elif kind == "join":
        store.join(action.user_id, room_id)
    elif kind == "leave":
        store.set_membership(action.user_id, room_id, action.user_id, "leave", reason=action.reason)
    elif kind in ("invite", "kick", "ban"):
        assert action.target is not None
        membership = {"invite": "invite", "kick": "leave", "ban": "ban"}[kind]
        store.set_membership(
            action.user_id, room_id, action.target, membership, reason=action.reason
        )
    elif kind == "typing":
        store.set_typing(action.user_id, room_id, action.typing, action.timeout_ms)
    else:  # pragma: no cover - the checker admits no other kind
        raise AssertionError(kind)


@dataclass(frozen=True, slots=True)
class Release:
    """One released step, as reported by :meth:`ScriptRunner.next`."""

    source: str
    index: int
    step: Step
    #: Steps left before the script ends (None for a repeating script).
    remaining: int | None
    error: str | None = None


@dataclass(eq=False, slots=True)
class _Running:
    script: Script
    position: int = 0
    #: Clock time and sync counts when the previous step was released.
    since_ms: int = 0
    since_syncs: int = 0
    finished: bool = False

    @property
    def step(self) -> Step:
        return self.script.steps[self.position]

    def remaining(self) -> int | None:
        if self.script.repeat:
            return None
        return 0 if self.finished else len(self.script.steps) - self.position


@dataclass(slots=True)
class ScriptRunner:
    store: Store
    running: list[_Running] = field(default_factory=list)
    #: Steps whose action the rules refused: (step path in its source, the error).
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: Every ``/sync`` answered, per user.
    syncs: dict[str, int] = field(default_factory=dict)
    _changed: anyio.Event | None = None
    _task_running: bool = False

    def __post_init__(self) -> None:
        self.store.clock.on_change(self._on_clock)

    @property
    def clock(self) -> Clock:
        return self.store.clock

    # -- loading and clearing -----------------------------------------------------------

    def add(self, script: Script) -> None:
        """Start ``script``: its first step's trigger counts from now."""
        if not script.steps:
            return
        running = _Running(script)
        self._rebase(running)
        self.running.append(running)
        self._advance(running)
        self._wake()

    def clear(self) -> None:
        """Drop every script (a reset); sync counts start again from zero."""
        self.running.clear()
        self.failures.clear()
        self.syncs.clear()
        self._wake()

    def pending(self) -> int:
        return sum(1 for r in self.running if not r.finished)

    def upcoming(self) -> list[tuple[str, list[Step]]]:
        """Each unfinished script's source and its steps still to come, the next one first."""
        return [
            (r.script.source, list(r.script.steps[r.position :]))
            for r in self.running
            if not r.finished
        ]

    # -- triggers -------------------------------------------------------------------------

    def on_sync(self, user_id: str) -> None:
        """Called by the sync handler after answering ``user_id``."""
        self.syncs[user_id] = self.syncs.get(user_id, 0) + 1
        if not self.running:
            return
        for running in list(self.running):
            if not running.finished and running.step.trigger.user_id == user_id:
                self._advance(running)

    def next(self) -> Release | None:
        """Release the step the earliest-loaded unfinished script waits on, whatever its trigger."""
        for running in self.running:
            if not running.finished:
                release = self._release(running)
                self._advance(running)
                self._wake()
                return release
        return None

    def _on_clock(self) -> None:
        self.advance_all()
        self._wake()

    def advance_all(self) -> None:
        for running in list(self.running):
            self._advance(running)

    # -- releasing ------------------------------------------------------------------------

    def _due(self, running: _Running) -> bool:
        trigger = running.step.trigger
        if trigger.kind == "after_ms":
            return self.clock.now_ms() >= running.since_ms + trigger.amount
        if trigger.kind == "after_sync":
            assert trigger.user_id is not None
            return self.syncs.get(trigger.user_id, 0) >= running.since_syncs + trigger.amount
        return False

    def _advance(self, running: _Running) -> None:
        # A timed step counts its successor from when it was due, so one jump of the
        # clock releases every step it passes, as if time had run; a repeating script
        # plays one round at most, then waits again from now (a long jump cannot flood).
        released = 0
        rounds_end = len(running.script.steps)
        while not running.finished and self._due(running):
            trigger = running.step.trigger
            timed = trigger.kind == "after_ms"
            if timed and trigger.amount > 0 and released >= rounds_end:
                self._rebase(running)
                continue
            self._release(running, at_ms=running.since_ms + trigger.amount if timed else None)
            released += 1

    def _rebase(self, running: _Running, at_ms: int | None = None) -> None:
        running.since_ms = self.clock.now_ms() if at_ms is None else at_ms
        if not running.finished:
            user_id = running.step.trigger.user_id
            running.since_syncs = self.syncs.get(user_id, 0) if user_id is not None else 0

    def _release(self, running: _Running, at_ms: int | None = None) -> Release:
        index = running.position
        step = running.step
        error = None
        try:
            perform(self.store, step.action)
        except MatrixError as exc:
            error = f"{exc.errcode}: {exc.error}"
            self.failures.append((f"{running.script.source}: {step.path}", error))
            log.warning("script step %s of %s failed: %s", step.path, running.script.source, error)
        running.position += 1
        if running.position == len(running.script.steps):
            if running.script.repeat:
                running.position = 0
            else:
                running.finished = True
        self._rebase(running, at_ms)
        return Release(running.script.source, index, step, running.remaining(), error)

    # -- the task that waits for real time ------------------------------------------------

    def _next_deadline(self) -> int | None:
        deadlines = [
            r.since_ms + r.step.trigger.amount
            for r in self.running
            if not r.finished and r.step.trigger.kind == "after_ms"
        ]
        return min(deadlines) if deadlines else None

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def run(self) -> None:
        """Release timed steps as real time passes; run it on the server's loop (the lifespan).

        Returns at once if another task already runs it for this runner.
        """
        if self._task_running:
            return
        self._task_running = True
        try:
            while True:
                self._changed = anyio.Event()
                self.advance_all()
                deadline = self._next_deadline()
                wait = math.inf if deadline is None else self.clock.seconds_until(deadline)
                with anyio.move_on_after(wait):
                    await self._changed.wait()
        finally:
            self._changed = None
            self._task_running = False
