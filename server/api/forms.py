"""GET /api/v1/forms and POST /api/v1/forms (admins publish an XLSForm)."""
from __future__ import annotations

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.uploads import uploaded_workbook
from server.api.schemas import FormSchema, PublishResultSchema
from server.domain.access import Role
from server.queries import forms as queries
from server.services.forms import PublishOutcome, publish_form


@bp.get("/forms")
@authenticated()
def list_forms():
    return {"forms": FormSchema(many=True).dump(queries.list_forms())}


@bp.post("/forms")
@authenticated(Role.ADMIN)
def publish():
    content, filename = uploaded_workbook()
    result = publish_form(content, filename, published_by=current_user().id)
    status = 200 if result.outcome == PublishOutcome.UNCHANGED else 201
    return PublishResultSchema().dump(result), status
