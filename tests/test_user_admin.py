"""User administration by admins (page and API), and passwords: disabling a user, a role change, a reset and
a change of password end every session of the user at once; a reset password must be changed before
anything else; the password rule holds everywhere a password is set."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from websockets.sync.client import connect

from contactcenter.audit.models import AuditEvent
from contactcenter.timeutil import utcnow
from contactcenter.users.models import Shift, User
from contactcenter.users.passwords import generated_password, password_problem
from contactcenter.users.schemas import ShiftPattern
from contactcenter.users.service import create_user
from contactcenter.users.shifts import OutsideShift, delete_shift, login_outside_shift, set_shift
from tests.conftest import DEMO_PASSWORD, StartInProcess
from tests.inprocess import InProcessSystem

NEW_PASSWORD = "a-fresh-passphrase-2026"


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    with start_in_process() as started:
        with Session(started.sql()) as session:
            create_user(session, username="root", password=DEMO_PASSWORD, role="admin")
            session.commit()
        yield started


@pytest.fixture(scope="module")
def admin(system: InProcessSystem) -> httpx.Client:
    return system.login("root")


def new_agent(admin: httpx.Client, username: str, **fields: object) -> dict[str, object]:
    body = {"username": username, "password": DEMO_PASSWORD, "role": "agent", **fields}
    response = admin.post("/api/admin/users", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def audit_kinds(system: InProcessSystem, user_id: object) -> list[str]:
    with Session(system.sql()) as session:
        query = select(AuditEvent.kind).where(AuditEvent.subject_type == "user", AuditEvent.subject_id == str(user_id))
        return list(session.scalars(query.order_by(AuditEvent.id)))


def test_admins_create_edit_and_list_users_and_each_change_is_audited(
    system: InProcessSystem, admin: httpx.Client
) -> None:
    made = new_agent(admin, "wu.fang", display_name="吴芳", queues=["general"], skills={"zh": 4}, team="一组")
    assert made["queues"] == ["general"] and made["skills"] == {"zh": 4} and made["must_change_password"] is False
    changes = {"queues": ["general", "repair"], "skills": {"zh": 5, "en": 2}, "team": "二组", "chat_capacity": 2}
    edited = admin.patch(f"/api/admin/users/{made['id']}", json=changes)
    assert edited.status_code == 200, edited.text
    assert {key: edited.json()[key] for key in changes} == changes
    listed = {user["username"]: user for user in admin.get("/api/admin/users").json()}
    assert listed["wu.fang"]["team"] == "二组" and "password_hash" not in listed["wu.fang"]
    assert audit_kinds(system, made["id"]) == ["created", "updated"]
    # Refusals are 400s that say why, never a 500.
    assert admin.patch(f"/api/admin/users/{made['id']}", json={"queues": ["nope"]}).status_code == 400
    assert admin.patch(f"/api/admin/users/{made['id']}", json={"role": "boss"}).status_code == 400
    assert admin.patch("/api/admin/users/999999", json={"team": "x"}).status_code == 404
    weak = admin.post("/api/admin/users", json={"username": "weak", "password": "password1234", "role": "agent"})
    assert weak.status_code == 400 and "too common" in weak.json()["error"]


def test_only_admins_administer_users(system: InProcessSystem) -> None:
    anonymous = httpx.Client(base_url=system.base_url)
    assert anonymous.get("/api/admin/users").status_code == 401
    assert anonymous.get("/admin/users").status_code == 303
    for username in ("agent1", "supervisor", "manager", "qa"):
        client = system.login(username)
        assert client.get("/api/admin/users").status_code == 403, username
        assert client.post("/api/admin/users", json={}).status_code == 403, username
        assert client.patch("/api/admin/users/1", json={"active": False}).status_code == 403, username
        assert client.post("/api/admin/users/1/password-reset", json={}).status_code == 403, username
        assert client.get("/admin/users").status_code == 403, username


def test_the_admin_page_is_served_in_both_languages(admin: httpx.Client) -> None:
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "用户管理" in page.text
    words = admin.get("/static/users/admin-i18n.js").text
    assert "zh: {" in words and "en: {" in words
    zh, en = words.split("en: {")
    assert zh.count(":") == en.count(":")  # the same labels in each language


def test_disabling_a_user_ends_every_session_at_once(system: InProcessSystem, admin: httpx.Client) -> None:
    made = new_agent(admin, "leaver")
    desk, laptop = system.login("leaver"), system.login("leaver")
    assert admin.patch(f"/api/admin/users/{made['id']}", json={"active": False}).status_code == 200
    assert desk.get("/api/me").status_code == 401 and laptop.get("/api/me").status_code == 401
    login = httpx.Client(base_url=system.base_url).post(
        "/login", json={"username": "leaver", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 401
    assert admin.patch(f"/api/admin/users/{made['id']}", json={"active": True}).status_code == 200
    assert system.login("leaver").get("/api/me").status_code == 200


def test_a_role_change_ends_the_users_sessions(system: InProcessSystem, admin: httpx.Client) -> None:
    made = new_agent(admin, "promoted")
    client = system.login("promoted")
    assert admin.patch(f"/api/admin/users/{made['id']}", json={"team": "一组"}).status_code == 200
    assert client.get("/api/me").status_code == 200  # other edits leave sessions alone
    assert admin.patch(f"/api/admin/users/{made['id']}", json={"role": "supervisor"}).status_code == 200
    assert client.get("/api/me").status_code == 401
    assert system.login("promoted").get("/api/me").json()["role"] == "supervisor"


def test_admins_cannot_lock_themselves_out(admin: httpx.Client) -> None:
    me = admin.get("/api/me").json()["id"]
    assert admin.patch(f"/api/admin/users/{me}", json={"active": False}).status_code == 409
    assert admin.patch(f"/api/admin/users/{me}", json={"role": "agent"}).status_code == 409


def test_a_reset_password_must_be_changed_before_anything_else(system: InProcessSystem, admin: httpx.Client) -> None:
    made = new_agent(admin, "forgetful", queues=["general"])
    before = system.login("forgetful")
    reset = admin.post(f"/api/admin/users/{made['id']}/password-reset", json={})
    assert reset.status_code == 200 and reset.json()["must_change_password"] is True
    temporary = reset.json()["password"]
    assert before.get("/api/me").status_code == 401  # the reset ended the old sessions
    client = httpx.Client(base_url=system.base_url)
    login = client.post("/login", json={"username": "forgetful", "password": temporary})
    assert login.json()["must_change_password"] is True
    refused = client.get("/api/agent/stats")
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
    console = client.get("/console")
    assert console.status_code == 303 and console.headers["location"] == "/password"
    assert "请先设置新密码" in client.get("/password").text
    weak = client.post("/api/me/password", json={"current_password": temporary, "new_password": "forgetful-12345"})
    assert weak.status_code == 400 and "user name" in weak.json()["error"]
    changed = client.post("/api/me/password", json={"current_password": temporary, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert client.get("/api/agent/stats").status_code == 200  # this browser goes on in a fresh session
    assert audit_kinds(system, made["id"])[-3:] == ["password_reset", "login", "password_changed"]


def test_a_password_change_ends_the_other_sessions(system: InProcessSystem, admin: httpx.Client) -> None:
    new_agent(admin, "changer")
    here, elsewhere = system.login("changer"), system.login("changer")
    wrong = here.post("/api/me/password", json={"current_password": "not-my-password", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    done = here.post("/api/me/password", json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD})
    assert done.status_code == 200
    assert here.get("/api/me").status_code == 200 and elsewhere.get("/api/me").status_code == 401
    assert system.login("changer", NEW_PASSWORD).get("/api/me").status_code == 200


def test_the_password_rule() -> None:
    assert password_problem("short-one", username="li") == "password must be at least 12 characters"
    assert "user name" in (password_problem("xx-Wang.Wei-2026", username="wang.wei") or "")
    assert "too common" in (password_problem("qwertyuiop123", username="li") or "")
    assert "too common" in (password_problem("!!password123456!!", username="li") or "")
    assert "too common" in (password_problem("iloveyou2026!", username="li") or "")
    assert "different characters" in (password_problem("abababababab", username="li") or "")
    assert password_problem(DEMO_PASSWORD, username="agent1") is None
    assert password_problem(NEW_PASSWORD, username="changer") is None
    assert password_problem("qa", username="qa") is not None
    for username in ("qa", "agent1"):  # the demo's generated passwords
        assert password_problem(generated_password(username=username), username=username) is None


def test_a_login_outside_the_shift_is_flagged_to_the_team_lead_and_audited(
    system: InProcessSystem, admin: httpx.Client
) -> None:
    team = admin.put("/api/admin/shifts", json={"team": "一组 Team 1", "weekly": {}})  # never on shift
    assert team.status_code == 200, team.text
    lead = system.login("supervisor")
    cookie = f"cc_session={lead.cookies['cc_session']}"
    with connect(
        system.base_url.replace("http", "ws", 1) + "/supervisors/ws", additional_headers={"Cookie": cookie}
    ) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": None}))
        assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        agent = system.login("agent2")  # allowed (SHIFT_LOGIN_OUTSIDE=flag, the default)
        agent_id = agent.get("/api/me").json()["id"]
        event = json.loads(ws.recv(timeout=10))
        while event["type"] != "agent.outside_shift":
            event = json.loads(ws.recv(timeout=10))
        assert event["agent"] == str(agent_id) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", event["local_time"])
    rows = {row["username"]: row for row in lead.get("/api/wallboard/agents").json()}
    assert rows["agent2"]["outside_shift_at"] and rows["agent1"]["outside_shift_at"] is None
    assert "login_outside_shift" in audit_kinds(system, agent_id)
    # Managers see it in the access log, where every login is, with when and from where.
    manager = system.login("manager")
    logins = manager.get("/api/audit", params={"action": "login", "object_type": "user", "object_id": agent_id})
    [flagged] = [e for e in logins.json()["entries"] if e["detail"].startswith("outside the shift")]
    assert (flagged["username"], flagged["address"]) == ("agent2", "testclient")
    assert flagged["detail"] == f"outside the shift ({event['local_time']})"
    # Their own shift (every day, all day) replaces the team's: the next login is on shift and clears the flag.
    own = {
        "user_id": agent_id,
        "weekly": {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
    assert admin.put("/api/admin/shifts", json=own).status_code == 200
    system.login("agent2")
    assert lead.get(f"/api/wallboard/agents/{agent_id}").json()["outside_shift_at"] is None
    listed = admin.get("/api/admin/shifts").json()
    assert [(s["team"], s["username"]) for s in listed] == [("一组 Team 1", None), (None, "agent2")]
    for shift in listed:
        assert admin.delete(f"/api/admin/shifts/{shift['id']}").status_code == 200
    assert admin.get("/api/admin/shifts").json() == []
    assert admin.put("/api/admin/shifts", json={"weekly": {}}).status_code == 400  # for whom?


def test_a_login_outside_the_shift_may_be_refused(system: InProcessSystem) -> None:
    with Session(system.sql()) as session, system.redis() as redis:
        user = session.scalars(select(User).where(User.username == "agent1")).one()
        set_shift(session, team=None, user_id=user.id, pattern=ShiftPattern(weekly={}), actor="test")
        session.commit()
        with pytest.raises(OutsideShift, match="outside your shift"):
            login_outside_shift(
                session, redis, user=user, at=utcnow(), timezone="Asia/Shanghai", refuse=True, lifetime_s=60
            )
        session.rollback()
        assert audit_kinds(system, user.id)[-1] == "login_outside_shift"  # the refusal is audited
        delete_shift(session, shift_id=session.scalars(select(Shift.id)).one(), actor="test")
        session.commit()
