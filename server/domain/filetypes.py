"""What a file really is, from its first bytes — never from its name; whether its name is one a
server may keep; and what a file may be served as. Pure."""
from __future__ import annotations

import re

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"#!AMR", "audio/amr"),
)
UNKNOWN = "application/octet-stream"


def sniff_content_type(head: bytes) -> str:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4" if head[8:11] != b"M4A" else "audio/mp4"
    if head.startswith(b"ID3") or head[:2] == b"\xff\xfb":
        return "audio/mpeg"
    return UNKNOWN


# What sniff_content_type says of a genuine file with this extension (Collect names photos .jpg,
# audio .m4a/.amr, video .mp4/.3gp — which carry an MP4 'ftyp' box too). Other extensions (audit.csv,
# .txt) name types that cannot be sniffed: such a file matches its name when it sniffs as nothing known.
NAME_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp",
    ".pdf": "application/pdf", ".mp4": "video/mp4", ".3gp": "video/mp4", ".3gpp": "video/mp4",
    ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".amr": "audio/amr",
}
# Shown in the page (inline) when the bytes are this and the name agrees; anything else is a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "audio/mp4",
                          "audio/mpeg", "audio/amr"})


def type_matches_name(name: str, detected_type: str) -> bool:
    """Whether the bytes are what the name says: a photo named .jpg that is HTML, or a .csv that is a JPEG, is not."""
    dot = name.rfind(".")
    expected = NAME_TYPES.get(name[dot:].lower()) if dot >= 0 else None
    return detected_type == (expected or UNKNOWN)


def served_type(name: str, detected_type: str) -> tuple[str, bool]:
    """The Content-Type a stored file is sent with, and whether it may be shown inline: a known type
    that matches its name keeps its type (inline if a picture or a recording); anything else is an
    opaque download."""
    if detected_type != UNKNOWN and type_matches_name(name, detected_type):
        return detected_type, detected_type in INLINE_TYPES
    return UNKNOWN, False


MAX_FILE_NAME_CHARS = 255
# Control characters, and the bidirectional overrides that make "photo\u202egpj.exe" read as "photoexe.jpg".
UNSAFE_NAME_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069/\\]")


def unsafe_file_name(name: str) -> str | None:
    """Why an attachment name may not be kept (path separators, '..', control characters, too long),
    or None. Chinese and other non-ASCII names are fine: they are kept exactly."""
    if not name:
        return "为空 / empty"
    if len(name) > MAX_FILE_NAME_CHARS:
        return f"超过 {MAX_FILE_NAME_CHARS} 个字符 / longer than {MAX_FILE_NAME_CHARS} characters"
    if name in (".", ".."):
        return "是目录名 / names a directory"
    if UNSAFE_NAME_CHARACTERS.search(name):
        return "含有路径分隔符或控制字符 / contains a path separator or a control character"
    return None
