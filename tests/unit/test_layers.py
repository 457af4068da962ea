"""The layers of the README's map hold: pure modules (``server/domain/``) know neither Flask nor the database, and
decisions and queries (``server/services/``, ``server/queries/``) never reach up into the HTTP layer (pages, the
REST API, OpenRosa) — read from every import, including those inside functions. (Pure code may parse XML through
its adapter, ``server/adapters/xml.py``: defusedxml does no I/O.)"""
import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).parents[2] / "server"
RULES = {
    "domain": ("flask", "werkzeug", "sqlalchemy", "server.extensions", "server.models", "server.queries",
               "server.services", "server.web", "server.api", "server.openrosa", "server.media"),
    "services": ("server.web", "server.api", "server.openrosa"),
    "queries": ("server.web", "server.api", "server.openrosa", "server.services"),
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_scan_reads_imports_inside_functions_too(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from server.web.auth import x\n    import flask\n", encoding="utf-8")
    assert {"server.web.auth", "server.web.auth.x", "flask"} <= imports(module)


@pytest.mark.parametrize("layer", sorted(RULES))
def test_a_layer_imports_nothing_above_it(layer):
    forbidden = RULES[layer]
    wrong = sorted(f"{path.relative_to(SERVER.parent)} imports {name}"
                   for path in (SERVER / layer).glob("*.py") for name in imports(path)
                   if any(name == f or name.startswith(f + ".") for f in forbidden))
    assert wrong == []
