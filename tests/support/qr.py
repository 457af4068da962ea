"""Reading QR codes back in tests (OpenCV), the way a phone camera would have to."""
from __future__ import annotations

import cv2
import numpy as np


def decode_qr(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    candidates = [image, cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)]
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        for candidate in candidates:
            text, _points, _ = detector.detectAndDecode(candidate)
            if text:
                return text
    raise AssertionError("no QR code could be read")
