"""Bad input over HTTP gets a clear 400, never a crash."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import System


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"agent1"'])
def test_a_login_that_is_not_a_json_object_gets_a_clear_400(system: System, body: str) -> None:
    response = httpx.post(system.base_url + "/login", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "username and password" in response.json()["error"]


@pytest.mark.parametrize("body", ["[]", "nope", '{"state": "dancing"}'])
def test_agent_actions_with_a_bad_body_get_a_clear_400(system: System, body: str) -> None:
    agent = system.login("agent1")
    response = agent.post("/api/agent/state", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]
