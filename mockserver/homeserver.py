"""Everything a request handler may use, passed explicitly: config, store, notifier.

Next to the domain state it holds the harness's own state: the request
journal and the fault rules, which the traffic middleware and the control
API use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockserver.config import ServerConfig
from mockserver.core.clock import Clock
from mockserver.core.store import Store
from mockserver.notifier import Notifier
from mockserver.traffic.faults import Faults
from mockserver.traffic.journal import Journal


@dataclass
class Homeserver:
    config: ServerConfig
    store: Store
    notifier: Notifier
    #: The port actually bound (differs from config.port when that is 0).
    bound_port: int | None = None
    journal: Journal = field(default_factory=Journal)
    faults: Faults = field(default_factory=Faults)
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def clock(self) -> Clock:
        return self.store.clock

    @classmethod
    def create(cls, config: ServerConfig, store: Store | None = None) -> Homeserver:
        store = store or Store(config.server_name, seed=config.seed)
        notifier = Notifier(store.clock)
        store.add_listener(notifier.on_change)
        return cls(config=config, store=store, notifier=notifier)

    def base_url(self) -> str:
        return self.config.base_url(self.bound_port)
