"""scripts/bootstrap.sh and scripts/serve, on a stand-in virtualenv that records what pip is asked.

The stand-in's ``python -m ...`` only logs its arguments; anything else runs the real
interpreter (bootstrap reads pyproject.toml with it), so no test here installs anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _fake_venv(tmp_path: Path) -> tuple[Path, Path]:
    venv, log = tmp_path / "venv", tmp_path / "calls.log"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-m" ]; then echo "$*" >> "{log}"; exit 0; fi\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    cli = venv / "bin" / "memory-api"
    cli.write_text(f'#!/bin/sh\necho "memory-api $*" >> "{log}"\n')
    python.chmod(0o755)
    cli.chmod(0o755)
    return venv, log


def _env(venv: Path) -> dict[str, str]:
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != Path(sys.executable).parent
    )
    return {**os.environ, "MEMORY_API_VENV": str(venv), "PATH": path}


def _bootstrap(venv: Path, extras: str) -> subprocess.CompletedProcess[str]:
    script = f'source "{REPO}/scripts/bootstrap.sh" "{extras}"'
    return subprocess.run(
        ["bash", "-c", script], env=_env(venv), capture_output=True, text=True, timeout=60
    )


def _calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_one_install_then_extras_on_top_and_no_reinstall_when_alternating(
    tmp_path: Path,
) -> None:
    venv, log = _fake_venv(tmp_path)
    constraints = f"-c {REPO}/constraints.txt"

    assert _bootstrap(venv, "dev").returncode == 0
    calls = _calls(log)
    assert calls[:2] == [
        "-m pip install --quiet --upgrade pip",
        f"-m pip install --quiet {constraints} -e {REPO}",
    ]
    assert len(calls) == 3
    dev = calls[2].split()
    assert dev[:5] == ["-m", "pip", "install", "--quiet", "-c"]
    assert "pytest>=8,<10" in dev and "-e" not in dev  # the extra alone, not the project again

    for extras in ("", "dev", "", "dev"):  # scripts/serve, scripts/test, ...
        result = _bootstrap(venv, extras)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
    assert len(_calls(log)) == 3

    (venv / ".install-stamp").write_text("0123456789abcdef dev\n")  # pyproject.toml changed
    assert _bootstrap(venv, "").returncode == 0
    assert _calls(log)[3:] == calls[:2]
    assert _bootstrap(venv, "dev").returncode == 0
    assert _calls(log)[5:] == calls[2:]


def test_serve_says_how_to_get_the_command_on_path(tmp_path: Path) -> None:
    venv, log = _fake_venv(tmp_path)
    assert _bootstrap(venv, "").returncode == 0
    result = subprocess.run(
        [str(REPO / "scripts" / "serve"), "--port", "8123"],
        env=_env(venv),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"==> memory-api is installed in {venv}/bin; put it on your PATH with: "
        f"source {venv}/bin/activate\n"
    )
    assert _calls(log)[-1] == "memory-api serve --port 8123"

    on_path = {**_env(venv), "PATH": f"{venv}/bin{os.pathsep}{_env(venv)['PATH']}"}
    quiet = subprocess.run(
        [str(REPO / "scripts" / "serve")], env=on_path, capture_output=True, text=True, timeout=60
    )
    assert quiet.returncode == 0 and quiet.stderr == ""


def _chromium_setup(tmp_path: Path, uid: int, sudo: bool, present: bool) -> tuple[str, list[str]]:
    """Source scripts/chromium.sh with stand-in apt-get, id and sudo that log their calls."""
    bin_dir, log = tmp_path / "bin", tmp_path / "apt.log"
    bin_dir.mkdir(parents=True)
    stand_ins = {
        "apt-get": f'#!/bin/sh\necho "$*" >> "{log}"\n',
        "id": f"#!/bin/sh\necho {uid}\n",
    }
    # Passwordless sudo runs the command; without, it refuses (never the machine's own sudo).
    stand_ins["sudo"] = (
        '#!/bin/sh\n[ "$1" = "-n" ] && shift\nexec "$@"\n' if sudo else "#!/bin/sh\nexit 1\n"
    )
    for name, text in stand_ins.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    chromium = tmp_path / "chromium"
    if present:
        chromium.write_text("#!/bin/sh\n")
        chromium.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "MEMORY_API_CHROMIUM": str(chromium),
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        ["bash", "-c", f'set -euo pipefail; source "{REPO}/scripts/chromium.sh"'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr, _calls(log)


def test_the_test_command_installs_chromium_when_missing_and_it_may(tmp_path: Path) -> None:
    stderr, calls = _chromium_setup(tmp_path / "root", uid=0, sudo=False, present=False)
    assert calls == ["update -qq", "install -y -qq chromium"]
    assert "installing chromium" in stderr

    _, calls = _chromium_setup(tmp_path / "sudo", uid=1000, sudo=True, present=False)
    assert calls == ["update -qq", "install -y -qq chromium"]

    stderr, calls = _chromium_setup(tmp_path / "user", uid=1000, sudo=False, present=False)
    assert calls == []
    assert "no root or sudo to install it: browser tests will skip" in stderr

    stderr, calls = _chromium_setup(tmp_path / "there", uid=0, sudo=False, present=True)
    assert (calls, stderr) == ([], "")
