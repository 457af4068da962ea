"""XLSForm → XForm with pyxform, checked by ODK Validate (JavaRosa, run on the installed Java).

The only module that imports pyxform. Its errors become the project's InvalidForm,
keeping the form designer's message (with its row numbers).
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath

from pyxform.errors import PyXFormError
from pyxform.validators.odk_validate import ODKValidateError
from pyxform.xls2xform import convert

from server.errors import InvalidForm

# The instance root element is always <data>, as ODK Central's own forms have it.
INSTANCE_ROOT = "data"
FILE_TYPES = {".xlsx": ".xlsx", ".xls": ".xls"}


@dataclass(frozen=True)
class ConvertedForm:
    xml: bytes
    warnings: tuple[str, ...]


def xlsform_to_xform(source: bytes, filename: str) -> ConvertedForm:
    """Convert and validate an XLSForm; raise InvalidForm with the designer's message.

    Conversion is deterministic, so a file converted once in this process is not run through
    Java again (publishing the same forms twice, or each test, stays fast).
    """
    return _convert(hashlib.sha256(source).hexdigest(), source, filename)


@lru_cache(maxsize=128)
def _convert(_sha256: str, source: bytes, filename: str) -> ConvertedForm:
    file_type = FILE_TYPES.get(PurePath(filename).suffix.lower())
    if file_type is None:
        raise InvalidForm(source=filename, reason="只支持 .xlsx / .xls 格式的 XLSForm (only .xlsx or .xls XLSForms)")
    warnings: list[str] = []
    try:
        result = convert(xlsform=BytesIO(source), warnings=warnings, validate=True, pretty_print=True,
                         form_name=INSTANCE_ROOT, file_type=file_type)
    except ODKValidateError as exc:
        raise InvalidForm(source=filename, reason=_validate_message(str(exc))) from exc
    except PyXFormError as exc:
        raise InvalidForm(source=filename, reason=str(exc)) from exc
    except Exception as exc:  # a corrupt workbook surfaces as whatever the reader raises
        raise InvalidForm(source=filename, reason=f"{exc.__class__.__name__}: {exc}") from exc
    return ConvertedForm(xml=result.xform.encode("utf-8"), warnings=tuple(warnings))


def _validate_message(text: str) -> str:
    """ODK Validate prints Java noise around the one line a designer needs."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    noise = r"^(at |Caused by|java\.|org\.javarosa\.|The following files failed validation|\$\{tmp|Result: )"
    useful = [line for line in lines if not re.match(noise, line)]
    return " ".join(useful[:6]) or text.strip()
