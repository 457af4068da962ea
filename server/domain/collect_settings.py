"""ODK Collect settings for a worker, and their QR payload (OPENROSA.md §5).

Pure. The payload is the settings JSON, zlib-compressed (a zlib stream, which Collect's
Inflater expects — not raw deflate, not gzip), then Base64.
"""
from __future__ import annotations

import base64
import json
import zlib


def collect_settings(server_url: str, project_name: str) -> dict:
    return {
        "general": {
            "server_url": server_url,
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "admin": {},
        "project": {"name": project_name, "icon": "社", "color": "#2e7d32"},
    }


def settings_json(settings: dict) -> str:
    return json.dumps(settings, ensure_ascii=False, separators=(",", ":"))


def qr_payload(settings: dict) -> bytes:
    return base64.b64encode(zlib.compress(settings_json(settings).encode("utf-8")))


def read_qr_payload(payload: bytes) -> dict:
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))
