"""Reading a roster CSV: liberal in what it accepts, exact about what is wrong.

Schools export rosters from Excel and Google Sheets, in English or Indonesian, with
commas or (Excel set to Indonesian) semicolons, with or without a byte-order mark.
:func:`parse_roster` turns the bytes into :class:`RosterRow` objects, each with its
cleaned values and the list of problems found on it; a problem with the whole file
raises :class:`RosterFileError`. Nothing here touches the database: what a row
*means* for a cohort (new person, already a member...) is ``service.py``'s job.

The accepted columns are documented in docs/guide-lead.md ("Roster import").
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from ..errors import Invalid, TooLarge
from ..invitations.service import clean_email
from ..phones import looks_like_email, normalise_contact
from ..roles import Role

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
MAX_NAME = 120
MAX_GUARDIAN_CONTACT = 254
ADULT_AGE = 18
# The oldest and youngest birth years that can be right for a workshop participant.
OLDEST_AGE, YOUNGEST_AGE = 100, 5


class RosterFileError(Invalid):
    """The file as a whole cannot be read; ``message`` is translated."""

    code = "roster_unreadable"


class RosterTooLarge(TooLarge, RosterFileError):
    """The file is over the size limit (413): still a roster file that cannot be read."""


def _key(text: str) -> str:
    """A header as a lookup key: "Tahun Lahir" and "tahun-lahir" both become "tahun_lahir"."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


# Column names people write, by the field they mean (compared as _key()s).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name", "nama", "nama_lengkap", "nama_siswa", "nama_peserta"),
    "email": ("email", "e_mail", "email_address", "alamat_email", "surel", "alamat_surel"),
    "role": ("role", "peran", "sebagai"),
    "birth_year": ("birth_year", "year_of_birth", "born", "tahun_lahir", "thn_lahir", "lahir"),
    "minor": ("minor", "is_minor", "under_18", "di_bawah_umur", "bawah_umur", "anak"),
    "guardian_contact": ("guardian_contact", "guardian", "parent_contact", "guardian_phone",
                         "guardian_email", "kontak_wali", "wali", "kontak_orang_tua", "orang_tua",
                         "no_hp_wali", "nomor_wali"),
    "guardian_whatsapp": ("guardian_whatsapp", "whatsapp_guardian", "guardian_wa", "whatsapp_wali", "wa_wali"),
}
_FIELD_FOR_HEADER = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}

ROLE_ALIASES: dict[str, Role] = {
    **dict.fromkeys(("student", "siswa", "murid", "peserta", "pelajar", "participant"), Role.STUDENT),
    **dict.fromkeys(("mentor", "guru", "pembimbing", "pendamping", "guru_bk", "konselor"), Role.MENTOR),
    **dict.fromkeys(("lead", "workshop_lead", "pemimpin", "pemimpin_lokakarya", "koordinator"), Role.LEAD),
}
# What can be wrong with a row (or worth a note), by code; rows keep codes and values,
# and the text is made in the reader's language when shown.
PROBLEMS = {
    "name_missing": _l("The name is missing."),
    "name_too_long": _l("The name is too long (at most %(n)d characters)."),
    "email_missing": _l("The email is missing."),
    "email_invalid": _l("“%(email)s” is not a valid email address."),
    "email_repeated": _l("This email is already on row %(line)d of the file."),
    "role_unknown": _l("Unknown role “%(role)s”: use student, mentor or lead (siswa, mentor, pemimpin)."),
    "birth_year_range": _l("Birth year “%(year)s” is out of range: write a year between %(low)d and %(high)d."),
    "minor_unclear": _l("Write yes or no (ya or tidak) in the minor column."),
    "guardian_too_long": _l("The guardian contact is too long (at most %(n)d characters)."),
    "guardian_phone_invalid": _l("The guardian contact “%(contact)s” is not a valid phone number: write it as "
                                 "0812… or +62812…, or give an email address."),
    "guardian_email_invalid": _l("The guardian contact “%(contact)s” is not a valid email address."),
    "guardian_whatsapp_unclear": _l("Write yes or no (ya or tidak) in the guardian WhatsApp column."),
    "minor_without_guardian": _l("A minor without a guardian contact."),
    "account_closed": _l("This email belongs to a closed account."),
}


