"""The production setup's files (Dockerfile, deploy/compose.yaml, deploy/nginx.conf) agree with
each other and with the settings. The image is not built here (no Docker daemon on the
development machines or CI): these checks read the files; `docker compose config` runs too
where Docker Compose is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from django.conf import settings
from django.test import SimpleTestCase

ROOT = Path(settings.BASE_DIR)
COMPOSE = ROOT / "deploy" / "compose.yaml"
NGINX = ROOT / "deploy" / "nginx.conf"
DOCKERFILE = ROOT / "Dockerfile"

# The Compose specification's keys this file uses (a typo such as `depend_on` would be ignored
# silently by nothing here, and refused by Docker: refuse it here first).
TOP_LEVEL = {"name", "services", "volumes", "networks"}
SERVICE = {"image", "build", "init", "restart", "environment", "volumes", "depends_on",
           "healthcheck", "command", "ports"}  # fmt: skip
HEALTHCHECK = {"test", "interval", "timeout", "retries", "start_period", "disable"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
RESTART = {"no", "always", "on-failure", "unless-stopped"}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def app_servers(doc: dict) -> dict[str, dict]:
    """The services that run the image's own command (gunicorn)."""
    return {
        name: s for name, s in doc["services"].items()
        if s.get("image", "").startswith("nps-diagnostic") and "command" not in s
    }  # fmt: skip


