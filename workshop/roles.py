"""The roles a person can hold in a cohort, and how they rank.

Apart from the cohort models that store them, because the access check (access.py) and
the labels every template shows (templating.py) need them, and every feature needs those.
"""

from __future__ import annotations

import enum


class Role(str, enum.Enum):
    """A person's role in one cohort. Higher ranks can do all that lower ones can see."""

    STUDENT = "student"
    MENTOR = "mentor"
    LEAD = "lead"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def at_least(self, other: "Role") -> bool:
        return self.rank >= other.rank


_ROLE_RANK = {Role.STUDENT: 1, Role.MENTOR: 2, Role.LEAD: 3}
