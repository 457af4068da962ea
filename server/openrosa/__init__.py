"""OpenRosa for ODK Collect, answered as ODK Central answers it (OPENROSA.md is the contract).

Two ways in, both first-class, same routes:
- password: ``<PUBLIC_URL>/formList`` … with HTTP Digest (and Basic over HTTPS);
- token URL: ``<PUBLIC_URL>/key/<token>/formList`` …, Central's App User style, used by the
  settings QR code. Every URL the server emits keeps the prefix it was asked with.

Route table (views in ``views.py``, authentication in ``auth.py``, XML in ``formats.py``):
  GET       /formList                               the forms this worker may fill
  GET       /forms/<xml_form_id>.xml                the XForm, bytes as published
  GET       /forms/<xml_form_id>/manifest           its files (cases.csv, villages.csv, station.csv)
  GET       /forms/<xml_form_id>/attachments/<f>    one of those files
  GET       /datasets/cases/integrity?id=…          which offline cases are gone
  HEAD|GET  /submission                             204 + X-OpenRosa-Accept-Content-Length
  POST      /submission                             a submission, possibly one part of a split upload
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("openrosa", __name__)
TOKEN_PREFIX = "/key/<token>"
BLUEPRINT_NAMES = ("openrosa", "openrosa_key")


def init_app(app: Flask) -> None:
    from server import boundary
    from server.openrosa import views  # noqa: F401  (routes register on bp)
    from server.openrosa.responses import render_error, render_http_exception

    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix=TOKEN_PREFIX, name="openrosa_key")
    for name in BLUEPRINT_NAMES:
        boundary.XML_RENDERERS[name] = render_error
        boundary.HTTP_ERROR_RENDERERS[name] = render_http_exception
