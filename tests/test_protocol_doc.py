"""docs/protocol.md stays in step with the code and keeps the shared contract's names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import msgspec

from server.protocol import outbound
from server.runtime.config import _FLAGS
from server.signaling import ROUTES

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "protocol.md").read_text()
SHARED = ROOT.parent / "shared" / "protocol.md"


def test_every_event_the_server_handles_is_documented() -> None:
    for event in ROUTES:
        assert f"`{event}`" in DOC, event


def test_every_event_the_server_sends_is_documented_with_its_fields() -> None:
    events = outbound.every_event()
    assert len(events) >= 17, "found too few outbound structs; the walk is stale"
    for event, kind in events.items():
        assert f"`{event}`" in DOC, event
        for field in msgspec.structs.fields(kind):
            name = field.encode_name
            assert f'"{name}"' in DOC or f"`{name}`" in DOC, f"{event}: {name}"


def test_every_event_the_server_sends_is_a_struct_in_outbound() -> None:
    """Events leave as ``server/protocol/outbound.py`` structs: no ``emit`` names its event with
    a string, and no event name only the server sends is spelled outside that module (a client
    event of the same name, such as ``signal``, is the handler's to spell)."""
    server_only = set(outbound.every_event()) - set(ROUTES) - {"error"}  # "error": a REST key too
    found = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        if path.name == "outbound.py" and path.parent.name == "protocol":
            continue
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "emit"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.append(f"{where}:{node.lineno}: emit({node.args[0].value!r}, ...)")
            elif isinstance(node, ast.Constant) and node.value in server_only:
                found.append(f"{where}:{node.lineno}: {node.value!r}")
    assert not found, found


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
