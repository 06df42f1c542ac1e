"""Everything a request handler may use, passed explicitly: config, store, notifier, script.

Next to the domain state it holds the harness's own state: the request
journal, the fault rules and the expectations, which the traffic middleware
and the control API use.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.config import ServerConfig
from mockserver.core.clock import Clock
from mockserver.core.store import Store
from mockserver.notifier import Notifier
from mockserver.traffic.expectations import Expectations
from mockserver.traffic.faults import Faults
from mockserver.traffic.journal import Journal
from mockserver.watch import Watch
from mockserver.scenarios import Scenario, check_scenario, read_file, replay
from mockserver.script import ScriptRunner


@dataclass
class Homeserver:
    config: ServerConfig
    store: Store
    notifier: Notifier
    script: ScriptRunner
    #: The port actually bound (differs from config.port when that is 0).
    bound_port: int | None = None
    journal: Journal = field(default_factory=Journal)
    faults: Faults = field(default_factory=Faults)
    expectations: Expectations = field(default_factory=Expectations)
    #: Scenario documents applied since the world was last emptied: (document, source).
    fixtures: list[tuple[Any, str]] = field(default_factory=list)
    #: Moves on any change of the world, the journal, parked long-polls, clock or faults.
    watch: Watch = field(default_factory=Watch)

    def __post_init__(self) -> None:
        bump = self.watch.bump
        self.store.add_listener(bump)
        self.store.clock.on_change(bump)
        self.notifier.on_parked = bump
        self.journal.on_change = bump
        self.faults.on_change = bump

    @property
    def clock(self) -> Clock:
        return self.store.clock

    @classmethod
    def create(cls, config: ServerConfig, store: Store | None = None) -> Homeserver:
        store = store or Store(config.server_name, seed=config.seed)
        notifier = Notifier(store.clock, store)
        store.add_listener(notifier.on_change)
        return cls(config=config, store=store, notifier=notifier, script=ScriptRunner(store))

    def base_url(self) -> str:
        return self.config.base_url(self.bound_port)

    # -- scenarios ---------------------------------------------------------------------------

    def load_fixture(self, document: Any, source: str) -> Scenario:
        """Check and load a scenario, start its script, and remember it for :meth:`reset`.

        Raises :class:`~mockserver.scenarios.ScenarioError` (and changes nothing)
        when the document is refused.
        """
        plan = check_scenario(self.store, document, source=source)
        # Copied once checked: a refused document may be too deep to copy.
        kept = copy.deepcopy(document)
        scenario = replay(self.store, plan)
        self.fixtures.append((kept, source))
        if scenario.script is not None:
            self.script.add(scenario.script)
        return scenario

    def load_fixture_file(self, path: str | Path) -> Scenario:
        return self.load_fixture(read_file(path), str(path))

    def reset(self, reload_fixtures: bool = False) -> list[Scenario]:
        """An empty world at stream position zero, or (``reload_fixtures``) the fixtures again.

        Ids are reseeded, so a reloaded world is byte-for-byte the one first
        loaded (timestamps aside when the clock moved). Scripts restart.
        """
        fixtures = self.fixtures if reload_fixtures else []
        self.fixtures = []
        self.script.clear()
        self.store.reset()
        self.store.rename_server(self.config.server_name)
        return [self.load_fixture(document, source) for document, source in fixtures]

    def synced(self, user_id: str) -> None:
        """The sync handler's hook, called after each answer to ``user_id``."""
        self.script.on_sync(user_id)
