"""Putting a worker's phone on the server: their Collect settings and settings QR code."""
from __future__ import annotations

from flask import current_app

from server.adapters.qr import qr_png
from server.domain.collect_settings import collect_settings, qr_payload
from server.errors import NotFound
from server.models import User
from server.services import accounts
from server.services.collect import station_of


def collect_settings_for(user: User) -> dict:
    """Settings with the worker's token URL: no password on the phone, revocable at any time."""
    station = station_of(user)
    token = accounts.active_collect_token(user)
    if token is None:
        raise NotFound(what="有效的 Collect 令牌（请重新签发）", key=user.username)
    server_url = f"{current_app.config['PUBLIC_URL']}/key/{token.token}"
    return collect_settings(server_url, station.official_name)


def collect_settings_qr(user: User) -> bytes:
    return qr_png(qr_payload(collect_settings_for(user)), box_size=6, level="M")