def problem_text(problem: dict) -> str:
    """A row's problem (``{"code": ..., **values}``) as a sentence in the current language."""
    values = {k: v for k, v in problem.items() if k != "code"}
    return str(PROBLEMS[problem["code"]]) % values if values else str(PROBLEMS[problem["code"]])


_YES = {"yes", "y", "true", "1", "x", "ya", "iya", "benar"}
_NO = {"no", "n", "false", "0", "tidak", "tdk", "bukan"}


@dataclass
class RosterRow:
    """One data row: ``line`` is its row number as a spreadsheet shows it (header = 1)."""

    line: int
    name: str = ""
    email: str = ""
    role: str = Role.STUDENT.value
    birth_year: int | None = None
    is_minor: bool = False
    guardian_contact: str = ""  # an email address, or a phone number in E.164
    guardian_whatsapp_opt_out: bool = False  # "no" in the guardian WhatsApp column
    errors: list[dict] = field(default_factory=list)  # {"code": a PROBLEMS key, **its values}
    notes: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ParsedRoster:
    rows: list[RosterRow]
    columns: dict[str, str]  # field -> the header as written
    ignored_columns: list[str]
    delimiter: str

    def to_dict(self) -> dict:
        return {"rows": [r.to_dict() for r in self.rows], "columns": self.columns,
                "ignored_columns": self.ignored_columns, "delimiter": self.delimiter}

    @classmethod
    def from_dict(cls, data: dict) -> "ParsedRoster":
        return cls(rows=[RosterRow(**r) for r in data["rows"]], columns=data["columns"],
                   ignored_columns=data["ignored_columns"], delimiter=data["delimiter"])


_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}  # control, format (zero-width, BOM), line/paragraph separators


