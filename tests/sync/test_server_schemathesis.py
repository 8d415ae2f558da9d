"""Property-based fuzzing of the published API (``/openapi.json``) with schemathesis, logged in
as a supervisor against a real server process on SQLite and on PostgreSQL: never a 5xx, and a
refused request changes nothing. Beyond what the schema allows, strings of the generated
requests get NUL characters and unpaired surrogates (JSON bodies) or NULs (paths and queries)."""

from __future__ import annotations

import json

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sync_env import PASSWORD, ServerProcess

from accountdesk.server import repo
from accountdesk.sync import protocol as p

VERSION_HEADERS = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


@pytest.fixture(scope="module")
def fuzz_server(database_url, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz")
    srv = ServerProcess(database_url, path / "server.log")
    srv.start()
    srv.add_user("boss", "supervisor")
    yield srv
    srv.stop()
    srv.db.close()


@pytest.fixture(scope="module")
def auth_headers(fuzz_server):
    r = httpx.post(
        fuzz_server.url + "/v1/auth/login",
        headers=VERSION_HEADERS,
        json={"username": "boss", "password": PASSWORD, "device_id": "fuzzer"},
    )
    assert r.status_code == 200
    return {**VERSION_HEADERS, "Authorization": "Bearer " + r.json()["access_token"]}


def _state(server) -> tuple[int, int]:
    from sqlalchemy import func, select

    from accountdesk.server import tables as t

    with server.db.read() as conn:
        return repo.current_seq(conn), conn.execute(select(func.count()).select_from(t.history)).scalar_one()


BAD = ["\x00", "a\x00b", "\ud800", "x\udfff"]
POISONED = {"strings": 0}


def _poisoned(value, data, surrogates: bool):
    if isinstance(value, str):
        if data.draw(st.booleans()):
            POISONED["strings"] += 1
            return value + data.draw(st.sampled_from(BAD if surrogates else BAD[:2]))
        return value
    if isinstance(value, list):
        return [_poisoned(v, data, surrogates) for v in value]
    if isinstance(value, dict):
        return {k: _poisoned(v, data, surrogates) for k, v in value.items()}
    return value


def _send(case, data, base_url: str, headers: dict) -> httpx.Response:
    """The generated request with NULs and unpaired surrogates in some of its strings
    (surrogates only in JSON bodies: a URL cannot carry them), sent as a hostile client would
    (JSON with escapes)."""
    if case.query:
        case.query = _poisoned(dict(case.query), data, surrogates=False)
    if case.path_parameters:
        case.path_parameters = _poisoned(dict(case.path_parameters), data, surrogates=False)
    body = case.body if isinstance(case.body, (dict, list)) else None
    if body is not None:
        body = _poisoned(body, data, surrogates=True)
        case.body = {}
    kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)
    out_headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "content-length"}
    content = None
    if body is not None:
        content = json.dumps(body).encode()  # escapes what UTF-8 cannot carry
        out_headers["Content-Type"] = "application/json"
    elif kwargs.get("json") is not None:
        content = json.dumps(kwargs["json"]).encode()
        out_headers["Content-Type"] = "application/json"
    elif kwargs.get("data") is not None:
        content = kwargs["data"] if isinstance(kwargs["data"], bytes) else str(kwargs["data"]).encode()
    url = kwargs["url"].replace("\x00", "%00")
    return httpx.request(
        kwargs["method"], url, params=kwargs.get("params"), headers=out_headers, content=content, timeout=30
    )


def test_api_never_fails_and_refusals_change_nothing(fuzz_server, auth_headers):
    schema = schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    calls = []

    for operation in operations:

        @given(case=operation.as_strategy(), poison=st.data())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def fuzz(case, poison):
            before = _state(fuzz_server)
            response = _send(case, poison, fuzz_server.url, auth_headers)
            calls.append(response.status_code)
            assert response.status_code < 500, response.text
            if response.status_code >= 400:
                assert _state(fuzz_server) == before
                body = response.json()
                assert "code" in body and "message" in body

        fuzz()
    assert len(calls) > 50 and any(code < 300 for code in calls)
    assert POISONED["strings"] > 20  # the hostile characters did go out
