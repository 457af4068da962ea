"""SQLAlchemy 2 typed models. Importing this package registers every table (for Alembic)."""
from server.models.audit import AuditEvent
from server.models.authenticity import AuthenticityThresholds, VisitFlag
from server.models.accounts import ApiSession, CollectToken, User
from server.models.cases import Case, CaseCategoryLink, CaseEvent, CaseListCache, VisitInterval
from server.models.events import Alert, Delivery, OutboxCursor, OutboxEvent, Subscription
from server.models.forms import Form, FormState, FormVersion
from server.models.money import (BudgetLine, CountyBudgetYear, Project, ProjectService, ProjectSource, ProjectStation,
                                 SpendingReport)
from server.models.places import Area, StaffMember, Station, StationLink
from server.models.volunteers import VolunteerCertificate, VolunteerHours
from server.models.submissions import (Blob, ReviewState, Submission, SubmissionAttachment, SubmissionEvent,
                                       SubmissionEventKind, SubmissionTally, SubmissionVersion)

__all__ = ["Alert", "Delivery", "OutboxCursor", "OutboxEvent", "Subscription", "ApiSession", "Area", "AuditEvent", "Blob", "Case", "CaseCategoryLink", "CaseEvent", "CaseListCache", "CollectToken", "Form", "FormState",
           "FormVersion", "ReviewState", "StaffMember", "Station", "StationLink", "Submission", "SubmissionAttachment",
           "SubmissionEvent", "SubmissionEventKind", "SubmissionTally", "SubmissionVersion", "User",
           "VisitInterval", "VolunteerCertificate", "VolunteerHours", "BudgetLine", "CountyBudgetYear", "Project",
           "ProjectService", "ProjectSource", "ProjectStation", "SpendingReport", "AuthenticityThresholds",
           "VisitFlag"]
