"""docs/protocol.md stays in step with the code and keeps the shared contract's names."""

from __future__ import annotations

import re
from pathlib import Path

from server.runtime.config import _FLAGS
from server.signaling import ROUTES

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "protocol.md").read_text()
SHARED = ROOT.parent / "shared" / "protocol.md"


def test_every_event_the_server_handles_is_documented() -> None:
    for event in ROUTES:
        assert f"`{event}`" in DOC, event


def test_every_flag_is_documented() -> None:
    for flag in _FLAGS:
        assert f"--{flag}" in DOC, flag


def test_every_error_code_the_code_raises_is_documented() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "server").rglob("*.[pl][yu]*"))
    codes = set(re.findall(r'code="([a-z_]+)"', source)) | set(
        re.findall(r"\{'err', '([a-z_]+)'\}", source)
    )
    for cls_code in re.findall(
        r'^    code = "([a-z_]+)"', (ROOT / "server" / "protocol" / "errors.py").read_text(), re.M
    ):
        codes.add(cls_code)
    codes -= {
        "error",
        "conflict",
        "forbidden",
        "unavailable",
    }  # base classes, always subclassed in use
    assert codes, "found no error codes; the pattern is stale"
    for code in sorted(codes):
        assert f"`{code}`" in DOC, code


def test_the_shared_contract_names_are_kept() -> None:
    if not SHARED.exists():
        return
    shared = SHARED.read_text()
    names = set(re.findall(r"`((?:[a-z]+:)?[a-z_]+(?::[a-z_]+)?)`", shared))
    flags = set(re.findall(r"--[a-z-]+", shared))
    missing = sorted(n for n in names | flags if n not in DOC)
    assert not missing, missing
