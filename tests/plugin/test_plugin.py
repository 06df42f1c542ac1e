"""The pytest plugin, tested as its users run it: pytester sessions with the plugin auto-loaded."""

from __future__ import annotations

import pytest

#: Inner runs need neither hypothesis (importing it again for each in-process run is
#: most of a run's cost) nor a cache directory.
QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, *args)


SYNC_CLIENT_TEST = """
import httpx

def test_client_over_a_socket(homeserver):
    alice = homeserver.register("alice", access_token="alice-token")
    assert alice.user_id == homeserver.user_id("alice") == "@alice:localhost"
    response = httpx.get(
        homeserver.base_url + "/_matrix/client/v3/account/whoami",
        headers={"Authorization": "Bearer alice-token"},
    )
    assert response.json()["user_id"] == "@alice:localhost"
    [entry] = homeserver.journal("*/whoami")
    assert (entry["user_id"], entry["status"]) == ("@alice:localhost", 200)
"""


def test_homeserver_fixture_serves_a_real_socket(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SYNC_CLIENT_TEST)
    result = run(pytester, "--strict-markers")
    result.assert_outcomes(passed=1)


def test_every_test_gets_a_fresh_world_from_one_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        seen = set()

        def check(homeserver):
            seen.add(homeserver.base_url)
            assert len(seen) == 1, "one server for the whole run"
            assert homeserver.journal() == []
            assert homeserver.faults() == []
            assert homeserver.clock.frozen is False
            homeserver.register("alice", access_token="a")

        def test_first(homeserver):
            check(homeserver)
            homeserver.fail(path="*", status=500, times=100)
            homeserver.clock.freeze(at_ms=1000)
            assert httpx.get(homeserver.base_url + "/_matrix/client/versions").status_code == 500

        def test_second(homeserver):
            check(homeserver)
            assert httpx.get(homeserver.base_url + "/_matrix/client/versions").status_code == 200

        def test_third(homeserver):
            check(homeserver)
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_async_test_waits_for_its_client_to_park(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import anyio
        import httpx
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_long_poll_woken_by_another_user(homeserver):
            alice = homeserver.register("alice", access_token="a")
            bob = homeserver.as_user(homeserver.register("bob").user_id)
            room_id = bob.create_room(preset="public_chat")
            homeserver.join(alice.user_id, room_id)
            headers = {"Authorization": "Bearer a"}
            async with httpx.AsyncClient(base_url=homeserver.base_url, headers=headers) as client:
                first = (await client.get("/_matrix/client/v3/sync")).json()
                result = {}

                async def park():
                    response = await client.get(
                        "/_matrix/client/v3/sync",
                        params={"since": first["next_batch"], "timeout": 30000},
                    )
                    result["body"] = response.json()

                with anyio.fail_after(10):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(park)
                        await homeserver.until_parked(alice.user_id)
                        event_id = bob.send(room_id, "wake up")
            events = result["body"]["rooms"]["join"][room_id]["timeline"]["events"]
            assert [e["event_id"] for e in events] == [event_id]
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_thread_client_and_blocking_wait(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading
        import httpx

        def test_sync_client_on_a_thread(homeserver):
            homeserver.register("alice", access_token="a")
            homeserver.clock.freeze()
            headers = {"Authorization": "Bearer a"}
            url = homeserver.base_url + "/_matrix/client/v3/sync"
            first = httpx.get(url, headers=headers).json()
            result = {}

            def park():
                result["body"] = httpx.get(
                    homeserver.base_url + "/_matrix/client/v3/sync",
                    params={"since": first["next_batch"], "timeout": 30000},
                    headers=headers,
                    timeout=10,
                ).json()

            thread = threading.Thread(target=park)
            thread.start()
            parked = homeserver.wait_until_parked("@alice:localhost")
            assert parked["parked"] == {"@alice:localhost": 1}
            homeserver.clock.advance(30000)
            thread.join(10)
            assert result["body"]["next_batch"] == first["next_batch"]
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_control_errors_are_raised_with_the_errcode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from mockserver.remote import ControlError

        def test_rules_apply(homeserver):
            homeserver.register("alice")
            bob = homeserver.register("bob")
            room_id = homeserver.create_room("@alice:localhost", preset="private_chat")
            with pytest.raises(ControlError) as raised:
                homeserver.send(bob.user_id, room_id, "let me in")
            assert (raised.value.status, raised.value.errcode) == (403, "M_FORBIDDEN")
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_config_can_be_overridden_in_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from mockserver.config import ServerConfig

        @pytest.fixture(scope="session")
        def mockserver_config():
            return ServerConfig(port=0, server_name="example.org", control_token="t0ken")
        """
    )
    pytester.makepyfile(
        """
        import httpx

        def test_server_name_and_token(homeserver):
            assert homeserver.register("alice").user_id == "@alice:example.org"
            refused = httpx.post(homeserver.base_url + "/_mock/reset")
            assert refused.status_code == 401
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_marker_with_a_missing_file_errors_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockserver_scenario("scenarios/nowhere.json")
        def test_needs_a_scenario(homeserver):
            pass
        """
    )
    result = run(pytester, "--strict-markers")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no scenario file scenarios/nowhere.json*"])


def test_marker_refuses_other_arguments(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockserver_scenario(42)
        def test_bad_marker(homeserver):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*takes paths or dicts, not int*"])


def test_each_xdist_worker_has_its_own_server(pytester: pytest.Pytester) -> None:
    out = pytester.path / "ports"
    pytester.makepyfile(
        f"""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_worker(homeserver, n):
            homeserver.register("alice")
            homeserver.create_room("@alice:localhost", name=f"room {{n}}")
            with open({str(out)!r}, "a") as f:
                f.write(os.environ["PYTEST_XDIST_WORKER"] + " " + homeserver.base_url + "\\n")
        """
    )
    result = pytester.runpytest_subprocess(*QUIET, "-n", "2")
    result.assert_outcomes(passed=8)
    lines = out.read_text().split("\n")
    urls_by_worker: dict[str, set[str]] = {}
    for line in filter(None, lines):
        worker, url = line.split()
        urls_by_worker.setdefault(worker, set()).add(url)
    assert sorted(urls_by_worker) == ["gw0", "gw1"]
    assert all(len(urls) == 1 for urls in urls_by_worker.values())
    assert urls_by_worker["gw0"] != urls_by_worker["gw1"]


SCENARIO = """{
  "server_name": "localhost",
  "users": [
    {"user_id": "@alice:localhost", "access_token": "alice_token", "device_id": "ALICE"},
    {"user_id": "@bob:localhost", "access_token": "bob_token"}
  ],
  "rooms": [
    {"room_id": "!lobby:localhost", "creator": "@bob:localhost", "preset": "public_chat",
     "members": [{"user_id": "@alice:localhost", "membership": "join"}]}
  ]
}
"""


def test_marker_loads_scenarios_in_order(pytester: pytest.Pytester) -> None:
    pytester.makefile(".json", **{"scenarios/lobby": SCENARIO})
    pytester.makepyfile(
        """
        import httpx
        import pytest

        pytestmark = pytest.mark.mockserver_scenario("scenarios/lobby.json")

        def joined(homeserver, token):
            response = httpx.get(
                homeserver.base_url + "/_matrix/client/v3/joined_rooms",
                headers={"Authorization": "Bearer " + token},
            )
            return response.json()["joined_rooms"]

        def test_module_marker(homeserver):
            assert joined(homeserver, "alice_token") == ["!lobby:localhost"]

        @pytest.mark.mockserver_scenario({
            "users": [{"user_id": "@carol:localhost", "access_token": "carol_token"}],
            "rooms": [{"room_id": "!side:localhost", "creator": "@carol:localhost",
                       "members": [{"user_id": "@alice:localhost", "membership": "join"}]}],
        })
        def test_function_marker_applies_after_the_module_one(homeserver):
            assert joined(homeserver, "alice_token") == ["!lobby:localhost", "!side:localhost"]

        class TestLater:
            def test_world_is_fresh_again(self, homeserver):
                assert homeserver.journal() == []
                assert joined(homeserver, "alice_token") == ["!lobby:localhost"]
        """
    )
    run(pytester, "--strict-markers").assert_outcomes(passed=3)


def test_a_bad_scenario_names_the_file_and_the_path(pytester: pytest.Pytester) -> None:
    pytester.makefile(".json", bad='{"rooms": [{"creator": "@nobody:localhost"}]}')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockserver_scenario("bad.json")
        def test_never_runs(homeserver):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*bad.json: rooms[[]0[]].creator: unknown user @nobody:localhost*"]
    )


def test_config_fixtures_start_every_test(pytester: pytest.Pytester) -> None:
    lobby = pytester.makefile(".json", lobby=SCENARIO)
    pytester.makeconftest(
        f"""
        import pytest
        from mockserver.config import ServerConfig

        @pytest.fixture(scope="session")
        def mockserver_config():
            return ServerConfig(port=0, fixtures=({str(lobby)!r},))
        """
    )
    pytester.makepyfile(
        """
        def test_first(homeserver):
            homeserver.send("@bob:localhost", "!lobby:localhost", "only in the first test")
            assert "only in the first test" in str(homeserver.export()["events"])
            assert homeserver.register("dave").user_id == "@dave:localhost"

        def test_second(homeserver):
            assert homeserver.register("dave").user_id == "@dave:localhost"
            [room] = homeserver.export()["rooms"]
            assert room["room_id"] == "!lobby:localhost"
            assert "only in the first test" not in str(homeserver.export()["events"])
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_a_bad_scenario_fails_with_its_problems_and_no_traceback(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".json",
        bad='{"colour": 1, "rooms": [{"creator": "@nobody:localhost"}]}',
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockserver_scenario("bad.json")
        def test_never_runs(homeserver):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*bad.json: colour: unknown key (expected one of: $schema, *",
            "*/bad.json: rooms[[]0[]].creator: unknown user @nobody:localhost",
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "remote.py" not in output and "pytest_plugin.py" not in output


def test_marker_and_load_name_shipped_scenarios(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockserver_scenario("limited_timeline")
        def test_marker(homeserver):
            assert [r["room_id"] for r in homeserver.export()["rooms"]] == ["!history:localhost"]

        def test_load(homeserver):
            assert len(homeserver.load("invites.json")["rooms"]) == 3

        @pytest.mark.mockserver_scenario("no_such_scenario")
        def test_unknown_name(homeserver):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*no scenario file no_such_scenario (tried *), nor a shipped scenario of that name*"]
    )


def test_unmet_expectations_fail_the_test_saying_what_was_called(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import urllib.request

        def test_met(homeserver):
            homeserver.expect("*/versions", method="GET", times=1)
            urllib.request.urlopen(homeserver.base_url + "/_matrix/client/versions").read()

        def test_unmet(homeserver):
            homeserver.expect("*/login", method="POST", name="logs in")
            urllib.request.urlopen(homeserver.base_url + "/_matrix/client/versions").read()

        def test_verify_mid_test(homeserver):
            homeserver.expect("*/versions", never=True)
            urllib.request.urlopen(homeserver.base_url + "/_matrix/client/versions").read()
            try:
                homeserver.verify()
            except AssertionError as exc:
                assert "expected no call, got 1 call" in str(exc)
            else:
                raise AssertionError("verify() passed")
            homeserver.clear_expectations()
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unmet*",
            'expectation e1 "logs in" (POST */login): expected at least 1 call, got 0 calls;'
            " called instead:",
            "  #1 GET /_matrix/client/versions by no user -> 200",
        ]
    )
    assert "Traceback" not in result.stdout.str()
