"""Settings come from the environment (and a `.env` in the working directory) and fail with readable messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter import cli
from contactcenter.settings import REAL_TWILIO_API, SettingsError, load_settings
from tests.environment import clear_settings

GOOD_SID = "AC" + "0123456789abcdef" * 2


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    clear_settings(monkeypatch, tmp_path)
    return tmp_path


def settings_error(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    return str(caught.value)


def test_values_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "cc.db"))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", GOOD_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-123")
    monkeypatch.setenv("TWILIO_API_BASE", "http://127.0.0.1:8001/")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://hotline.example.com/")
    monkeypatch.setenv("OFFER_TIMEOUT_SECONDS", "7.5")
    monkeypatch.setenv("DEFAULT_REGION", "GB")

    settings = load_settings()

    assert settings.var_dir == tmp_path / "state"
    assert settings.sqlalchemy_url == "sqlite:///" + str(tmp_path / "cc.db")
    assert settings.redis_url == "redis://127.0.0.1:6379/3"
    assert settings.twilio_account_sid == GOOD_SID
    assert settings.twilio_auth_token == "token-123"
    assert settings.twilio_api == "http://127.0.0.1:8001"
    assert settings.public_base_url == "https://hotline.example.com"
    assert settings.offer_timeout_seconds == 7.5
    assert settings.default_region == "GB"
    assert settings.recordings_path == tmp_path / "state" / "recordings"


def test_defaults_use_sqlite_under_var_dir_and_the_real_twilio_api(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "state"))

    settings = load_settings()

    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'state' / 'contactcenter.db').resolve()}"
    assert settings.twilio_api == REAL_TWILIO_API == "https://api.twilio.com"
    assert settings.redis_url is None
    assert settings.offer_timeout_seconds == 15.0
    assert (settings.flows_path / "hotline.yaml").is_file()


def test_default_var_dir_is_var_in_the_working_directory(tmp_path: Path) -> None:
    assert load_settings().sqlalchemy_url == f"sqlite:///{(tmp_path / 'var' / 'contactcenter.db').resolve()}"


def test_a_plain_postgresql_url_gets_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://cc:secret@db.internal:5432/contactcenter")
    assert load_settings().sqlalchemy_url == "postgresql+psycopg://cc:secret@db.internal:5432/contactcenter"


def test_a_postgresql_url_with_a_driver_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://cc@db.internal/contactcenter")
    assert load_settings().sqlalchemy_url == "postgresql+psycopg://cc@db.internal/contactcenter"


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "REDIS_URL=redis://cache.internal:6380/1\nPUBLIC_BASE_URL=https://cc.example.org\nOFFER_TIMEOUT_SECONDS=9\n"
    )

    settings = load_settings()

    assert settings.redis_url == "redis://cache.internal:6380/1"
    assert settings.public_base_url == "https://cc.example.org"
    assert settings.offer_timeout_seconds == 9


def test_the_environment_wins_over_the_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PUBLIC_BASE_URL=https://from-dotenv.example.org\n")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://from-env.example.org")
    assert load_settings().public_base_url == "https://from-env.example.org"


def test_a_bad_value_in_the_dotenv_file_is_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REDIS_URL=localhost:6379\n")
    with pytest.raises(SettingsError, match="REDIS_URL"):
        load_settings()


@pytest.mark.parametrize("value", ["AC123", "ac" + "0" * 32, "AC" + "g" * 32, "AC" + "0" * 33, "SK" + "0" * 32])
def test_an_account_sid_that_is_not_ac_and_32_hex_digits_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    message = settings_error(monkeypatch, "TWILIO_ACCOUNT_SID", value)
    assert "TWILIO_ACCOUNT_SID" in message
    assert "AC followed by 32" in message and "hex" in message


@pytest.mark.parametrize("value", ["hotline.example.com", "ftp://hotline.example.com", "https://", "http:// x"])
def test_a_public_base_url_that_is_not_an_http_url_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    message = settings_error(monkeypatch, "PUBLIC_BASE_URL", value)
    assert "PUBLIC_BASE_URL" in message
    assert "http(s) URL" in message


def test_a_twilio_api_base_that_is_not_an_http_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = settings_error(monkeypatch, "TWILIO_API_BASE", "127.0.0.1:8001")
    assert "TWILIO_API_BASE" in message and "http(s) URL" in message


@pytest.mark.parametrize("value", ["mysql://cc@db/contactcenter", "postgres://cc@db/contactcenter", "contactcenter.db"])
def test_a_database_url_with_an_unsupported_scheme_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    message = settings_error(monkeypatch, "DATABASE_URL", value)
    assert "DATABASE_URL" in message
    assert "sqlite:///" in message and "postgresql://" in message


@pytest.mark.parametrize("value", ["localhost:6379", "http://127.0.0.1:6379", "memcached://cache:11211"])
def test_a_redis_url_with_a_bad_scheme_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    message = settings_error(monkeypatch, "REDIS_URL", value)
    assert "REDIS_URL" in message
    assert "redis://" in message and "rediss://" in message and "unix://" in message


@pytest.mark.parametrize("value", ["0", "-1", "-0.5"])
def test_an_offer_timeout_that_is_not_positive_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    message = settings_error(monkeypatch, "OFFER_TIMEOUT_SECONDS", value)
    assert "OFFER_TIMEOUT_SECONDS" in message
    assert "greater than 0" in message


def test_an_offer_timeout_that_is_not_a_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = settings_error(monkeypatch, "OFFER_TIMEOUT_SECONDS", "fifteen")
    assert "OFFER_TIMEOUT_SECONDS" in message and "number" in message


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_an_offer_timeout_that_is_not_finite_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    message = settings_error(monkeypatch, "OFFER_TIMEOUT_SECONDS", value)
    assert "OFFER_TIMEOUT_SECONDS" in message


def test_every_bad_setting_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "localhost")
    monkeypatch.setenv("DATABASE_URL", "mysql://db")
    message = settings_error(monkeypatch, "OFFER_TIMEOUT_SECONDS", "0")
    assert all(name in message for name in ("REDIS_URL", "DATABASE_URL", "OFFER_TIMEOUT_SECONDS"))


def test_the_cli_turns_a_bad_setting_into_exit_code_2_and_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://cc@db.internal/contactcenter")

    assert cli.main(["db", "upgrade"]) == 2

    out, err = capsys.readouterr()
    assert "DATABASE_URL" in err and "postgresql://" in err
    assert "Traceback" not in err
    assert out == ""
    assert not (tmp_path / "var").exists()


def test_the_cli_reports_a_bad_setting_for_the_worker_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "127.0.0.1:6379")
    assert cli.main(["worker", "--burst"]) == 2
    assert "REDIS_URL" in capsys.readouterr().err


def test_a_refused_database_url_does_not_echo_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    message = settings_error(monkeypatch, "DATABASE_URL", "mysql://cc:Sup3rS3cret@db.internal/contactcenter")
    assert "DATABASE_URL" in message
    assert "Sup3rS3cret" not in message


def test_the_sms_number_must_be_e164_and_is_unset_when_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "SMS_FROM" in settings_error(monkeypatch, "SMS_FROM", "021-8000-0000")
    monkeypatch.setenv("SMS_FROM", "")
    assert load_settings().sms_from is None
    monkeypatch.setenv("SMS_FROM", "+862180000000")
    assert load_settings().sms_from == "+862180000000"
