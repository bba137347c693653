"""Submissions, versions, their checks and safeguarding concerns change state in one place.

workshop/submissions/lifecycle.py holds the moves each state column may make. This reads
every other module of workshop/ and fails on anything that writes one of those columns:
an assignment to ``.state`` or ``.checks_state``, the column given to ``.values()`` (as a
keyword or in a dict) or to a model's constructor, ``setattr(row, "state", ...)``, or a
``state=`` keyword anywhere whose value names one of the state enums (a helper passing it
on to an UPDATE). Migrations are left out: they write rows as the schema of their day had
them, before and apart from the running code.
"""

from __future__ import annotations

import ast
from pathlib import Path

from workshop.extensions import db
from workshop.submissions import lifecycle
from workshop.submissions.models import ChecksState, Submission, SubmissionState, Version, VersionState

WORKSHOP = Path(__file__).resolve().parent.parent / "workshop"
OWNER = WORKSHOP / "submissions" / "lifecycle.py"
MIGRATIONS = WORKSHOP / "migrations" / "versions"
COLUMNS = {"state", "checks_state"}
STATE_ENUMS = {"SubmissionState", "VersionState", "ChecksState", "ConcernState"}
MODELS = {"Submission", "Version", "SafeguardingConcern"}


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _targets(node: ast.AST):
    if isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    else:
        yield node


def state_writes(source: str) -> list[str]:
    """Each place in ``source`` that writes a state column, as ``line N: code``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr in COLUMNS for target in targets for t in _targets(target)):
                found.append(node)
        elif isinstance(node, ast.Call):
            callee = _callee(node)
            for keyword in node.keywords:
                if keyword.arg in COLUMNS and (callee == "values" or callee in MODELS
                                               or _names(keyword.value) & STATE_ENUMS):
                    found.append(node)
            if callee == "values":
                for argument in node.args:
                    if isinstance(argument, ast.Dict) and any(
                            (isinstance(k, ast.Constant) and k.value in COLUMNS)
                            or (isinstance(k, ast.Attribute) and k.attr in COLUMNS) for k in argument.keys):
                        found.append(node)
            if (callee == "setattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value in COLUMNS):
                found.append(node)
    return sorted({f"line {node.lineno}: {ast.unparse(node)[:100]}" for node in found})


def test_only_the_lifecycle_module_writes_a_state_column():
    report = [f"{path.relative_to(WORKSHOP.parent)} {write}"
              for path in sorted(WORKSHOP.rglob("*.py"))
              if path != OWNER and MIGRATIONS not in path.parents
              for write in state_writes(path.read_text())]
    assert not report, ("state columns written outside workshop/submissions/lifecycle.py (add a move "
                        "there and call it):\n  " + "\n  ".join(report))


def test_the_lifecycle_module_is_where_the_writes_are():
    """The reader above finds the lifecycle module's own writes, so it is not blind."""
    assert len(state_writes(OWNER.read_text())) >= 8


def test_the_check_finds_each_kind_of_write():
    sample = (
        "version.state = VersionState.READY\n"
        "submission.state, other = SubmissionState.APPROVED, 1\n"
        "row.checks_state = None\n"
        "update(Version).values(state=VersionState.FAILED)\n"
        "update(Version).values({'checks_state': x})\n"
        "update(Version).values({Version.state: x})\n"
        "Version(number=1, state=VersionState.QUEUED)\n"
        "helper(version_id, state=VersionState.QUEUED)\n"
        "setattr(version, 'state', x)\n"
        # Not writes: a read, a comparison, a message's placeholder.
        "ready = version.state is VersionState.READY\n"
        "query.where(Version.state == VersionState.READY)\n"
        "_l('It is %(state)s.', state=submission.state.value)\n"
    )
    assert [line.split(":")[0] for line in state_writes(sample)] == [f"line {n}" for n in range(1, 10)]


def test_a_move_leaves_a_row_that_is_in_none_of_its_sources(app, make):
    """A ready version moves a draft on, and leaves an approved submission approved."""
    cohort = make.cohort()
    student = make.user()
    make.member(student, cohort, "student")
    assignment = make.assignment(cohort)
    with app.app_context():
        moved = {}
        for start in (SubmissionState.DRAFT, SubmissionState.APPROVED):
            submission = Submission(assignment_id=assignment.id, cohort_id=cohort.id, student_id=student.id,
                                    state=start)
            db.session.add(submission)
            db.session.flush()
            version = Version(submission=submission, cohort_id=cohort.id, number=1, state=VersionState.PROCESSING)
            db.session.add(version)
            lifecycle.version_ready(version, checked=False)
            moved[start] = (submission.state, version.state, version.checks_state)
            db.session.rollback()
    assert moved == {
        SubmissionState.DRAFT: (SubmissionState.AWAITING_REVIEW, VersionState.READY, ChecksState.QUEUED),
        SubmissionState.APPROVED: (SubmissionState.APPROVED, VersionState.READY, ChecksState.QUEUED),
    }
