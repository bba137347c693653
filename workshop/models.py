"""Every model, imported in one place so that SQLAlchemy and Alembic see all tables."""

from .accounts.models import ApiToken, User  # noqa: F401
from .audit.models import AuditEvent  # noqa: F401
from .cohorts.models import (  # noqa: F401
    Assignment, Attendance, AttendanceStatus, Cohort, Consent, Invite, Membership, WorkshopSession,
)
from .notifications.models import EmailPreference, Notification  # noqa: F401
from .review.models import (  # noqa: F401
    Answer, ChecklistItem, ChecklistTemplate, Comment, Review, ReviewAnswer, Severity, Verdict,
)
from .submissions.models import ConcernState, SafeguardingConcern
from .submissions.models import Submission, SubmissionState, Version, VersionState  # noqa: F401
from .uploads.models import Upload  # noqa: F401
