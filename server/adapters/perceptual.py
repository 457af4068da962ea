"""Perceptual hashes of photos (ImageHash's pHash, over Pillow): the one module that imports it.

Two photos whose 64-bit pHashes differ in few bits look alike — the same picture re-encoded, resized or slightly
cropped — while two photos of the same room taken a moment apart differ in many more.
"""
from __future__ import annotations

from typing import BinaryIO

import imagehash
from PIL import Image

HASH_BITS = 64


def photo_hash(stream: BinaryIO) -> str:
    """The photo's pHash as 16 hex digits (the image is decoded once, in greyscale, 32×32)."""
    with Image.open(stream) as image:
        image.draft("L", (256, 256))  # JPEG: decode at a fraction of its size, as the hash needs no more
        return str(imagehash.phash(image))


def bits_apart(a: str, b: str) -> int:
    """How many of the 64 bits two hashes differ in."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")
