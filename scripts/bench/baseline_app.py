"""The bare baseline of the ingest benchmark: a minimal WSGI app that streams the same multipart bodies to
disk (Werkzeug's parser, each part to its own file) and answers 201 — no database, no checks. Lastmeter's
ingest rate is reported as a ratio of this one's, measured side by side in the same run.

Served by the same gunicorn settings: gunicorn -c deploy/gunicorn.conf.py baseline_app:app
"""
import os
import tempfile
import uuid

from werkzeug.formparser import parse_form_data

SPOOL = os.environ.get("BASELINE_SPOOL", tempfile.gettempdir())
ANSWER = (b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
          b'<message nature="submit_success">ok</message></OpenRosaResponse>')


def app(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        start_response("204 No Content", [("X-OpenRosa-Version", "1.0")])
        return [b""]
    folder = os.path.join(SPOOL, uuid.uuid4().hex)
    os.mkdir(folder)
    _stream, form, files = parse_form_data(environ)
    for key, stored in files.items(multi=True):
        stored.save(os.path.join(folder, uuid.uuid4().hex))
        stored.close()
    start_response("201 Created", [("Content-Type", "text/xml; charset=utf-8"), ("X-OpenRosa-Version", "1.0"),
                                   ("Content-Length", str(len(ANSWER)))])
    return [ANSWER]
