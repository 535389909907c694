"""A newcomer's first run: installing the project prints no warning of ours."""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# pip's own notes about this machine's index configuration are not about our packaging.
NOT_OURS = re.compile(r"^WARNING: Location '.*' is ignored")
WARNING = re.compile(r"warning|deprecat|!!", re.IGNORECASE)
# The installed package carries its Lua scripts and catalog (package data).
PROBE = (
    "from importlib import resources; s = resources.files('server'); "
    "print(s.joinpath('store/lua/lib.lua').read_text()[:2], s.joinpath('domain/matching/skills.json').is_file())"
)


@pytest.mark.parametrize("editable", [True, False], ids=["editable", "wheel"])
def test_installing_into_a_fresh_venv_prints_no_packaging_warning(
    tmp_path: Path, editable: bool
) -> None:
    """``pip install -v`` shows everything setuptools says while building our package; the
    dependencies are left out (--no-deps): their installs are not our packaging."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    target = ["-e", str(ROOT)] if editable else [str(ROOT)]
    result = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-v", "--no-deps", *target],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    ours = [
        line
        for line in output.splitlines()
        if WARNING.search(line) and not NOT_OURS.match(line.strip())
    ]
    assert not ours, "\n".join(ours)
    installed = subprocess.run(
        [
            str(env_dir / "bin" / "python"),
            "-c",
            PROBE,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert installed.stdout.split() == ["--", "True"], installed.stderr
