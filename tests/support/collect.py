"""A test client that speaks to the server as ODK Collect does (OPENROSA.md §1–§4):
X-OpenRosa-Version on every request, ?deviceID= on GETs, Digest answered to a 401
challenge with the path *and query* as the digest uri, and multipart bodies written
the way OkHttp writes them (raw UTF-8 in part names and file names)."""
from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEVICE_ID = "collect:AbCdEfGh12345678"
USER_AGENT = "org.odk.collect.android/v2026.2.1 Dalvik/2.1.0 (Linux; U; Android 13)"
HEADERS = {"X-OpenRosa-Version": "1.0", "User-Agent": USER_AGENT}


@dataclass
class Part:
    name: str
    content: bytes
    content_type: str = "application/octet-stream"
    filename: str | None = None


def multipart_body(parts: list[Part], boundary: str | None = None) -> tuple[bytes, str]:
    boundary = boundary or uuid.uuid4().hex
    chunks: list[bytes] = []
    for part in parts:
        disposition = f'form-data; name="{part.name}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode("utf-8"))
        if part.filename is not None:
            chunks.append(f"Content-Type: {part.content_type}\r\n".encode("utf-8"))
        chunks.append(b"\r\n" + part.content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def submission_parts(xml: bytes, files: list[tuple[str, bytes]], incomplete: bool = False,
                     xml_filename: str = "入户访视_2026-11-28_10-22-31.xml") -> list[Part]:
    parts = [Part("xml_submission_file", xml, "text/xml", xml_filename)]
    parts += [Part(name, content, "image/jpeg", name) for name, content in files]
    if incomplete:
        parts.append(Part("*isIncomplete*", b"yes"))
    return parts


def _digest_params(header: str) -> dict[str, str]:
    return {k: v1 or v2 for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', header)}


@dataclass
class CollectClient:
    client: object
    base: str  # path prefix: "" or "/key/<token>"
    username: str | None = None
    password: str | None = None
    https: bool = False
    nc: int = 0
    challenges: list[str] = field(default_factory=list)

    def url(self, path: str, device: bool = True) -> str:
        separator = "&" if "?" in path else "?"
        return f"{self.base}{path}{separator}deviceID=collect%3AAbCdEfGh12345678" if device else f"{self.base}{path}"

    def request(self, method: str, path: str, device: bool = True, **kwargs):
        url = self.url(path, device)
        base_url = "https://lastmeter.example.cn" if self.https else "http://lastmeter.example.cn"
        headers = {**HEADERS, **kwargs.pop("headers", {})}
        response = self.client.open(url, method=method, headers=headers, base_url=base_url, **kwargs)
        if response.status_code != 401 or self.username is None:
            return response
        self.challenges = response.headers.getlist("WWW-Authenticate")
        digest = next(c for c in self.challenges if c.startswith("Digest "))
        headers["Authorization"] = self.digest_authorization(method, url, digest)
        _rewind(kwargs)
        return self.client.open(url, method=method, headers=headers, base_url=base_url, **kwargs)

    def digest_authorization(self, method: str, url: str, challenge: str, password: str | None = None) -> str:
        params = _digest_params(challenge)
        parts = urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
        self.nc += 1
        nc, cnonce = f"{self.nc:08x}", os.urandom(8).hex()
        ha1 = _md5(f"{self.username}:{params['realm']}:{password or self.password}")
        ha2 = _md5(f"{method}:{uri}")
        response = _md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        return (f'Digest username="{self.username}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
                f'uri="{uri}", response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", '
                f'algorithm=MD5, opaque="{params.get("opaque", "")}"')

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def head_submission(self):
        return self.request("HEAD", "/submission")

    def submit(self, xml: bytes, files: list[tuple[str, bytes]] = (), incomplete: bool = False, **kwargs):
        body, content_type = multipart_body(submission_parts(xml, list(files), incomplete, **kwargs))
        return self.request("POST", "/submission", data=body, content_type=content_type)


def _rewind(kwargs: dict) -> None:
    stream = kwargs.get("input_stream")
    if stream is not None:
        stream.seek(0)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def post_submission(url: str, xml: bytes, files: list[tuple[str, bytes]] = (),
                    timeout: float = 60) -> tuple[int, dict, bytes]:
    """POST a submission to a real server over HTTP as Collect does (``url`` ends before ``/submission``):
    status, headers and body, whatever the status."""
    import urllib.error
    import urllib.request

    body, content_type = multipart_body(submission_parts(xml, list(files)))
    request = urllib.request.Request(f"{url}/submission", data=body, method="POST",
                                     headers={**HEADERS, "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
