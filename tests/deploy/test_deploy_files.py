"""The deployment files parse, say what operators rely on, and only run commands the image really has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from ghapp.cli import COMMANDS, build_parser
from ghapp.handlers import build_handlers
from ghapp.observability.metrics import Metrics
from tests.paths import FIXTURES, ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
YAML_FILES = sorted([*DEPLOY.rglob("*.yml"), *DEPLOY.rglob("*.yaml"), ROOT / "app.yml", WORKFLOW])


def k8s_objects() -> dict[tuple[str, str], dict[str, Any]]:
    objects = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yml").read_text())
    return data


def dockerfile_exec_form(instruction: str) -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text()
    found = re.findall(rf"^{instruction}\s+(\[.*\])\s*$", text, re.MULTILINE)
    assert len(found) == 1, f"one exec-form {instruction} expected"
    return list(yaml.safe_load(found[0]))


def image_commands() -> list[tuple[str, list[str]]]:
    """Every `ghapp ...` argv the image is started with, wherever it is written."""
    entry = dockerfile_exec_form("ENTRYPOINT")
    assert entry == ["ghapp"]
    found = [("Dockerfile CMD", dockerfile_exec_form("CMD"))]
    for name, service in compose()["services"].items():
        if "build" in service or service.get("image", "").startswith("prompt-to-pr"):
            found.append((f"compose {name}", list(service["command"])))
    for (kind, name), obj in k8s_objects().items():
        if kind in ("Deployment", "Job"):
            found.extend((f"{kind} {name}", list(c["args"])) for c in containers(obj))
    return found


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_parses(path: Path) -> None:
    docs = list(yaml.safe_load_all(path.read_text()))
    assert docs and all(isinstance(d, dict) for d in docs)


def test_image_commands_exist_in_the_cli() -> None:
    commands = image_commands()
    assert {argv[0] for _, argv in commands} == {"serve", "worker", "db"}
    for where, argv in commands:
        assert argv[0] in COMMANDS, f"{where}: `ghapp {shlex.join(argv)}` is not a command"
        build_parser(argv[0]).parse_args(argv)  # argparse exits (SystemExit) on arguments it does not know


def test_dockerfile_is_slim_non_root_and_checks_health() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "HEALTHCHECK" in text and "/healthz" in text


def test_dockerfile_installs_the_wheel_not_an_editable_checkout() -> None:
    """The image runs the App as pip installs it for anyone: a wheel whose package data carries the policies
    and app.yml (both copied in to build it), with the build folder gone before the App starts."""
    text = (DEPLOY / "Dockerfile").read_text()
    runs = [" ".join(block.split()) for block in re.findall(r"^RUN\s+((?:.*\\\n)*.*)$", text, re.MULTILINE)]
    assert "COPY policies" in text and "COPY app.yml" in text and "COPY ghapp" in text
    assert not re.search(r"pip install[^&]*(\s-e\s|--editable)", text)
    (build,) = [r for r in runs if "pip wheel" in r]
    assert re.search(r"pip wheel --no-deps --wheel-dir (\S+) \.", build)
    assert re.search(r"pip install --no-deps \S+/prompt_to_pr-\*\.whl", build)
    assert re.search(r"rm -rf /app\b", build)  # nothing of the checkout is left for the App to read
    workdirs = re.findall(r"^WORKDIR\s+(\S+)", text, re.MULTILINE)
    assert workdirs[-1] == "/data"


def test_compose_runs_app_worker_postgres_redis_and_migrates_first() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "app", "worker"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    # the worker service does the work; metrics on their own port, not published like the web port
    assert services["app"]["command"] == ["serve", "--no-worker", "--metrics-port", "9100", "--web-processes", "1"]
    assert all("9100" not in str(p) for p in services["app"]["ports"])
    for role in ("app", "worker"):
        depends = services[role]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        env = services[role]["environment"]
        assert env["GHAPP_DATABASE_URL"].startswith("postgresql://") and env["GHAPP_REDIS_URL"].startswith("redis://")
        assert "ghapp-data:/data" in services[role]["volumes"]  # credentials stored by /setup are shared
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_kubernetes_objects_probes_and_secrets() -> None:
    objects = k8s_objects()
    assert set(objects) >= {
        ("Deployment", "prompt-to-pr-web"),
        ("Deployment", "prompt-to-pr-worker"),
        ("Service", "prompt-to-pr"),
        ("Job", "prompt-to-pr-migrate"),
        ("ScaledObject", "prompt-to-pr-worker"),
        ("ConfigMap", "prompt-to-pr"),
        ("Secret", "prompt-to-pr"),
    }
    (web,) = containers(objects[("Deployment", "prompt-to-pr-web")])
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    secret_keys = set(objects[("Secret", "prompt-to-pr")]["stringData"])
    assert {"GHAPP_APP_ID", "GHAPP_PRIVATE_KEY", "GHAPP_WEBHOOK_SECRET", "GHAPP_DATABASE_URL"} <= secret_keys
    for kind, name in [("Deployment", "prompt-to-pr-web"), ("Deployment", "prompt-to-pr-worker")]:
        for c in containers(objects[(kind, name)]):
            assert {"secretRef": {"name": "prompt-to-pr"}} in c["envFrom"], f"{name} reads no Secret"
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert not any("value" in e and e["name"] in secret_keys for e in c.get("env", []))  # no inline secrets
        assert objects[(kind, name)]["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    (migrate,) = containers(objects[("Job", "prompt-to-pr-migrate")])
    assert migrate["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "prompt-to-pr", "key": "GHAPP_DATABASE_URL"}
    service = objects[("Service", "prompt-to-pr")]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "web"
    # the scanners' network where the sandbox cannot run: DNS, HTTPS, PostgreSQL and Redis, never metadata
    policy = objects[("NetworkPolicy", "prompt-to-pr-worker")]["spec"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "worker"
    ports = {p["port"] for rule in policy["egress"] for p in rule["ports"]}
    assert ports == {53, 443, 5432, 6379}
    assert any("169.254.169.254/32" in t["ipBlock"]["except"] for r in policy["egress"] for t in r.get("to", []))
    # /metrics is off the web port (it would need GHAPP_METRICS_TOKEN there): its own port, not in the Service
    assert web["args"][-2:] == ["--metrics-port", "9100"]
    template = objects[("Deployment", "prompt-to-pr-web")]["spec"]["template"]
    assert template["metadata"]["annotations"]["prometheus.io/port"] == "9100"
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]


def test_workers_scale_on_the_exported_queue_depth_metric() -> None:
    scaled = k8s_objects()[("ScaledObject", "prompt-to-pr-worker")]
    assert scaled["spec"]["scaleTargetRef"]["name"] == "prompt-to-pr-worker"
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    metric = re.search(r"\b(ghapp_[a-z_]+)\b", trigger["metadata"]["query"])
    assert metric is not None
    exported = {m.name for m in Metrics().registry.collect()}  # the name must be one the App exports
    assert metric[1] in exported


def test_ci_runs_scripts_test_on_a_python_matrix_with_services() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    assert set(jobs) == {"unit", "integration"}
    assert jobs["unit"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    assert set(jobs["integration"]["services"]) == {"postgres", "redis"}
    assert jobs["integration"]["services"]["postgres"]["env"]["POSTGRES_DB"] == "test"
    runs = {name: [s["run"] for s in job["steps"] if "run" in s] for name, job in jobs.items()}
    assert runs["unit"] == ['./scripts/test -m "not (postgres or redis or browser or tools or slow)"']
    assert runs["integration"] == ['./scripts/test -m "postgres or redis or browser or tools or slow"']
    for job in jobs.values():
        setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
        assert setup["with"]["cache"] == "pip"
    # The unit job keeps the core coverage gate; only the integration job may turn it off.
    assert "CORE_COVERAGE_GATE" not in str(jobs["unit"])
    assert "CORE_COVERAGE_GATE" in (ROOT / "scripts" / "test").read_text()


# What each GitHub REST route the App calls needs from the installation (docs.github.com, "Permissions
# required for GitHub Apps"). A route missing here fails the test: add it, and to app.yml if needed.
ROUTE_PERMISSIONS: list[tuple[str, str, str, str]] = [  # (methods, route regex with {} for any parameter, ...)
    ("GET", r"/repos/{}/{}", "metadata", "read"),
    ("GET", r"/repos/{}/{}/pulls/.*", "pull_requests", "read"),
    ("POST|DELETE", r"/repos/{}/{}/pulls/{}/requested_reviewers", "pull_requests", "write"),
    ("PUT", r"/repos/{}/{}/pulls/{}/reviews/{}/dismissals", "pull_requests", "write"),
    ("POST", r"/repos/{}/{}/pulls/{}/reviews", "pull_requests", "write"),
    ("POST", r"/repos/{}/{}/code-scanning/sarifs", "security_events", "write"),
    ("GET", r"/repos/{}/{}/commits/{}/pulls", "pull_requests", "read"),
    ("GET", r"/repos/{}/{}/(compare|contents|tarball)/.*", "contents", "read"),
    ("GET", r"/repos/{}/{}/git/blobs/{}", "contents", "read"),
    ("GET", r"/orgs/{}/teams/{}/memberships/{}", "members", "read"),
    ("POST", r"/repos/{}/{}/check-runs", "checks", "write"),
    ("PATCH", r"/repos/{}/{}/check-runs/{}", "checks", "write"),
    ("GET", r"/repos/{}/{}/commits/{}/check-runs", "checks", "read"),
    ("GET", r"/repos/{}/{}/check-runs/{}/annotations", "checks", "read"),
    ("GET", r"/repos/{}/{}/issues/{}/(labels|comments|events)", "issues", "read"),
    ("POST|DELETE", r"/repos/{}/{}/issues/{}/labels(/{})?", "issues", "write"),
    ("POST", r"/repos/{}/{}/(issues|labels)", "issues", "write"),
    ("PATCH", r"/repos/{}/{}/labels/{}", "issues", "write"),
    ("POST", r"/repos/{}/{}/issues/{}/comments", "issues", "write"),
    # Authenticated as the App itself (JWT): no installation permission involved.
    ("GET|POST", r"/app(/.*)?", "", ""),
    ("GET", r"/repos/{}/{}/installation", "", ""),
]
# Events a GitHub App may subscribe to only with a permission of their own (docs.github.com, "Webhook events
# and payloads": "To subscribe to this event, a GitHub App must have at least read-level access for ...").
EVENT_PERMISSIONS: dict[str, tuple[str, str]] = {"merge_group": ("merge_queues", "read")}
# Sent to every App whatever it subscribes to.
AUTOMATIC_EVENTS = {"installation", "installation_repositories", "ping", "github_app_authorization"}
LEVEL = {"read": 1, "write": 2}


def routes_called() -> set[tuple[str, str]]:
    """(method, route template) of every GitHub call in ghapp/: explicit pairs, and `_paged(...)` GETs."""
    found: set[tuple[str, str]] = set()
    for path in (ROOT / "ghapp").rglob("*.py"):
        text = path.read_text()
        for method, route in re.findall(r'"(GET|POST|PATCH|PUT|DELETE)",\s*"(/[^"]+)"', text):
            found.add((method, route))
        found.update(("GET", route) for route in re.findall(r'_paged\(\s*"(/[^"]+)"', text))
        found.update(re.findall(r'"(GET|POST|PATCH|PUT|DELETE) (/(?:repos|orgs|app)[^"\s]*)"', text))
    return found


def needed(method: str, route: str) -> tuple[str, str]:
    generic = re.sub(r"\{\w+\}", "{}", route)
    for methods, pattern, permission, level in ROUTE_PERMISSIONS:
        if method in methods.split("|") and re.fullmatch(pattern.replace("{}", r"\{\}"), generic):
            return permission, level
    raise AssertionError(f"{method} {route}: add it to ROUTE_PERMISSIONS (and app.yml if it needs more)")


def test_app_yml_grants_what_the_code_calls_and_nothing_more() -> None:
    manifest = yaml.safe_load((ROOT / "app.yml").read_text())
    granted: dict[str, str] = manifest["default_permissions"]
    calls = routes_called()
    assert len(calls) >= 15  # the extraction works: the client calls at least this many routes
    used: dict[str, str] = {}
    for method, route in sorted(calls):
        permission, level = needed(method, route)
        if not permission:
            continue
        assert permission in granted, f"{method} {route} needs {permission}: {level}"
        assert LEVEL[granted[permission]] >= LEVEL[level], f"{method} {route} needs {permission}: {level}"
        if LEVEL[level] > LEVEL.get(used.get(permission, ""), 0):
            used[permission] = level
    used["metadata"] = "read"  # every App has it
    for event in manifest["default_events"]:
        if event in EVENT_PERMISSIONS:
            permission, level = EVENT_PERMISSIONS[event]
            assert LEVEL.get(granted.get(permission, ""), 0) >= LEVEL[level], f"{event} needs {permission}: {level}"
            if LEVEL[level] > LEVEL.get(used.get(permission, ""), 0):
                used[permission] = level
    assert granted == {k: used[k] for k in granted}, f"app.yml grants more than the code uses: {used}"
    assert "statuses" not in granted and "administration" not in granted


def test_app_yml_subscribes_to_every_event_a_handler_handles() -> None:
    subscribed = set(yaml.safe_load((ROOT / "app.yml").read_text())["default_events"])
    handled = {key[0] if isinstance(key, tuple) else key for key in build_handlers()}
    assert handled - AUTOMATIC_EVENTS <= subscribed, "a handler's event is not subscribed in app.yml"
    assert subscribed <= handled, "app.yml subscribes to events no handler acts on (each costs a delivery)"
    fixtures = {
        p.name for folder in ("webhooks", "webhooks-extra") for p in (FIXTURES / folder).iterdir() if p.is_dir()
    }
    assert subscribed - fixtures <= {"issue_comment"}  # real event names (issue_comment has no fixture)


def test_operations_doc_lists_every_setting_and_metric() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text()
    settings_py = (ROOT / "ghapp" / "settings.py").read_text()
    variables = {f"GHAPP_{name}" for name in re.findall(r'"([A-Z_]+)": "[a-z_]+"', settings_py)}
    variables |= set(re.findall(r'"(GHAPP_[A-Z_]+)"', settings_py))
    assert len(variables) >= 30
    documented = set(re.findall(r"^\| `(GHAPP_[A-Z_]+)` \|", doc, re.MULTILINE))
    assert variables <= documented, f"not in docs/operations.md: {sorted(variables - documented)}"
    assert documented <= variables, f"documented but not read: {sorted(documented - variables)}"
    exported = {m.name for m in Metrics().registry.collect()}
    listed = set(re.findall(r"^\| `(ghapp_[a-z_]+)` \|", doc, re.MULTILINE))
    assert {n.removesuffix("_total") for n in listed} == exported
