"""Static checks of the container files (no Docker engine runs here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_dockerfile_is_non_root_with_healthcheck() -> None:
    lines = [line.strip() for line in (REPO / "Dockerfile").read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert any("/livez" in line for line in lines)
    cmd = [line for line in lines if line.startswith("CMD [")][-1]  # not the HEALTHCHECK one
    assert '"memory-api", "serve"' in cmd  # serve applies the migrations first


def test_volume_directories_belong_to_the_user() -> None:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    final_stage = text.split("\nFROM ")[-1]
    volumes = json.loads(final_stage.split("\nVOLUME ")[1].splitlines()[0])
    runs = " ".join(line for line in final_stage.splitlines() if line.startswith("RUN "))
    for volume in volumes:
        assert re.search(rf"mkdir -p [^&]*{re.escape(volume)}\b", runs), volume
        assert re.search(rf"chown (-R )?memory:memory [^&]*{re.escape(volume)}\b", runs), volume


def test_compose_starts_the_api_after_healthy_dependencies() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "chroma", "api"}
    for name in ("postgres", "chroma"):
        assert services[name]["healthcheck"]["test"]
        assert services["api"]["depends_on"][name]["condition"] == "service_healthy"
    env = services["api"]["environment"]
    assert env["MEMORY_API_DATABASE_URL"].startswith("postgresql://")
    assert env["MEMORY_API_CHROMA_HOST"] == "chroma"
    assert ":?" in env["MEMORY_API_API_KEYS"]  # compose refuses to start without a key
    named = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith(".") or source in named, volume
