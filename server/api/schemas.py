"""marshmallow schemas: the API's boundary. They load and dump; they never query or read the current user."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from server.errors import BadRequest


class SessionRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    scope_code = fields.String()


class SessionSchema(Schema):
    token = fields.String()
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserSchema)


class FormVersionSchema(Schema):
    version = fields.String()
    title = fields.String()
    md5 = fields.String()
    attachments = fields.List(fields.Dict())
    published_at = fields.AwareDateTime()


class FormSchema(Schema):
    xml_form_id = fields.String()
    state = fields.String()
    current_version = fields.Nested(FormVersionSchema, allow_none=True)
    versions = fields.List(fields.Nested(FormVersionSchema, only=("version", "md5", "published_at")))


class PublishResultSchema(Schema):
    xml_form_id = fields.String()
    version = fields.String()
    title = fields.String()
    outcome = fields.String()
    warnings = fields.List(fields.String())


def load(schema: Schema, data: object) -> dict:
    """Validate input; a ValidationError becomes the API's 400 with every field's messages."""
    if not isinstance(data, dict):
        raise BadRequest(reason="请求体应为 JSON 对象 / the body must be a JSON object")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise BadRequest(reason="; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.messages.items()),
                         fields=exc.messages) from exc
