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


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_web_forms_bundle_is_built_from_the_committed_sources_and_versions():
    """server/static/vendor/webforms/ is stale when the lockfile, the entry module or the build script changed
    after it was built (scripts/vendor-js rebuilds it), or when someone edited the built files."""
    lock = json.loads((ROOT / "scripts" / "vendor" / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    bundle = ROOT / "server" / "static" / "vendor" / "webforms"
    build = json.loads((bundle / "BUILD.json").read_text(encoding="utf-8"))
    for package in ("@getodk/web-forms", "vue", "esbuild"):
        assert build[package] == lock[f"node_modules/{package}"]["version"], f"{package}: run scripts/vendor-js"
    sources = ROOT / "scripts" / "vendor" / "webforms"
    assert build["sources"] == {name: _sha256(sources / name) for name in ("entry.js", "build.mjs")}, \
        "the bundle's sources changed since it was built: run scripts/vendor-js"
    assert build["outputs"] == {name: _sha256(bundle / name) for name in ("web-forms.js", "web-forms.css")}
    assert b"__lastmeterWebFormState" in (bundle / "web-forms.js").read_bytes()  # the draft hook
    licences = (bundle / "LICENSES.txt").read_text(encoding="utf-8")
    for needed in ("@getodk/web-forms 0.22.0", "Apache License", f"@vue/runtime-core {build['vue']}", "primevue",
                   "dompurify", "\nol "):
        assert needed in licences, needed
