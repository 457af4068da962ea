"""The zip made on the fly (``adapters/export_files.ZipStream``)."""
import io
import random
import zipfile
import zlib

from server.adapters.export_files import COMPRESS_LEVEL, ZipStream


def _archive(entries: dict[str, bytes]) -> bytes:
    archive = ZipStream()
    parts = []
    for name, content in entries.items():
        with archive.open(name) as entry:
            entry.write(content)
        parts.append(archive.take())
    parts.append(archive.close())
    return b"".join(parts)


def test_entries_are_deflated_at_the_fast_level_and_read_back_whole():
    rows = random.Random(7).choices(["王芳,530102001,approved\n", "李明,530103001,,\"a, b\"\n", "x" * 40 + "\n"], k=5000)
    content = "".join(rows).encode()
    made = _archive({"home_visit.csv": content, "empty.csv": b""})
    with zipfile.ZipFile(io.BytesIO(made)) as archive:
        assert archive.testzip() is None
        assert archive.read("home_visit.csv") == content and archive.read("empty.csv") == b""
        info = archive.getinfo("home_visit.csv")
        assert info.compress_type == zipfile.ZIP_DEFLATED
    # The entry's bytes are raw deflate at COMPRESS_LEVEL, not zipfile's default level (which a ZipInfo given to
    # ZipFile.open silently keeps unless the level is set on it).
    fast = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
    default = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    assert info.compress_size == len(fast.compress(content) + fast.flush())
    assert info.compress_size != len(default.compress(content) + default.flush())
