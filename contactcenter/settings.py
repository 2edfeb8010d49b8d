"""Settings from environment variables (and an optional `.env`), validated once at start."""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import os
import re
import secrets
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contactcenter.private_files import private_dir, write_private

ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")
REAL_TWILIO_API = "https://api.twilio.com"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Settings whose bad value is not repeated in the error message (it may be most of a real key).
HIDDEN_INPUTS = ("RECORDINGS_MASTER_KEY", "RECORDINGS_OLD_MASTER_KEYS")
# A comma-separated list in the environment ("break,meal,training").
Codes = Annotated[tuple[str, ...], NoDecode]
ORIGIN = re.compile(r"^https?://[^/\s:]+(:\d{1,5})?$")


class SettingsError(Exception):
    """A setting has a bad value; the message says which and how to fix it."""


class Settings(BaseSettings):
    """Everything the processes read from the environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    var_dir: Path = Field(default=Path("var"), alias="VAR_DIR")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    twilio_account_sid: str | None = Field(default=None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(default=None, alias="TWILIO_AUTH_TOKEN")
    twilio_api_base: str | None = Field(default=None, alias="TWILIO_API_BASE")
    public_base_url: str = Field(default="http://127.0.0.1:8000", alias="PUBLIC_BASE_URL")
    recordings_dir: Path | None = Field(default=None, alias="RECORDINGS_DIR")
    # Tickets' attachments, sealed as recordings are (contactcenter/attachments/); beside the recordings by
    # default, so on the volume every web process shares.
    attachments_dir: Path | None = Field(default=None, alias="ATTACHMENTS_DIR")
    secret_key: str | None = Field(default=None, alias="SECRET_KEY")
    # Wraps each recording's own data key (recordings/crypto.py): 32 bytes in base64. The old ones are kept
    # readable while `contactcenter keys rotate` re-wraps what they wrapped (docs/encryption-at-rest.md).
    recordings_master_key: str | None = Field(default=None, alias="RECORDINGS_MASTER_KEY")
    recordings_old_master_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), alias="RECORDINGS_OLD_MASTER_KEYS"
    )
    ivr_flows: Path | None = Field(default=None, alias="IVR_FLOWS")
    calendars_file: Path | None = Field(default=None, alias="CALENDARS")
    wait_announce_seconds: int = Field(default=45, alias="WAIT_ANNOUNCE_SECONDS", ge=10, le=600)
    callback_offer_wait_seconds: int = Field(default=180, alias="CALLBACK_OFFER_WAIT_SECONDS", ge=0, le=7200)
    twilio_caller_id: str | None = Field(default=None, alias="TWILIO_CALLER_ID")
    # The number one-time codes are texted from (Twilio's Messages API): SMS_FROM, else TWILIO_CALLER_ID.
    sms_from: str | None = Field(default=None, alias="SMS_FROM")
    twilio_api_key: str | None = Field(default=None, alias="TWILIO_API_KEY")
    twilio_api_secret: str | None = Field(default=None, alias="TWILIO_API_SECRET")
    twilio_twiml_app_sid: str | None = Field(default=None, alias="TWILIO_TWIML_APP_SID")
    voice_token_ttl_seconds: int = Field(default=600, alias="VOICE_TOKEN_TTL_SECONDS", ge=60, le=86400)
    offer_timeout_seconds: float = Field(default=15.0, alias="OFFER_TIMEOUT_SECONDS", gt=0, allow_inf_nan=False)
    # Calls as conferences: how long the agent's phone rings after Accept before the caller goes back to
    # the queue; whether the console answers it by itself; whether agents see who listens to their call.
    agent_ring_seconds: int = Field(default=20, alias="AGENT_RING_SECONDS", ge=5, le=120)
    auto_answer: bool = Field(default=True, alias="AUTO_ANSWER")
    show_monitoring: bool = Field(default=True, alias="SHOW_MONITORING")
    preferred_agent_seconds: int = Field(default=20, alias="PREFERRED_AGENT_SECONDS", ge=0, le=600)
    rering_seconds: int = Field(default=300, alias="RERING_SECONDS", ge=0, le=86400)
    chat_capacity: int = Field(default=3, alias="CHAT_CAPACITY", ge=0, le=20)
    voice_blocks_chat: bool = Field(default=True, alias="VOICE_BLOCKS_CHAT")
    timezone: str = Field(default="Asia/Shanghai", alias="TIMEZONE")
    default_region: str = Field(default="CN", alias="DEFAULT_REGION")
    demo_password: str | None = Field(default=None, alias="DEMO_PASSWORD")
    # The console: why an agent is not ready, how a contact ended, how long a silent console keeps its state.
    not_ready_reasons: Codes = Field(
        default=("break", "meal", "training", "meeting", "after_call_work"), alias="NOT_READY_REASONS"
    )
    disposition_codes: Codes = Field(
        default=("resolved", "follow_up", "escalated", "transferred", "wrong_number", "no_answer"),
        alias="DISPOSITION_CODES",
    )
    # A new contact joins the customer's open ticket of the same category if it was active this recently.
    ticket_thread_hours: int = Field(default=72, alias="TICKET_THREAD_HOURS", ge=0, le=24 * 365)
    # The return visit (回访) after a resolution: the next day from this hour (in callback hours), given up
    # this long after it was due; a score below SATISFIED_FROM, or "not resolved", reopens the ticket
    # (UNSATISFIED_ACTION=reopen) or opens a complaint about it (complaint).
    # How often one web process sweeps for SLA alarms that were lost (contactcenter/tickets/jobs.py).
    sla_sweep_seconds: int = Field(default=60, alias="SLA_SWEEP_SECONDS", ge=5, le=3600)
    # After the agent ends a call, the caller is asked to rate it 1-5 (ivr/survey.py).
    ivr_survey: bool = Field(default=True, alias="IVR_SURVEY")
    return_visit_hour: int = Field(default=9, alias="RETURN_VISIT_HOUR", ge=0, le=23)
    return_visit_expire_hours: int = Field(default=48, alias="RETURN_VISIT_EXPIRE_HOURS", ge=1, le=24 * 30)
    satisfied_from: int = Field(default=3, alias="SATISFIED_FROM", ge=1, le=5)
    unsatisfied_action: Literal["reopen", "complaint"] = Field(default="reopen", alias="UNSATISFIED_ACTION")
    # An agent with this many substantiated complaints within this many days is flagged to the managers.
    complaint_flag_count: int = Field(default=3, alias="COMPLAINT_FLAG_COUNT", ge=1, le=100)
    complaint_flag_days: int = Field(default=183, alias="COMPLAINT_FLAG_DAYS", ge=1, le=3660)
    # Quality assurance (docs/qa.md): the agent acknowledges an evaluation within QA_ACKNOWLEDGE_DAYS and may
    # dispute it within QA_DISPUTE_DAYS of its submission (each round's answer opens the window again);
    # a calibration flags an evaluator more than QA_CALIBRATION_POINTS off the reference.
    qa_acknowledge_days: int = Field(default=3, alias="QA_ACKNOWLEDGE_DAYS", ge=1, le=90)
    qa_dispute_days: int = Field(default=7, alias="QA_DISPUTE_DAYS", ge=1, le=90)
    qa_calibration_points: float = Field(default=10, alias="QA_CALIBRATION_POINTS", gt=0, le=100)
    # QA sampling (docs/qa-sampling.md): the default policies' numbers (N random contacts per agent per period of
    # at least QA_SAMPLE_MIN_SECONDS with a recording), items due QA_DUE_DAYS working days after sampling, an agent
    # watched for QA_FLAGGED_WATCH_DAYS after a complaint flag, and how often each process looks for a due run.
    qa_sample_per_agent: int = Field(default=4, alias="QA_SAMPLE_PER_AGENT", ge=0, le=1000)
    qa_sample_period_days: int = Field(default=7, alias="QA_SAMPLE_PERIOD_DAYS", ge=1, le=366)
    qa_sample_min_seconds: int = Field(default=60, alias="QA_SAMPLE_MIN_SECONDS", ge=0, le=86400)
    qa_due_days: int = Field(default=3, alias="QA_DUE_DAYS", ge=0, le=60)
    qa_flagged_watch_days: int = Field(default=30, alias="QA_FLAGGED_WATCH_DAYS", ge=0, le=3660)
    qa_sample_check_seconds: int = Field(default=3600, alias="QA_SAMPLE_CHECK_SECONDS", ge=10, le=86400)
    ticket_categories: Codes = Field(
        default=("consultation", "repair", "complaint", "order", "return_exchange", "other"),
        alias="TICKET_CATEGORIES",
    )
    chat_customer_grace_seconds: int = Field(default=60, alias="CHAT_CUSTOMER_GRACE_SECONDS", ge=1, le=3600)
    console_grace_seconds: int = Field(default=30, alias="CONSOLE_GRACE_SECONDS", ge=1, le=600)
    # What strangers may do (contactcenter/ratelimit.py): many customers can share one address (offices,
    # mobile carriers' NAT), so the chat limit is generous; it stops scripts, not people.
    chat_form_limit: int = Field(default=60, alias="CHAT_FORM_LIMIT", ge=1, le=100_000)
    chat_form_window_seconds: int = Field(default=600, alias="CHAT_FORM_WINDOW_SECONDS", ge=1, le=86_400)
    login_failure_limit: int = Field(default=10, alias="LOGIN_FAILURE_LIMIT", ge=1, le=1000)
    # Request bodies past these are refused 413 (contactcenter/body_limit.py). The API's largest body is a
    # wrap-up note or a chat message (a few KB); Twilio's documented ceiling for a webhook's payload is
    # 1 MB (its error 17564), though a voice webhook's form is a few KB.
    max_body_bytes: int = Field(default=1024 * 1024, alias="MAX_BODY_BYTES", ge=1024, le=100 * 1024 * 1024)
    max_webhook_body_bytes: int = Field(
        default=1024 * 1024, alias="MAX_WEBHOOK_BODY_BYTES", ge=1024, le=100 * 1024 * 1024
    )
    # A ticket's attachment (a photo, a signed form): its upload's body may be this much larger than
    # MAX_BODY_BYTES (contactcenter/attachments/routes.py).
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024, alias="ATTACHMENT_MAX_BYTES", ge=1024, le=100 * 1024 * 1024
    )
    login_failure_window_seconds: int = Field(default=900, alias="LOGIN_FAILURE_WINDOW_SECONDS", ge=1, le=86_400)
    # Across addresses (one name guessed from many: a botnet) and across names (one address trying a
    # common password on every name: spraying), both in LOGIN_FAILURE_WINDOW_SECONDS.
    login_user_failure_limit: int = Field(default=30, alias="LOGIN_USER_FAILURE_LIMIT", ge=1, le=100_000)
    login_address_failure_limit: int = Field(default=30, alias="LOGIN_ADDRESS_FAILURE_LIMIT", ge=1, le=100_000)
    # Messages one customer's chat socket may send per window (contactcenter/chats/socket.py).
    chat_message_limit: int = Field(default=20, alias="CHAT_MESSAGE_LIMIT", ge=1, le=10_000)
    chat_message_window_seconds: int = Field(default=10, alias="CHAT_MESSAGE_WINDOW_SECONDS", ge=1, le=3600)
    # Origins and proxies (contactcenter/web_guard.py, docs/security.md): the company sites that may embed
    # the web chat; the addresses whose X-Forwarded-For / -Proto are believed (none by default).
    chat_allowed_origins: Codes = Field(default=(), alias="CHAT_ALLOWED_ORIGINS")
    trusted_proxies: Codes = Field(default=(), alias="TRUSTED_PROXIES")
    # Server-side sessions (contactcenter/users/sessions.py): idle timeout, absolute lifetime, and how
    # often open websockets check that their session still lives.
    session_idle_minutes: int = Field(default=30, alias="SESSION_IDLE_MINUTES", ge=1, le=24 * 60)
    session_lifetime_hours: int = Field(default=12, alias="SESSION_LIFETIME_HOURS", ge=1, le=24 * 7)
    session_check_seconds: float = Field(
        default=2.0, alias="SESSION_CHECK_SECONDS", ge=0.1, le=300, allow_inf_nan=False
    )
    # A login outside one's shift (contactcenter/users/shifts.py): "flag" (allowed, shown to the team lead
    # and audited) or "refuse".
    shift_login_outside: Literal["flag", "refuse"] = Field(default="flag", alias="SHIFT_LOGIN_OUTSIDE")
    # Both ends of the console websocket ping this often; 2 intervals of silence close it.
    console_heartbeat_seconds: float = Field(
        default=10.0, alias="CONSOLE_HEARTBEAT_SECONDS", ge=0.1, le=60, allow_inf_nan=False
    )

    # Retention (contactcenter/retention/, docs/retention.md): days each class is kept, the audit trail longer
    # than any; marked objects wait the grace period, then the daily run (at this hour, the hotline's time)
    # destroys them, this many per transaction.
    retention_recordings_days: int = Field(default=365, alias="RETENTION_RECORDINGS_DAYS", ge=1, le=36500)
    retention_voicemails_days: int = Field(default=365, alias="RETENTION_VOICEMAILS_DAYS", ge=1, le=36500)
    retention_chat_transcripts_days: int = Field(default=365, alias="RETENTION_CHAT_TRANSCRIPTS_DAYS", ge=1, le=36500)
    retention_evaluations_days: int = Field(default=1095, alias="RETENTION_EVALUATIONS_DAYS", ge=1, le=36500)
    retention_tickets_days: int = Field(default=1095, alias="RETENTION_TICKETS_DAYS", ge=1, le=36500)
    retention_audit_days: int = Field(default=1825, alias="RETENTION_AUDIT_DAYS", ge=1, le=36500)
    retention_grace_days: int = Field(default=7, alias="RETENTION_GRACE_DAYS", ge=0, le=365)
    retention_run_hour: int = Field(default=3, alias="RETENTION_RUN_HOUR", ge=0, le=23)
    retention_batch: int = Field(default=500, alias="RETENTION_BATCH", ge=1, le=10_000)

    @field_validator(
        "database_url",
        "redis_url",
        "twilio_account_sid",
        "twilio_auth_token",
        "twilio_api_base",
        "recordings_dir",
        "attachments_dir",
        "secret_key",
        "ivr_flows",
        "calendars_file",
        "twilio_caller_id",
        "sms_from",
        "twilio_api_key",
        "twilio_api_secret",
        "twilio_twiml_app_sid",
        "demo_password",
        "recordings_master_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`NAME=` in a .env or compose file means "not set", not an empty value."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("not_ready_reasons", "disposition_codes", "ticket_categories", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError("needs at least one code")
            bad = [str(code) for code in value if not CODE.match(str(code))]
            if bad:
                raise ValueError(f"codes are lowercase letters, digits and _ (not {', '.join(bad)})")
        return value

    @field_validator("recordings_master_key", "recordings_old_master_keys")
    @classmethod
    def _master_keys(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        for key in (value,) if isinstance(value, str) else value or ():
            master_key_bytes(key)
        return value

    @field_validator("chat_allowed_origins", "trusted_proxies", "recordings_old_master_keys", mode="before")
    @classmethod
    def _list(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("chat_allowed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [origin for origin in value if not ORIGIN.match(origin)]
        if bad:
            raise ValueError(f"origins are scheme://host[:port], no path (not {', '.join(bad)})")
        return tuple(origin.lower() for origin in value)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for proxy in value:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"addresses or networks such as 10.0.0.5 or 172.28.0.0/24 (not {proxy})") from None
        return value

    @field_validator("retention_audit_days")
    @classmethod
    def _audit_outlives(cls, value: int, info: ValidationInfo) -> int:
        """The audit trail is kept longer than anything it covers."""
        others = [v for k, v in info.data.items() if k.startswith("retention_") and k.endswith("_days")]
        longest = max(others, default=0)
        if value <= longest:
            raise ValueError(f"must be more days than every other RETENTION_*_DAYS (the longest is {longest})")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Asia/Shanghai") from None
        return value

    @field_validator("twilio_caller_id", "sms_from")
    @classmethod
    def _caller_id(cls, value: str | None) -> str | None:
        if value and not re.match(r"^\+[1-9]\d{6,14}$", value):
            raise ValueError("must be a phone number in E.164 form, such as +862180000000")
        return value

    @field_validator("twilio_account_sid")
    @classmethod
    def _account_sid(cls, value: str | None) -> str | None:
        if value and not ACCOUNT_SID.match(value):
            raise ValueError("must look like AC followed by 32 lowercase hex characters")
        return value

    @field_validator("public_base_url", "twilio_api_base")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be an absolute http(s) URL such as https://hotline.example.com")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:/// or postgresql:// (e.g. postgresql://user@host/db)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^(redis|rediss|unix)://", value):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The database URL with a driver SQLAlchemy can load; SQLite under var/ by default."""
        if not self.database_url:
            return f"sqlite:///{(self.var_dir / 'contactcenter.db').resolve()}"
        url = self.database_url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @property
    def twilio_api(self) -> str:
        """Base URL of Twilio's REST API: the real one unless TWILIO_API_BASE points elsewhere."""
        return self.twilio_api_base or REAL_TWILIO_API

    @property
    def recordings_path(self) -> Path:
        """Where recording media are stored."""
        return self.recordings_dir or self.var_dir / "recordings"

    @property
    def attachments_path(self) -> Path:
        """Where tickets' attachments are stored (sealed)."""
        return self.attachments_dir or self.recordings_path / "attachments"

    @property
    def flows_path(self) -> Path:
        """The IVR flows: one file, or a directory of them (one per dialled number); the bundled hotline by default."""
        return self.ivr_flows or Path(__file__).resolve().parent.parent / "ivr" / "flows"

    @property
    def calendars_path(self) -> Path:
        """Opening hours and holidays, by calendar name; the bundled ones by default."""
        return self.calendars_file or Path(__file__).resolve().parent.parent / "ivr" / "calendars.yaml"

    @property
    def public_origin(self) -> str:
        """The scheme, host and port of PUBLIC_BASE_URL: the origin the app's pages are served from."""
        scheme, _, rest = self.public_base_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}".lower()

    @property
    def https(self) -> bool:
        """The app is reached over HTTPS (PUBLIC_BASE_URL): Secure cookies and HSTS."""
        return self.public_base_url.startswith("https://")

    def session_secret(self) -> str:
        """SECRET_KEY, or one generated once and kept under var/ for development."""
        if self.secret_key:
            return self.secret_key
        return self._generated("secret_key", lambda: secrets.token_urlsafe(32))

    def recordings_master_keys(self) -> list[bytes]:
        """The master keys of recordings' data keys, the current one first: RECORDINGS_MASTER_KEY (else
        one generated once and kept under var/ for development), then RECORDINGS_OLD_MASTER_KEYS."""
        current = self.recordings_master_key or self._generated("recordings_master_key", new_master_key)
        return [master_key_bytes(key) for key in (current, *self.recordings_old_master_keys)]

    def _generated(self, name: str, make: Callable[[], str]) -> str:
        """A value made once and kept owner-only in var/`name`."""
        path = self.var_dir / name
        if not path.exists():
            private_dir(self.var_dir)
            made = write_private(path.with_name(f"{name}.{os.getpid()}.{secrets.token_hex(4)}"), make().encode())
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs counts
                os.link(made, path)
            made.unlink()
        return path.read_text().strip()


def new_master_key() -> str:
    """A random 256-bit master key, as RECORDINGS_MASTER_KEY takes it (base64)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def master_key_bytes(key: str) -> bytes:
    """A master key's 32 bytes; ValueError if it is not 32 bytes in base64."""
    try:
        raw = base64.b64decode(key.strip(), altchars=b"-_" if ("-" in key or "_" in key) else None, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be 32 random bytes in base64 (contactcenter keys generate)") from None
    if len(raw) != 32:
        raise ValueError(f"must be 32 bytes in base64, not {len(raw)} (contactcenter keys generate)")
    return raw


def redact(value: object) -> object:
    """Hide the password of a URL (user:password@host) before it is shown or logged."""
    if isinstance(value, str):
        return re.sub(r"(://[^:/@\s]*:)[^@/\s]*@", r"\1***@", value)
    return value


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings, turning validation errors into one readable message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            field = Settings.model_fields.get(name)
            env = field.alias if field and field.alias else name.upper()
            shown = "***" if env in HIDDEN_INPUTS else repr(redact(error.get("input")))
            lines.append(f"  {env}: {error['msg']} (got {shown})")
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None
