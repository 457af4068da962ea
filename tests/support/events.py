"""What the tests of events out share: settings for loopback receivers and a bearer token."""
from __future__ import annotations

PASSWORD = "Secret-pass-1"


def outbound_config(timeout: int = 1, attempts: int = 3) -> dict[str, object]:
    """Loopback receivers allowed, a short timeout, retries at once, a few attempts."""
    return {"WEBHOOK_ALLOW_PRIVATE_TARGETS": True, "WEBHOOK_TIMEOUT_SECONDS": timeout,
            "WEBHOOK_RETRY_BASE_SECONDS": 0, "WEBHOOK_MAX_ATTEMPTS": attempts}


def bearer(client, username: str, password: str = PASSWORD) -> dict[str, str]:
    token = client.post("/api/v1/sessions", json={"username": username, "password": password}).json["token"]
    return {"Authorization": f"Bearer {token}"}
