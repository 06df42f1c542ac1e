"""A small shell for the docs' ``sh`` blocks: exactly the forms the pages use, nothing more.

CI has only python3, so the blocks are not handed to bash. Understood:

- ``NAME=value`` and ``NAME=$(curl ... | jq -r PATH)`` (``HS=...`` is ignored: ``$HS``
  is the address of the server the page runs against);
- ``curl`` with ``-s -i -X -H -d/--data (@file) --data-binary (@file, as bytes) -G
  --data-urlencode`` and ``> file``; ``${NAME#prefix}`` drops a prefix;
  every URL starts with ``$HS`` (a page never hard-codes the address);
- ``mockserver check ...``, run as the command runs;
- ``mockserver ...`` / ``python -m mockserver ...``: the options are parsed and the
  scenarios loaded as the command would, without serving;
- ``make TARGET [NAME=value]...``: the target must exist in the Makefile, and for
  ``make run`` the ``FIXTURES`` must load.

A trailing ``# -> STATUS [ERRCODE]`` names a curl call's expected answer (2xx when
absent); ``# -> exit N`` a command's exit status (0 when absent). Anything else fails.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mockserver import cli
from mockserver.homeserver import Homeserver
from mockserver.scenarios import ScenarioError
from tests.docs.blocks import ROOT

EXPECT_STATUS = re.compile(r"#\s*->\s*(\d{3})(?:\s+(M_[A-Z_]+))?")
EXPECT_EXIT = re.compile(r"#\s*->\s*exit\s+(\d+)")
ASSIGN = re.compile(r"^(\w+)=\$\((.*)\)$", re.S)
LITERAL = re.compile(r"^(\w+)=(\S+)$")
#: ``$NAME``, ``${NAME}``, and ``${NAME#prefix}`` (the value without that prefix).
VARIABLE = re.compile(r"\$\{(\w+)(?:#([^}]*))?\}|\$(\w+)")
JQ_STEP = re.compile(r'\.([A-Za-z_]\w*)|\["([^"]*)"\]|\[(\d+)\]')
HARD_CODED = re.compile(r"(127\.0\.0\.1|localhost):8008")
MAKE_TARGET = re.compile(r"^([\w-]+):", re.M)


def commands(block: str) -> Iterator[str]:
    """Whole commands: continuation lines joined, multi-line quotes kept together."""
    buffer = ""
    for line in block.splitlines():
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buffer = f"{buffer}\n{line}" if buffer else line
        if buffer.endswith("\\"):
            buffer = buffer[:-1]
            continue
        try:
            shlex.split(buffer, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        yield buffer
        buffer = ""
    assert not buffer, f"unfinished command: {buffer}"


@dataclass
class Shell:
    http: httpx.Client
    base_url: str
    #: Where ``> file`` writes; relative paths are read from here first, then the repo.
    workdir: Path
    variables: dict[str, str] = field(default_factory=dict)
    ran: int = 0

    def __post_init__(self) -> None:
        self.variables["HS"] = self.base_url

    # -- words --------------------------------------------------------------------------

    def expand(self, text: str) -> str:
        """Expand $VAR outside single quotes, as the shell does."""
        parts = re.split(r"('[^']*')", text)
        return "".join(
            part if part.startswith("'") else VARIABLE.sub(self._value, part) for part in parts
        )

    def _value(self, match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        assert name in self.variables, f"${name} is used before it is set"
        return self.variables[name].removeprefix(match.group(2) or "")

    def path(self, name: str) -> Path:
        written = self.workdir / name
        return written if written.exists() else ROOT / name

    # -- commands -----------------------------------------------------------------------

    def run(self, command: str) -> None:
        if assigned := ASSIGN.match(_strip_comment(command)):
            name, inner = assigned.groups()
            curl, _, jq = inner.partition("| jq -r ")
            assert jq, f"only curl | jq -r assignments are understood: {command}"
            response = self.curl(curl, command)
            self.variables[name] = self.jq(response.json(), shlex.split(self.expand(jq))[0])
            return
        if literal := LITERAL.match(_strip_comment(command)):
            name, value = literal.groups()
            if name != "HS":
                self.variables[name] = value
            return
        words = shlex.split(self.expand(command), comments=True)
        if words[0] == "curl":
            self.curl(command, command)
        elif words[0] == "mockserver":
            self.mockserver(words[1:], command)
        elif words[:3] == ["python", "-m", "mockserver"]:
            self.mockserver(words[3:], command)
        elif words[0] == "make":
            self.make(words[1:], command)
        else:
            raise AssertionError(f"the docs shell does not understand: {command}")

    def curl(self, text: str, command: str) -> httpx.Response:
        assert not HARD_CODED.search(text), f"use $HS, not a hard-coded address: {command}"
        expected = EXPECT_STATUS.search(command)
        args = shlex.split(self.expand(text), comments=True)
        assert args[0] == "curl", f"not a curl command: {command}"
        method, url, data, get, output = None, None, None, False, None
        headers: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        rest = iter(args[1:])
        for arg in rest:
            if arg in ("-s", "-i"):
                continue
            if arg == "-X":
                method = next(rest)
            elif arg == "-H":
                key, _, value = next(rest).partition(":")
                headers[key.strip()] = value.strip()
            elif arg in ("-d", "--data"):
                data = next(rest)
                if data.startswith("@"):
                    data = self.path(data[1:]).read_text(encoding="utf-8")
            elif arg == "--data-binary":
                data = next(rest)
                if data.startswith("@"):
                    data = self.path(data[1:]).read_bytes()
            elif arg == "-G":
                get = True
            elif arg == "--data-urlencode":
                key, _, value = next(rest).partition("=")
                query.append((key, value))
            elif arg == ">":
                output = next(rest)
            elif arg.startswith("http"):
                url = arg
            else:
                raise AssertionError(f"curl option {arg!r} is not understood: {command}")
        assert url is not None and url.startswith(self.base_url), f"no $HS URL: {command}"
        if data is not None and not get:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        method = method or ("POST" if data is not None and not get else "GET")
        response = self.http.request(
            method,
            url,
            content=data.encode() if isinstance(data, str) else data,
            headers=headers,
            params=query or None,
        )
        self.ran += 1
        where = f"{command.strip()}\n-> {response.status_code} {response.text[:300]}"
        if expected is None:
            assert 200 <= response.status_code < 300, where
        else:
            assert response.status_code == int(expected.group(1)), where
            if expected.group(2) is not None:
                assert response.json()["errcode"] == expected.group(2), where
        if output is not None:
            (self.workdir / output).write_bytes(response.content)
        return response

    def mockserver(self, args: list[str], command: str) -> None:
        """``check`` runs; any other command line is parsed and its scenarios loaded."""
        if args[:1] == ["check"]:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = cli.main(["check", *(self._file(a) for a in args[1:])])
        else:
            status = self._start(args)
        self.ran += 1
        self._exit(status, command)

    def _file(self, arg: str) -> str:
        return str(self.path(arg)) if self.path(arg).exists() else arg

    def _start(self, args: list[str]) -> int:
        try:
            parsed = cli.parser().parse_args(args)
        except SystemExit as exc:
            return int(exc.code or 0)
        try:
            config = cli.config_from(parsed)
            homeserver = Homeserver.create(config)
            for fixture in config.fixtures:
                homeserver.load_fixture_file(self._file(str(fixture)))
        except (ValueError, ScenarioError):
            return cli.EXIT_STARTUP_FAILURE
        return 0

    def make(self, args: list[str], command: str) -> None:
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        targets = [a for a in args if "=" not in a]
        settings = dict(a.split("=", 1) for a in args if "=" in a)
        for target in targets:
            assert target in MAKE_TARGET.findall(makefile), f"no make target {target}: {command}"
        status = 0
        if "run" in targets:
            default = re.search(r"^FIXTURES \?= (.*)$", makefile, re.M)
            assert default is not None, "the Makefile has no FIXTURES default"
            fixtures = settings.get("FIXTURES", default.group(1)).split()
            status = self._start([f"--fixture={f}" for f in fixtures] + ["--port=0"])
        self.ran += 1
        self._exit(status, command)

    @staticmethod
    def _exit(status: int, command: str) -> None:
        expected = EXPECT_EXIT.search(command)
        assert status == (int(expected.group(1)) if expected else 0), (
            f"exit status {status}: {command}"
        )

    @staticmethod
    def jq(document: Any, path: str) -> str:
        value = document
        consumed = 0
        for step in JQ_STEP.finditer(path):
            assert step.start() == consumed, f"jq path {path!r} is not understood"
            consumed = step.end()
            name, key, index = step.groups()
            value = value[int(index)] if index is not None else value[name or key]
        assert consumed == len(path), f"jq path {path!r} is not understood"
        return value if isinstance(value, str) else json.dumps(value)


def _strip_comment(command: str) -> str:
    """The command without a trailing ``# ...`` comment (outside quotes)."""
    quote: str | None = None
    for index, char in enumerate(command):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or command[index - 1].isspace()):
            return command[:index].strip()
    return command.strip()