class ComposeFileTests(SimpleTestCase):
    def test_only_known_keys(self):
        doc = compose()
        self.assertLessEqual({k for k in doc if not k.startswith("x-")}, TOP_LEVEL)
        for name, service in doc["services"].items():
            self.assertLessEqual(set(service), SERVICE, name)
            self.assertLessEqual(set(service.get("healthcheck", {})), HEALTHCHECK, name)
            if "restart" in service:
                self.assertIn(service["restart"], RESTART, name)
            self.assertTrue("image" in service or "build" in service, name)

    def test_references_resolve(self):
        doc = compose()
        services, volumes = set(doc["services"]), set(doc.get("volumes") or {})
        for name, service in doc["services"].items():
            for dep, how in (service.get("depends_on") or {}).items():
                self.assertIn(dep, services, name)
                self.assertIn(how["condition"], CONDITIONS, name)
                if how["condition"] == "service_healthy":
                    self.assertIn("healthcheck", doc["services"][dep], dep)
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if not source.startswith((".", "/", "$")):
                    self.assertIn(source, volumes, name)
            if "build" in service:
                context = (COMPOSE.parent / service["build"]["context"]).resolve()
                self.assertTrue((context / service["build"]["dockerfile"]).is_file(), name)

    def test_two_app_servers_postgres_redis_and_a_proxy(self):
        doc = compose()
        apps = app_servers(doc)
        self.assertEqual(len(apps), 2, sorted(apps))
        images = {name: s.get("image", "") for name, s in doc["services"].items()}
        self.assertTrue(any(i.startswith("postgres:") for i in images.values()))
        self.assertTrue(any(i.startswith("redis:") for i in images.values()))
        self.assertTrue(any(i.startswith("nginx:") for i in images.values()))
        for name, service in apps.items():
            env = service["environment"]
            self.assertEqual(env["BEHIND_PROXY"], "1", name)
            self.assertEqual(env["SECURE"], "1", name)
            self.assertRegex(env["DATABASE_URL"], r"^postgres://[^@]+@db:5432/", name)
            self.assertEqual(env["REDIS_URL"], "redis://redis:6379/0", name)
            self.assertIn("db", doc["services"])
            self.assertIn("redis", doc["services"])
            # Uploaded files on one volume that both servers mount at MEDIA_ROOT.
            self.assertIn(f"media:{env['MEDIA_ROOT']}", service["volumes"], name)
            self.assertTrue(service["init"], name)  # signals and child processes reaped

    def test_a_worker_runs_the_background_jobs_with_the_apps_settings(self):
        """docs/decisions/0033: queued jobs (the broker's plan) need `manage.py db_worker`."""
        doc = compose()
        workers = {n: s for n, s in doc["services"].items() if "db_worker" in s.get("command", [])}
        self.assertEqual(list(workers), ["worker"])
        worker, app = workers["worker"], next(iter(app_servers(doc).values()))
        self.assertEqual(worker["environment"], app["environment"])
        self.assertEqual(
            worker["depends_on"]["migrate"]["condition"], "service_completed_successfully"
        )
        self.assertTrue(worker["init"])  # its SIGTERM on `docker compose stop`: a graceful stop

    def test_every_variable_given_to_the_app_is_a_setting(self):
        text = (ROOT / "diagnostic" / "settings.py").read_text()
        read = set(re.findall(r"""(?:getenv|envbool|envint|envlist)\(\s*["']([A-Z_]+)["']""", text))
        read |= {"GUNICORN_WORKERS"}  # the image's command
        for name, service in app_servers(compose()).items():
            self.assertLessEqual(set(service["environment"]), read, name)

    def test_a_secret_is_never_written_in_the_file(self):
        for name, service in compose()["services"].items():
            for key, value in (service.get("environment") or {}).items():
                if "SECRET" in key or "PASSWORD" in key:
                    self.assertRegex(str(value), r"^\$\{[A-Z_]+:\?", (name, key))

    def test_the_proxy_passes_to_both_servers_with_the_headers_behind_proxy_reads(self):
        conf = NGINX.read_text()
        upstream = re.search(r"upstream\s+(\w+)\s*\{(.*?)\}", conf, re.S)
        servers = set(re.findall(r"server\s+([\w-]+):8000", upstream.group(2)))
        self.assertEqual(servers, set(app_servers(compose())))
        self.assertIn(f"proxy_pass http://{upstream.group(1)};", conf)
        # Appended, never replaced: client_ip.py counts TRUSTED_PROXY_COUNT from the right.
        self.assertIn("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", conf)
        self.assertIn("proxy_set_header X-Forwarded-Proto $scheme;", conf)
        self.assertEqual(settings.SECURE_PROXY_SSL_HEADER if settings.BEHIND_PROXY else None,
                         ("HTTP_X_FORWARDED_PROTO", "https") if settings.BEHIND_PROXY else None)  # fmt: skip
        self.assertIn("proxy_set_header Host $host;", conf)
        from diagnostic.practice.uploads import MAX_BYTES

        size = int(re.search(r"client_max_body_size\s+(\d+)m;", conf).group(1))
        self.assertGreater(size * 1024 * 1024, MAX_BYTES)
        # A request already sent is never retried on the other server (a POST must not run twice).
        self.assertIn("proxy_next_upstream error;", conf)

    def test_docker_compose_accepts_it_where_installed(self):
        docker = shutil.which("docker")
        if docker is None or subprocess.run([docker, "compose", "version"],  # noqa: S603
                                            capture_output=True).returncode != 0:  # fmt: skip
            self.skipTest("Docker Compose is not installed here")
        env = {**os.environ, "SECRET_KEY": "x" * 50, "NPS_HOST": "nps.example",
               "POSTGRES_PASSWORD": "x"}  # fmt: skip
        out = subprocess.run([docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],  # noqa: S603
                             capture_output=True, text=True, env=env)  # fmt: skip
        self.assertEqual(out.returncode, 0, out.stderr)


class DockerfileTests(SimpleTestCase):
    def test_python_311_slim_non_root_gunicorn_and_weasyprints_libraries(self):
        text = DOCKERFILE.read_text()
        self.assertRegex(text, r"(?m)^FROM python:3\.11-slim")
        users = re.findall(r"(?m)^USER\s+(\S+)", text)
        self.assertTrue(users and users[-1] not in ("root", "0"), users)
        for lib in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz0b", "fonts-dejavu-core"):
            self.assertIn(lib, text)
        self.assertRegex(text, r"(?m)^CMD .*gunicorn diagnostic\.wsgi")
        self.assertIn("collectstatic", text)
        ignored = (ROOT / ".dockerignore").read_text().split()
        for path in (".git", ".venv", "var"):
            self.assertIn(path, ignored)
