"""``make fuzz-spec``: schemathesis driven by the Matrix spec's own OpenAPI definitions.

    python -m tests.fuzz.spec_run SPEC_CHECKOUT [--examples N] [--seed N] [--only REGEX]

Loads ``data/api/client-server/*.yaml`` from a matrix-org/matrix-spec
checkout (:mod:`tests.fuzz.spec_document`), starts mockserver on a free
port and, for every operation, as a fresh user in a room of its own
(:mod:`tests.fuzz.world`), sends N generated requests, valid and invalid
ones. Each answer is judged by :func:`tests.fuzz.answers.check_answer` (no
5xx, JSON, Matrix errors) and by schemathesis's check that it matches the
spec's response schema. Findings are collected, not raised: the report
lists each distinct one with its count and a curl command that shows it,
then the operations mockserver does not serve. Exits 1 when anything was
found.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import schemathesis
import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from mockserver.config import ServerConfig
from mockserver.homeserver import Homeserver
from mockserver.server import ThreadedServer
from tests.fuzz.answers import check_answer
from tests.fuzz.spec_document import load_client_server
from tests.fuzz.world import aim, own_world, shared_world

#: Findings that are the spec being stricter than Synapse, where mockserver follows
#: Synapse: (operation, words of the finding) and why. Reported, not counted.
FOLLOWING_SYNAPSE: dict[tuple[str, str], str] = {
    ("GET /_matrix/client/v3/voip/turnServer", '"username" is a required property'): (
        "with no TURN server configured Synapse answers 200 {}, which clients read as none"
    ),
}
#: Longest a generated long-poll may wait, in milliseconds.
LONGEST_POLL = 100
SESSION = requests.Session()


@dataclass
class Report:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], str] = field(default_factory=dict)
    unserved: list[str] = field(default_factory=list)
    following_synapse: Counter[tuple[str, str]] = field(default_factory=Counter)

    def find(self, label: str, what: str, curl: str) -> None:
        for (known, words), _ in FOLLOWING_SYNAPSE.items():
            if label == known and words in what:
                self.following_synapse[(label, words)] += 1
                return
        key = (label, what)
        self.findings[key] += 1
        self.examples.setdefault(key, curl)

    def print(self) -> None:
        print(f"\n{self.requests} requests; statuses {dict(sorted(self.statuses.items()))}")
        print(f"{len(self.findings)} distinct findings:")
        for (label, what), count in sorted(self.findings.items()):
            print(f"\n- {label} ({count}x): {what}\n  {self.examples[(label, what)]}")
        print("\nWhere the spec is stricter than Synapse, and mockserver follows Synapse:")
        for key, count in sorted(self.following_synapse.items()):
            print(f"- {key[0]} ({count}x): {key[1]}: {FOLLOWING_SYNAPSE[key]}")
        print(f"\n{len(self.unserved)} operations not served (404 M_UNRECOGNIZED to every request):")
        for label in self.unserved:
            print(f"  {label}")


def answers_a_file(case: Any) -> bool:
    for status, response in case.operation.definition.raw.get("responses", {}).items():
        if str(status).startswith("2") and "content" in response:
            return "application/json" not in response["content"]
    return False


def prepare(case: Any, data: st.DataObject, token: str, live: dict[str, str]) -> None:
    """Aimed at the world (:func:`tests.fuzz.world.aim`), and no long long-poll."""
    aim(case, data, token, live)
    if case.query and "timeout" in case.query:
        timeout = case.query["timeout"]
        if isinstance(timeout, int) and not isinstance(timeout, bool):
            case.query["timeout"] = max(min(timeout, LONGEST_POLL), -LONGEST_POLL)


def judge(case: Any, response: Any, report: Report) -> str:
    """Record what is wrong with one answer; its errcode (or "") for the unserved tally."""
    label = case.operation.label
    report.requests += 1
    report.statuses[response.status_code] += 1
    content_type = response.headers.get("content-type", [""])[0]
    errcode = ""
    try:
        answer = check_answer(
            response.status_code, content_type, response.content, file=answers_a_file(case)
        )
        if isinstance(answer, dict) and response.status_code >= 300:
            errcode = str(answer.get("errcode", ""))
    except AssertionError as error:
        report.find(label, f"{response.status_code}: {str(error)[:300]}", case.as_curl_command())
    try:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    except FailureGroup as group:
        for failure in group.exceptions:
            report.find(label, _describe(failure, response.status_code), case.as_curl_command())
    except Failure as failure:
        report.find(label, _describe(failure, response.status_code), case.as_curl_command())
    return errcode


def _describe(failure: Failure, status: int) -> str:
    message = " ".join(failure.message.split())
    return f"{status} {failure.title}: {message[:300]}"


def fuzz_operation(
    operation: Any,
    examples: int,
    seed: int,
    server: ThreadedServer,
    shared: dict[str, str],
    report: Report,
) -> None:
    token, live = own_world(server.base_url, shared)
    errcodes: Counter[str] = Counter()
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.seed(seed)
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        prepare(case, data, token, live)
        try:
            response = case.call(
                base_url=server.base_url, session=SESSION, timeout=60, allow_redirects=False
            )
        except requests.RequestException as error:
            report.find(operation.label, f"no answer: {type(error).__name__}", case.as_curl_command())
            return
        errcodes[judge(case, response, report)] += 1

    try:
        run()
    except Exception as error:  # generation failed: say so and go on with the next
        report.find(operation.label, f"not fuzzed: {type(error).__name__}: {error}"[:300], "")
    if errcodes and set(errcodes) == {"M_UNRECOGNIZED"}:
        report.unserved.append(operation.label)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("spec", type=Path, help="a matrix-org/matrix-spec checkout")
    parser.add_argument("--examples", type=int, default=100, help="requests per operation")
    parser.add_argument("--seed", type=int, default=1, help="the same seed, the same requests")
    parser.add_argument("--only", default="", help="fuzz only operations matching this regex")
    args = parser.parse_args(argv)
    config = SchemathesisConfig.from_dict({"seed": 1, "output": {"sanitization": {"enabled": False}}})
    schema = schemathesis.openapi.from_dict(load_client_server(args.spec), config=config)
    report = Report()
    server = ThreadedServer(Homeserver.create(ServerConfig(port=0))).start()
    try:
        shared = shared_world(server.base_url)
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                report.find("(an operation)", f"not fuzzed: {result.err()}"[:300], "")
                continue
            operation = result.ok()
            if re.search(args.only, operation.label):
                fuzz_operation(operation, args.examples, args.seed, server, shared, report)
                print(f"{operation.label}: {report.requests} requests so far", file=sys.stderr)
    finally:
        server.stop()
    report.print()
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
