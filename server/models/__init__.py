"""SQLAlchemy 2 typed models. Importing this package registers every table (for Alembic)."""
from server.models.accounts import ApiSession, User
from server.models.places import Area, StaffMember, Station
from server.models.forms import Form, FormVersion

__all__ = ["ApiSession", "Area", "Form", "FormVersion", "StaffMember", "Station", "User"]
