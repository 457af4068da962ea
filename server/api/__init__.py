"""The JSON REST API (``/api/v1``) and operational endpoints."""
