"""`contactcenter db upgrade` and `contactcenter users add`, run in this process as the command line
runs them (`cli.main`): exit codes, what they print, and what they leave in the database."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from contactcenter import cli
from contactcenter.db import Database
from contactcenter.users.models import User
from contactcenter.users.service import authenticate
from queues.service import create_queue
from tests.environment import clear_settings


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


Contactcenter = Callable[..., Outcome]


@pytest.fixture
def database(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture
def contactcenter(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Contactcenter:
    """Runs `contactcenter ARGS` in this process against `database`, with nothing else set."""
    clear_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("DATABASE_URL", database)

    def run(*args: str, stdin: str = "") -> Outcome:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run


def add_user(contactcenter: Contactcenter, *args: str, password: str) -> Outcome:
    return contactcenter("users", "add", *args, "--password-stdin", stdin=password + "\n")


def test_db_upgrade_can_run_twice(contactcenter: Contactcenter) -> None:
    for _ in range(2):
        result = contactcenter("db", "upgrade")
        assert result.returncode == 0, result.stderr
        assert "Database is at the latest schema." in result.stdout


def test_users_add_creates_a_user_who_can_log_in(contactcenter: Contactcenter, database: str) -> None:
    assert contactcenter("db", "upgrade").returncode == 0
    db = Database(database)
    try:
        with db.session() as session:
            create_queue(session, name="general", display_name="General", actor="test")
            create_queue(session, name="repair", display_name="Repair", actor="test")

        result = add_user(
            contactcenter,
            "li.na",
            "--role",
            "agent",
            "--display-name",
            "李娜 Li Na",
            "--queues",
            "general,repair",
            "--skills",
            "repair:3,english:2",
            "--chat-capacity",
            "2",
            password="correct horse battery",
        )

        assert result.returncode == 0, result.stderr
        assert "li.na" in result.stdout and "agent" in result.stdout
        with db.session() as session:
            user = authenticate(session, username="li.na", password="correct horse battery")
            assert isinstance(user, User)
            assert user.role == "agent" and user.display_name == "李娜 Li Na"
            assert sorted(q.name for q in user.queues) == ["general", "repair"]
            assert user.skills == {"repair": 3, "english": 2} and user.chat_capacity == 2
            assert authenticate(session, username="li.na", password="correct horse battery\n") is None
            assert authenticate(session, username="li.na", password="wrong password!") is None
    finally:
        db.dispose()


def test_users_add_refuses_a_weak_password(contactcenter: Contactcenter, database: str) -> None:
    for password, why in [
        ("abc123", "password must be at least 12 characters"),
        ("aaaaaaaaaaaa", "at least 5 different characters"),
        ("password1234", "password is too common"),
        ("Shorty-is-my-name", "must not contain the user name"),
    ]:
        result = add_user(contactcenter, "shorty", "--role", "qa", password=password)
        assert result.returncode == 2
        assert why in result.stderr, password
        assert "Traceback" not in result.stderr
    db = Database(database)
    with db.session() as session:
        assert session.query(User).filter_by(username="shorty").count() == 0
    db.dispose()


def test_users_add_refuses_an_unknown_queue(contactcenter: Contactcenter, database: str) -> None:
    result = add_user(contactcenter, "wang", "--role", "agent", "--queues", "billing", password="long enough pw")
    assert result.returncode == 2
    assert "unknown queue(s): billing" in result.stderr
    db = Database(database)
    with db.session() as session:
        assert session.query(User).filter_by(username="wang").count() == 0
    db.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--skills", "repair"], "write name:level"),
        (["--skills", "repair:9"], "level must be a whole number from 1 to 5"),
        (["--chat-capacity", "50"], "chat capacity must be from 0 to 20"),
    ],
)
def test_users_add_refuses_bad_skills_or_chat_capacity(
    contactcenter: Contactcenter, database: str, args: list[str], message: str
) -> None:
    result = add_user(contactcenter, "sun", "--role", "agent", *args, password="long enough pw")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_users_add_refuses_a_username_already_taken(contactcenter: Contactcenter, database: str) -> None:
    first = add_user(contactcenter, "zhao", "--role", "supervisor", password="first password")
    assert first.returncode == 0, first.stderr

    again = add_user(contactcenter, "zhao", "--role", "agent", password="second password")

    assert again.returncode == 2
    assert "user 'zhao' already exists" in again.stderr
    db = Database(database)
    with db.session() as session:
        assert authenticate(session, username="zhao", password="first password") is not None
        assert authenticate(session, username="zhao", password="second password") is None
    db.dispose()
