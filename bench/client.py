"""The benchmark's client: raw HTTP over aiohttp, the same code for mockserver and the floor.

Nothing here knows an SDK. :class:`Http` times nothing itself; callers take
``time.perf_counter()`` around the calls they measure. :class:`Account` is a
registered Matrix user with the handful of calls the scenarios need.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson

V3 = "/_matrix/client/v3"
BENCH_DIR = Path(__file__).resolve().parent
URL = re.compile(rb"http://[^\s)]+")

_txn = itertools.count()


class HttpError(RuntimeError):
    pass


class Http:
    """One keep-alive connection pool to one server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        timeout = aiohttp.ClientTimeout(total=60)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, json_serialize=lambda o: orjson.dumps(o).decode()
        )

    async def close(self) -> None:
        await self.session.close()

    async def raw(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        token: str | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(
            method, self.base_url + path, data=body, headers=headers, params=params
        ) as response:
            return response.status, await response.read()

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = None,
        params: dict[str, str] | None = None,
        expect: int = 200,
    ) -> Any:
        body = orjson.dumps(json) if json is not None else None
        status, data = await self.raw(method, path, body=body, token=token, params=params)
        if status != expect:
            raise HttpError(f"{method} {path}: {status} {data[:300]!r}")
        return orjson.loads(data) if data else None


@dataclass
class Account:
    http: Http
    user_id: str
    token: str

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.http.call(method, V3 + path, token=self.token, **kwargs)

    async def create_room(self, **body: Any) -> str:
        data = await self.call("POST", "/createRoom", json=body)
        return str(data["room_id"])

    async def join(self, room_id: str) -> None:
        await self.call("POST", f"/join/{room_id}", json={})

    def send_path(self, room_id: str) -> str:
        return f"{V3}/rooms/{room_id}/send/m.room.message/b{next(_txn)}"

    async def send(self, room_id: str, body: str = "hello") -> str:
        content = {"msgtype": "m.text", "body": body}
        data = await self.http.call("PUT", self.send_path(room_id), json=content, token=self.token)
        return data["event_id"]  # type: ignore[no-any-return]

    async def upload_filter(self, definition: dict[str, Any]) -> str:
        data = await self.call("POST", f"/user/{self.user_id}/filter", json=definition)
        return data["filter_id"]  # type: ignore[no-any-return]

    def sync_params(
        self, since: str | None = None, timeout: int = 0, filter_id: str | None = None
    ) -> dict[str, str]:
        params = {"timeout": str(timeout)}
        if since is not None:
            params["since"] = since
        if filter_id is not None:
            params["filter"] = filter_id
        return params

    async def sync(self, **kwargs: Any) -> dict[str, Any]:
        return await self.call("GET", "/sync", params=self.sync_params(**kwargs))  # type: ignore[no-any-return]


async def register(http: Http, username: str, password: str = "bench") -> Account:
    body = {"username": username, "password": password, "auth": {"type": "m.login.dummy"}}
    data = await http.call("POST", f"{V3}/register", json=body)
    return Account(http, data["user_id"], data["access_token"])


# -- server processes ------------------------------------------------------------------------


@dataclass
class ServerProcess:
    process: asyncio.subprocess.Process
    base_url: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float | None:
        """CPU time the server's thread has run so far (``/proc/<pid>/schedstat``: Linux,
        nanoseconds; uvicorn serves on one thread), or None where there is no such file."""
        try:
            return int(Path(f"/proc/{self.pid}/schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def rss_bytes(self) -> int:
        """Resident set size of the server process, from /proc (Linux)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS in /proc status")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()


def pin(pid: int, cpu: int | None) -> None:
    """Keep a process on one CPU (servers on one, the client on another), where possible."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(pid, {cpu})


async def spawn(argv: list[str], cpu: int | None) -> tuple[ServerProcess, float]:
    """Start a server, read the URL from its first line; return it and the start instant."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=None,
        cwd=BENCH_DIR.parent,
    )
    pin(process.pid, cpu)
    line = await asyncio.wait_for(process.stdout.readline(), 30)  # type: ignore[union-attr]
    match = URL.search(line)
    if match is None:
        if process.returncode is None:
            process.kill()
        await process.wait()
        raise RuntimeError(f"{argv}: no URL in first line {line!r}")
    # Drain the rest of the banner so the server never blocks on a full pipe.
    asyncio.get_running_loop().create_task(_drain(process.stdout))  # type: ignore[arg-type]
    return ServerProcess(process, match.group().decode()), started


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


def serve_argv(target: str) -> list[str]:
    return [sys.executable, str(BENCH_DIR / "serve.py"), target]