def clean_text(value: str | None) -> str:
    """NFC, control and zero-width characters dropped, runs of whitespace made one space."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value)
    value = "".join(" " if ch in "\t\r\n" else ch for ch in value
                    if ch in "\t\r\n" or unicodedata.category(ch) not in _INVISIBLE)
    return " ".join(value.split())


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else
    Windows-1252 (Excel's plain "CSV" on Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                pass
    raise RosterFileError(_l("We could not read the file's characters. In Excel choose "
                             "File › Save As › “CSV UTF-8 (Comma delimited)”."))


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of comma, semicolon and tab in the header line."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_roster(data: bytes, *, today: date | None = None) -> ParsedRoster:
    """Parse and validate a roster file; RosterFileError when the file as a whole is unusable."""
    if len(data) > MAX_BYTES:
        raise RosterTooLarge(_l("The file is larger than %(mb)d MB. Split the roster into smaller files.",
                                mb=MAX_BYTES // (1024 * 1024)))
    text = decode(data).lstrip("\ufeff")
    if not text.strip():
        raise RosterFileError(_l("The file is empty."))
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = [record for record in reader]
    except csv.Error:
        raise RosterFileError(_l("The file is not a CSV file we can read. Save it as CSV and try again."))
    records = [r for r in records if any(clean_text(cell) for cell in r)]
    headers = [clean_text(h) for h in records[0]] if records else []
    columns, ignored, index = {}, [], {}
    for position, header in enumerate(headers):
        name = _FIELD_FOR_HEADER.get(_key(header))
        if name is None or name in index:
            if header:
                ignored.append(header)
            continue
        index[name], columns[name] = position, header
    missing = [f for f in ("name", "email") if f not in index]
    if missing:
        raise RosterFileError(_l("The first row must name the columns, with at least “name” (or “nama”) "
                                 "and “email”. Missing: %(columns)s.", columns=", ".join(missing)))
    if len(records) - 1 > MAX_ROWS:
        raise RosterFileError(_l("The file has more than %(max)s rows. Split it into files of at most "
                                 "%(max)s people.", max=f"{MAX_ROWS:,}"))
    if len(records) < 2:
        raise RosterFileError(_l("The file has a header row but no people."))

    this_year = (today or date.today()).year
    rows, first_seen = [], {}
    for line, record in enumerate(records[1:], start=2):
        def cell(name: str) -> str:
            position = index.get(name)
            return clean_text(record[position]) if position is not None and position < len(record) else ""

        row = _validate(line, cell, this_year)
        if row.email and not any(e["code"].startswith("email") for e in row.errors):
            if row.email in first_seen:
                row.errors.append({"code": "email_repeated", "line": first_seen[row.email]})
            else:
                first_seen[row.email] = line
        rows.append(row)
    return ParsedRoster(rows=rows, columns=columns, ignored_columns=ignored, delimiter=delimiter)


def _validate(line: int, cell, this_year: int) -> RosterRow:
    row = RosterRow(line=line)
    row.name = cell("name")
    if not row.name:
        row.errors.append({"code": "name_missing"})
    elif len(row.name) > MAX_NAME:
        row.errors.append({"code": "name_too_long", "n": MAX_NAME})

    raw_email = cell("email").replace(" ", "")
    if not raw_email:
        row.errors.append({"code": "email_missing"})
    else:
        row.email = clean_email(raw_email) or raw_email
        if clean_email(raw_email) is None:
            row.errors.append({"code": "email_invalid", "email": raw_email[:254]})

    raw_role = cell("role")
    role = ROLE_ALIASES.get(_key(raw_role)) if raw_role else Role.STUDENT
    if role is None:
        row.errors.append({"code": "role_unknown", "role": raw_role[:40]})
    else:
        row.role = role.value

    raw_year = cell("birth_year")
    if raw_year:
        year = _year(raw_year)
        low, high = this_year - OLDEST_AGE, this_year - YOUNGEST_AGE
        if year is None or not low <= year <= high:
            row.errors.append({"code": "birth_year_range", "year": raw_year[:20], "low": low, "high": high})
        else:
            row.birth_year = year

    raw_minor = _key(cell("minor"))
    explicit_minor = None
    if raw_minor:
        if raw_minor in _YES:
            explicit_minor = True
        elif raw_minor in _NO:
            explicit_minor = False
        else:
            row.errors.append({"code": "minor_unclear"})
    # Either source saying "minor" is enough: treating an adult as a minor costs a consent
    # form, the other way round exposes a child.
    by_year = row.birth_year is not None and this_year - row.birth_year < ADULT_AGE
    row.is_minor = bool(explicit_minor) or by_year

    row.guardian_contact = cell("guardian_contact")
    if len(row.guardian_contact) > MAX_GUARDIAN_CONTACT:
        row.errors.append({"code": "guardian_too_long", "n": MAX_GUARDIAN_CONTACT})
    elif row.guardian_contact:
        try:
            row.guardian_contact = normalise_contact(row.guardian_contact)
        except Invalid:
            code = "guardian_email_invalid" if looks_like_email(row.guardian_contact) else "guardian_phone_invalid"
            row.errors.append({"code": code, "contact": row.guardian_contact[:60]})
    raw_whatsapp = _key(cell("guardian_whatsapp"))
    if raw_whatsapp in _NO:
        row.guardian_whatsapp_opt_out = True
    elif raw_whatsapp and raw_whatsapp not in _YES:
        row.errors.append({"code": "guardian_whatsapp_unclear"})
    if row.is_minor and not row.guardian_contact and row.role == Role.STUDENT.value:
        row.notes.append({"code": "minor_without_guardian"})
    return row


def _year(text: str) -> int | None:
    """2009, "2009.0" (a spreadsheet's number) or a date holding a four-digit year."""
    text = text.strip()
    if re.fullmatch(r"\d{4}(\.0+)?", text):
        return int(text[:4])
    match = re.fullmatch(r"(\d{4})[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](\d{4})", text)
    if match:
        return int(match.group(1) or match.group(2))
    return None
