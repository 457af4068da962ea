"""The browser code committed under server/static/vendor/ (and axe-core for the tests) is what the lockfile names:
scripts/vendor-js wrote it, with its licence, and nobody edited it by hand since."""
import json
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_vendored_files_match_the_lockfile_and_carry_their_licences():
    lock = json.loads((ROOT / "scripts" / "vendor" / "package-lock.json").read_text(encoding="utf-8"))
    locked = {path[len("node_modules/"):]: entry["version"] for path, entry in lock["packages"].items() if path}
    recorded = json.loads((ROOT / "server" / "static" / "vendor" / "VERSIONS.json").read_text(encoding="utf-8"))
    assert {name: entry["version"] for name, entry in recorded.items()} == locked
    vendor = ROOT / "server" / "static" / "vendor"
    assert f"Leaflet {locked['leaflet']}" in (vendor / "leaflet" / "leaflet.js").read_text(encoding="utf-8")[:300]
    assert "markercluster" in (vendor / "leaflet.markercluster" / "leaflet.markercluster.js").read_text(encoding="utf-8")[:300]
    axe = ROOT / "tests" / "support" / "vendor"
    assert f'axe.version="{locked["axe-core"]}"' in (axe / "axe.min.js").read_text(encoding="utf-8")[:5000]
    for licence in (vendor / "leaflet" / "LICENSE", vendor / "leaflet.markercluster" / "MIT-LICENCE.txt",
                    axe / "LICENSE"):
        assert licence.stat().st_size > 0, licence
