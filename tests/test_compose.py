"""The deployment files (compose.yaml, Dockerfile, .dockerignore), checked without Docker: the
compose file is read with PyYAML, its `${VAR...}` interpolation is resolved the way Compose does,
and every command a container runs is parsed by the real `contactcenter` CLI."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from contactcenter.cli import build_parser
from contactcenter.settings import load_settings
from tests.environment import clear_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_IMAGE_SERVICES = ("migrate", "app", "worker")
SECRETS = ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "POSTGRES_PASSWORD", "RECORDINGS_MASTER_KEY")
REQUIRED_FROM_ENVIRONMENT = (*SECRETS, "TWILIO_ACCOUNT_SID", "PUBLIC_BASE_URL")
DEPLOYMENT_ENV = {
    "SECRET_KEY": "test-secret-key",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "test-auth-token",
    "POSTGRES_PASSWORD": "test-postgres-password",
    "RECORDINGS_MASTER_KEY": "dGVzdC1yZWNvcmRpbmdzLW1hc3Rlci1rZXktMzJieXQ=",
    "PUBLIC_BASE_URL": "https://hotline.example.com",
}

# ${NAME}, ${NAME:?err}, ${NAME?err}, ${NAME:-default}, ${NAME-default}; $$ is a literal dollar.
INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[?-])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    """Compose would refuse to start: a `${NAME:?message}` variable is not set."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Resolve Compose interpolation in every string of a parsed compose document."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        is_set = name in env and (env[name] != "" or op not in (":?", ":-"))
        if is_set:
            return env[name]
        if op in (":?", "?"):
            raise MissingVariable(f"{name}: {arg}")
        return arg if op in (":-", "-") else ""

    return INTERPOLATION.sub(replace, value)


def raw_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """compose.yaml as Compose sees it with every required variable set."""
    return interpolate(raw_compose(), DEPLOYMENT_ENV)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Named volume (or host path) -> container path, for short and long volume syntax."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        mounts[source] = target
    return mounts


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_cmd() -> list[str]:
    commands = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "CMD"]
    assert commands, "the Dockerfile has no CMD"
    return json.loads(commands[-1])


def parse_cli(argv: list[str]) -> Any:
    assert argv[0] == "contactcenter", f"{argv} does not run the contactcenter console script"
    try:
        return build_parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"`{shlex.join(argv)}` is not a valid contactcenter command")


# --- services and their commands -------------------------------------------------------------


def test_compose_file_uses_the_compose_spec_without_a_version_key() -> None:
    assert "version" not in raw_compose()


def test_compose_defines_migrate_app_worker_redis_and_postgres(services: dict[str, Any]) -> None:
    assert {"migrate", "app", "worker", "redis", "postgres"} <= services.keys()


