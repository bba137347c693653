"""Every model, imported in one place so that SQLAlchemy and Alembic see all tables."""

from .accounts.models import ApiToken, LoginSession, User  # noqa: F401
from .audit.models import AuditEvent  # noqa: F401
from .cohorts.models import Assignment, Cohort, Membership  # noqa: F401
from .consent.models import Consent, ConsentRequest  # noqa: F401
from .invitations.models import Invite  # noqa: F401
from .notifications.models import EmailPreference, Notification  # noqa: F401
from .reminders.models import SentReminder  # noqa: F401
from .review.models import ChecklistItem, ChecklistTemplate, Comment, Review, ReviewAnswer  # noqa: F401
from .sessions.models import Attendance, WorkshopSession  # noqa: F401
from .submissions.models import SafeguardingConcern, Submission, Version  # noqa: F401
from .uploads.models import Upload  # noqa: F401
