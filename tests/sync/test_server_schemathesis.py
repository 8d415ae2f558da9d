"""Property-based fuzzing of the published API (``/openapi.json``) with schemathesis, logged in
as a supervisor against a real server process: never a 5xx, and a refused request changes nothing."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sync_env import PASSWORD, ServerProcess

from accountdesk.server import repo
from accountdesk.sync import protocol as p

VERSION_HEADERS = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz")
    srv = ServerProcess(f"sqlite:///{path / 'server.sqlite3'}", path / "server.log")
    srv.start()
    srv.add_user("boss", "supervisor")
    yield srv
    srv.stop()
    srv.db.close()


@pytest.fixture(scope="module")
def auth_headers(fuzz_server):
    r = httpx.post(fuzz_server.url + "/v1/auth/login", headers=VERSION_HEADERS,
                   json={"username": "boss", "password": PASSWORD, "device_id": "fuzzer"})
    assert r.status_code == 200
    return {**VERSION_HEADERS, "Authorization": "Bearer " + r.json()["access_token"]}


def _state(server) -> tuple[int, int]:
    from sqlalchemy import func, select

    from accountdesk.server import tables as t

    with server.db.read() as conn:
        return repo.current_seq(conn), conn.execute(select(func.count()).select_from(t.history)).scalar_one()


def test_api_never_fails_and_refusals_change_nothing(fuzz_server, auth_headers):
    schema = schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    calls = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def fuzz(case):
            before = _state(fuzz_server)
            response = case.call(base_url=fuzz_server.url, headers=auth_headers)
            calls.append(response.status_code)
            assert response.status_code < 500, response.text
            if response.status_code >= 400:
                assert _state(fuzz_server) == before
                body = response.json()
                assert "code" in body and "message" in body

        fuzz()
    assert len(calls) > 50 and any(code < 300 for code in calls)
