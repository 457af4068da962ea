"""How a submission comes in over HTTP: the OpenRosa multipart body (``xml_submission_file`` and one part
per file, named as the XML names it) read and handed to ``ingest_submission``. ODK Collect's endpoint and
the browser's (``server/web/fill.py``) both use it, so the two ways in cannot drift apart."""
from __future__ import annotations

from typing import Callable

from flask import request
from sqlalchemy.exc import IntegrityError

from server.domain.submission import check_file_name
from server.errors import BadRequest
from server.extensions import db
from server.media import media_storage
from server.services.submissions import IncomingFile, IngestResult, Origin, ingest_submission

MAX_XML_BYTES = 10_000_000


def read_multipart() -> tuple[bytes, list[IncomingFile]]:
    parts = request.files.getlist("xml_submission_file")
    if not parts:
        raise BadRequest(reason="缺少 multipart 字段 xml_submission_file / "
                                "Required multipart POST field xml_submission_file missing.")
    if len(parts) > 1:
        raise BadRequest(reason="xml_submission_file 出现了多次 / xml_submission_file was sent more than once")
    xml = parts[0].stream.read(MAX_XML_BYTES + 1)
    if len(xml) > MAX_XML_BYTES:
        raise BadRequest(reason=f"表单 XML 超过 {MAX_XML_BYTES} 字节 / the submission XML is over {MAX_XML_BYTES} bytes")
    # A part's name is the file name the XML refers to: one a server may not keep is refused, not dropped.
    files = [IncomingFile(name=check_file_name(name), upload=storage.stream, content_type=storage.content_type)
             for name, storage in request.files.items(multi=True) if name != "xml_submission_file"]
    return xml, files


def receive(origin: Origin, check: Callable[[bytes], None] | None = None) -> IngestResult:
    """Read the request's submission and ingest it; a retry racing its original becomes an attachment upsert.
    ``check`` may refuse the XML (raising) before anything is stored."""
    xml, files = read_multipart()
    if check is not None:
        check(xml)
    try:
        return ingest_submission(xml, files, origin, media_storage())
    except IntegrityError:
        # The same instance arrived twice at once (a retry racing the original): the other
        # request's rows are committed now, so this one becomes an attachment upsert.
        db.session.rollback()
        return ingest_submission(xml, files, origin, media_storage())