def test_migrate_upgrades_the_database_once_and_is_not_restarted(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    args = parse_cli(command_of(migrate))
    assert (args.command, args.db_command) == ("db", "upgrade")
    assert migrate["restart"] == "no"


def test_app_runs_two_replicas_serving_on_all_interfaces_without_migrating(services: dict[str, Any]) -> None:
    app = services["app"]
    assert app["deploy"]["replicas"] == 2
    args = parse_cli(command_of(app))
    assert args.command == "serve"
    assert args.host == "0.0.0.0"
    assert args.port == 8000
    assert args.no_migrate, "replicas must not race to migrate; the migrate service does it"


def test_worker_runs_the_rq_worker(services: dict[str, Any]) -> None:
    args = parse_cli(command_of(services["worker"]))
    assert args.command == "worker"
    assert not args.burst, "a burst worker would exit when the queue is empty"


def test_app_worker_and_migrate_run_the_image_built_from_this_repository(services: dict[str, Any]) -> None:
    images = {services[name]["image"] for name in APP_IMAGE_SERVICES}
    assert len(images) == 1
    for name in APP_IMAGE_SERVICES:
        assert services[name]["build"] == ".", name


def test_app_publishes_one_host_port_per_replica(services: dict[str, Any]) -> None:
    app = services["app"]
    (mapping,) = app["ports"]
    host, container = str(mapping).rsplit(":", 1)
    host_ports = host.rsplit(":", 1)[-1]
    first, _, last = host_ports.partition("-")
    assert int(container) == parse_cli(command_of(app)).port
    assert int(last or first) - int(first) + 1 >= app["deploy"]["replicas"], "replicas would fight over a host port"


def test_app_health_is_checked_with_python_against_healthz_on_its_port(services: dict[str, Any]) -> None:
    test = services["app"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "python:3.11-slim has no curl"
    assert "urllib.request.urlopen('http://127.0.0.1:8000/healthz'" in test[3]


# --- dependencies and health ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["app", "worker"])
def test_service_waits_for_migrations_and_healthy_postgres_and_redis(services: dict[str, Any], name: str) -> None:
    assert services[name]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_migrate_waits_for_a_healthy_postgres(services: dict[str, Any]) -> None:
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_every_service_awaited_as_healthy_has_a_healthcheck(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}, which has no healthcheck"


def test_redis_health_is_checked_with_redis_cli_ping(services: dict[str, Any]) -> None:
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_postgres_health_is_checked_with_pg_isready_for_the_app_database(services: dict[str, Any]) -> None:
    postgres = services["postgres"]
    test = postgres["healthcheck"]["test"]
    assert "pg_isready" in test[1]
    assert postgres["environment"]["POSTGRES_USER"] in test
    assert postgres["environment"]["POSTGRES_DB"] in test


# --- persistence --------------------------------------------------------------------------------


def test_redis_persists_every_write_to_an_append_only_file_on_a_named_volume(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:7")
    command = command_of(redis)
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    (volume,) = [name for name, target in volume_mounts(redis).items() if target == "/data"]
    assert volume in compose["volumes"]


def test_postgres_keeps_its_data_on_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:16")
    (volume,) = [name for name, target in volume_mounts(postgres).items() if target == "/var/lib/postgresql/data"]
    assert volume in compose["volumes"]


def test_app_and_worker_share_the_recordings_volume_at_recordings_dir(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "recordings" in compose["volumes"]
    for name in ("app", "worker"):
        recordings_dir = services[name]["environment"]["RECORDINGS_DIR"]
        assert volume_mounts(services[name]).get("recordings") == recordings_dir, name


def test_image_prepares_recordings_dir_for_its_non_root_user(services: dict[str, Any]) -> None:
    """A new named volume copies the image directory's ownership, so the worker can write to it."""
    recordings_dir = services["worker"]["environment"]["RECORDINGS_DIR"]
    runs = " ".join(arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN")
    assert re.search(rf"mkdir -p [^&]*{re.escape(recordings_dir)}", runs)
    owned = re.search(r"chown -R \S+ (\S+)", runs)
    assert owned and f"{recordings_dir}/".startswith(owned.group(1).rstrip("/") + "/")


# --- shared environment and secrets -------------------------------------------------------------


def test_app_worker_and_migrate_get_the_identical_environment(services: dict[str, Any]) -> None:
    app_env = services["app"]["environment"]
    for name in ("worker", "migrate"):
        assert services[name]["environment"] == app_env, name
    assert {
        "DATABASE_URL",
        "REDIS_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_BASE",
        "PUBLIC_BASE_URL",
        "SECRET_KEY",
        "RECORDINGS_DIR",
    } <= app_env.keys()


def test_shared_environment_is_one_extension_field_anchor_used_by_each_service() -> None:
    text = COMPOSE_FILE.read_text()
    anchors = dict(re.findall(r"^(x-[\w-]+):\s*&([\w-]+)\s*$", text, re.MULTILINE))
    (extension,) = [field for field, anchor in anchors.items() if f"environment: *{anchor}" in text]
    assert text.count(f"environment: *{anchors[extension]}") == len(APP_IMAGE_SERVICES)
    for name in APP_IMAGE_SERVICES:
        assert raw_compose()["services"][name]["environment"] == raw_compose()[extension], name


def test_database_url_points_at_the_postgres_service_with_its_credentials(services: dict[str, Any]) -> None:
    url = make_url(services["app"]["environment"]["DATABASE_URL"])
    postgres_env = services["postgres"]["environment"]
    assert url.get_backend_name() == "postgresql"
    assert (url.host, url.port) == ("postgres", 5432)
    assert url.username == postgres_env["POSTGRES_USER"]
    assert url.password == postgres_env["POSTGRES_PASSWORD"] == DEPLOYMENT_ENV["POSTGRES_PASSWORD"]
    assert url.database == postgres_env["POSTGRES_DB"]


def test_forwarded_addresses_are_believed_from_the_balancers_gateway_only(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    env = services["app"]["environment"]
    assert "FORWARDED_ALLOW_IPS" not in env  # uvicorn's own variable: `serve` sets it from TRUSTED_PROXIES
    gateway = compose["networks"]["default"]["ipam"]["config"][0]["gateway"]
    assert env["TRUSTED_PROXIES"] == gateway and "*" not in env["TRUSTED_PROXIES"]


def test_redis_url_points_at_the_redis_service(services: dict[str, Any]) -> None:
    assert services["app"]["environment"]["REDIS_URL"].startswith("redis://redis:6379/")


def test_shared_environment_passes_the_apps_settings_validation(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clear_settings(monkeypatch, tmp_path)
    for key, value in services["app"]["environment"].items():
        if value is None:  # no value in compose: unset in the container unless the shell sets it
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, str(value))
    settings = load_settings()
    assert settings.twilio_api == "https://api.twilio.com", "TWILIO_API_BASE unset means real Twilio"
    assert settings.secret_key == DEPLOYMENT_ENV["SECRET_KEY"]
    assert settings.public_base_url == DEPLOYMENT_ENV["PUBLIC_BASE_URL"]


@pytest.mark.parametrize("variable", REQUIRED_FROM_ENVIRONMENT)
def test_compose_refuses_to_start_without_each_required_variable(variable: str) -> None:
    env = {key: value for key, value in DEPLOYMENT_ENV.items() if key != variable}
    with pytest.raises(MissingVariable, match=variable):
        interpolate(raw_compose(), env)


@pytest.mark.parametrize("secret", SECRETS)
def test_secret_is_only_ever_a_required_variable_never_a_default(secret: str) -> None:
    text = COMPOSE_FILE.read_text()
    references = re.findall(rf"\$\{{{secret}([^}}]*)\}}", text)
    assert references, f"{secret} is not taken from the environment"
    assert all(reference.startswith(":?") for reference in references), f"{secret} has a default: {references}"


def test_no_secret_is_hard_coded_in_any_service_environment() -> None:
    for name, service in raw_compose()["services"].items():
        environment = service.get("environment", {})
        for secret in SECRETS:
            if secret in environment:
                assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", environment[secret]), f"{name}: {secret}"
        if "DATABASE_URL" in environment:
            credentials = re.match(r"^[\w+]+://[^:/@]+:(?P<password>.*)@[^@]+$", environment["DATABASE_URL"])
            assert credentials, f"{name}: DATABASE_URL has no password"
            assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", credentials["password"]), name


def test_no_variable_has_a_default_that_could_stand_in_for_a_secret() -> None:
    defaults = re.findall(r"\$\{(\w+):?-[^}]*\}", COMPOSE_FILE.read_text())
    assert not [name for name in defaults if re.search(r"KEY|TOKEN|PASSWORD|SECRET", name)]


# --- image ---------------------------------------------------------------------------------------


def test_dockerfile_is_python_3_11_slim_and_runs_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_installs_the_project_without_dev_dependencies() -> None:
    runs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]
    assert installs
    assert not any("[test]" in run or "-e " in run for run in installs)


def test_dockerfile_exposes_and_serves_on_port_8000_by_default() -> None:
    assert ("EXPOSE", "8000") in dockerfile_instructions()
    args = parse_cli(dockerfile_cmd())
    assert (args.command, args.host, args.port) == ("serve", "0.0.0.0", 8000)


def test_docker_build_context_keeps_what_pip_needs_and_drops_local_state() -> None:
    patterns = [
        line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, pattern.removeprefix("**/")) or path.startswith(pattern + "/") for pattern in patterns
        )

    for needed in (
        "pyproject.toml",
        "README.md",
        "contactcenter/cli.py",
        "ivr/flows/hotline.yaml",
        "agents/static/console.js",
        "queues/lua/lib/1_base.lua",
        "recordings/jobs.py",
        "twilio_sandbox/static/phone.js",
    ):
        assert not ignored(needed), needed
    for unwanted in (".venv", "var", ".git", ".env", "tests", "__pycache__", ".pytest_cache", ".ruff_cache"):
        assert ignored(unwanted), unwanted
