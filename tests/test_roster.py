"""Roster import: good, bad and repeated rows, the file formats schools send, and limits."""

from __future__ import annotations

import io
import logging
import re
from datetime import date

import pytest
from rq import SimpleWorker

from workshop.accounts.models import User
from workshop.cohorts.models import Membership
from workshop.invitations.models import Invite
from workshop.roles import Role
from workshop.roster.parsing import MAX_ROWS, RosterFileError, parse_roster
from workshop.redis_conn import get_redis

from .helpers import login

THIS_YEAR = date.today().year


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app, tmp_path, monkeypatch):
    """Parsed uploads wait in the instance folder: a temporary one here, to look into."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "roster-uploads"


def _lead_of(make):
    cohort = make.cohort(name="Kelas Video")
    lead = make.user(name="Bu Lead", email="lead@karya.test")
    make.member(lead, cohort, "lead")
    return cohort, lead


def _upload(client, cohort, content: bytes | str, filename="roster.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(f"/cohorts/{cohort.id}/roster", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _preview(client, cohort, content, filename="roster.csv"):
    response = _upload(client, cohort, content, filename)
    assert response.status_code == 302, response.data
    preview_url = response.headers["Location"]
    page = client.get(preview_url)
    assert page.status_code == 200
    return preview_url, page.data.decode()


def _counts(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="badge roster-\w+">(\d+)</span>', page)]


def _import(client, cohort, content):
    preview_url, _page = _preview(client, cohort, content)
    return client.post(preview_url, follow_redirects=True).data.decode()


GOOD = (
    "name,email,role,birth_year,guardian_contact\n"
    f"Sari Wulandari,Sari@Example.test,student,{THIS_YEAR - 15},0812-3456-7890\n"
    "Budi Santoso,budi@example.test,mentor,,\n"
    f"Pak Guru,guru@example.test,siswa,{THIS_YEAR - 40},\n"
)


def test_good_rows_are_previewed_then_imported_with_set_password_links(client, make, app, caplog, tmp_path):
    cohort, lead = _lead_of(make)
    guru = make.user(name="Pak Guru", email="guru@example.test")
    login(client, lead)
    preview_url, page = _preview(client, cohort, GOOD)
    assert "roster.csv" not in preview_url  # a random id, never the file's name
    upload_id = preview_url.rsplit("/", 1)[1]
    assert [p.name for p in (tmp_path / "roster-uploads").iterdir()] == [f"{upload_id}.json"]
    assert _counts(page) == [2, 1, 0, 0]
    assert page.count("New person") >= 3 and "Has an account: will be invited and must accept" in page
    with app.app_context():
        from workshop.extensions import db

        assert db.session.scalar(db.select(User.id).where(User.email == "sari@example.test")) is None

    done = client.post(preview_url, follow_redirects=True).data.decode()
    assert "Roster imported. New people: 2" in done and "existing accounts invited (they must accept): 1" in done
    assert "rows with errors, skipped: 0" in done
    with app.app_context():
        from workshop.extensions import db

        sari = db.session.scalar(db.select(User).where(User.email == "sari@example.test"))
        assert (sari.name, sari.birth_year, sari.is_minor, sari.guardian_contact) == \
            ("Sari Wulandari", THIS_YEAR - 15, True, "+6281234567890")
        assert sari.guardian_contact_cohort_id == cohort.id  # only this cohort sends consent requests to it
        budi = db.session.scalar(db.select(User).where(User.email == "budi@example.test"))
        assert not budi.is_minor and budi.birth_year is None and budi.guardian_contact_cohort_id is None
        roles = dict(db.session.execute(db.select(User.email, Membership.role).join(Membership)
                                        .where(Membership.cohort_id == cohort.id)).all())
        # The existing account is not put in the cohort: it is invited, and must accept.
        assert roles == {"lead@karya.test": Role.LEAD, "sari@example.test": Role.STUDENT,
                         "budi@example.test": Role.MENTOR}
        assert sorted(db.session.scalars(db.select(Invite.email))) == \
            ["budi@example.test", "guru@example.test", "sari@example.test"]
    # The preview's file is gone once imported.
    assert list((tmp_path / "roster-uploads").iterdir()) == []
    assert "That upload has expired or was already imported" in client.get(preview_url, follow_redirects=True).data.decode()

    caplog.set_level(logging.INFO, logger="karya.mail")
    with app.app_context():
        SimpleWorker(["default"], connection=get_redis(app)).work(burst=True)
    mails = {re.search(r"To: (\S+)", r.getMessage()).group(1): r.getMessage()
             for r in caplog.records if r.name == "karya.mail"}
    assert set(mails) == {"sari@example.test", "budi@example.test", "guru@example.test"}
    link = re.search(r"https?://[^/\s]+(/welcome/\S+)", mails["sari@example.test"]).group(1)
    client.post("/logout")
    response = client.post(link, data={"name": "Sari W.", "password": "sari-password", "confirm": "sari-password"})
    # The emailed welcome link proves Sari reads the address: she is in at once.
    assert response.status_code == 302 and response.headers["Location"] == f"/cohorts/{cohort.id}"
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    client.post("/logout")

    # Pak Guru signs in with his own account and accepts; only then is he a student here.
    invite_link = re.search(r"https?://[^/\s]+(/invite/\S+)", mails["guru@example.test"]).group(1)
    assert "/welcome/" not in mails["guru@example.test"]
    login(client, guru)
    assert client.post(invite_link).status_code == 302
    with app.app_context():
        from workshop.extensions import db

        assert db.session.scalar(db.select(Membership.role).where(
            Membership.cohort_id == cohort.id, Membership.user_id == guru.id)) is Role.STUDENT


BAD = (
    "name,email,role,birth_year,minor\n"
    ",nobody@example.test,student,,\n"                          # 2: missing name
    "No Email,not-an-email,student,,\n"                         # 3: invalid email
    "Wrong Role,role@example.test,principal,,\n"                # 4: unknown role
    "Too Old,old@example.test,student,1850,\n"                  # 5: birth year out of range
    "Unsure,unsure@example.test,student,,maybe\n"               # 6: minor neither yes nor no
    "Fine Person,fine@example.test,,,\n"                        # 7: good (empty role: student)
    "Fine Again,FINE@example.test,student,,\n"                  # 8: repeated email within the file
    ",,,,\n"                                                    # blank row: ignored
)


def test_bad_rows_each_say_what_is_wrong_and_only_good_rows_are_imported(client, make, app):
    cohort, lead = _lead_of(make)
    login(client, lead)
    preview_url, page = _preview(client, cohort, BAD)
    assert _counts(page) == [1, 0, 0, 6]
    for message in ("The name is missing.",
                    "“not-an-email” is not a valid email address.",
                    "Unknown role “principal”: use student, mentor or lead",
                    f"Birth year “1850” is out of range: write a year between {THIS_YEAR - 100} and {THIS_YEAR - 5}.",
                    "Write yes or no (ya or tidak) in the minor column.",
                    "This email is already on row 7 of the file."):
        assert message in page, message
    assert "Import 1 person" in page
    done = client.post(preview_url, follow_redirects=True).data.decode()
    assert "New people: 1" in done and "rows with errors, skipped: 6" in done
    with app.app_context():
        from workshop.extensions import db

        emails = set(db.session.scalars(db.select(User.email)))
        assert emails == {"lead@karya.test", "fine@example.test"}


def test_a_second_import_of_the_same_file_creates_no_duplicates(client, make, app):
    cohort, lead = _lead_of(make)
    login(client, lead)
    _import(client, cohort, GOOD)
    # The same people again, one address now in capitals.
    again = GOOD.replace("budi@example.test", "BUDI@Example.TEST")
    _preview_url, page = _preview(client, cohort, again)
    assert _counts(page) == [0, 0, 3, 0] and page.count("Already in cohort (no change)") >= 3
    assert "There is nobody to import from this file." in page
    done = _import(client, cohort, again)
    assert "New people: 0" in done and "already in the cohort: 3" in done
    with app.app_context():
        from workshop.extensions import db

        assert db.session.scalar(db.select(db.func.count(User.id))) == 4
        assert db.session.scalar(db.select(db.func.count(Membership.id))) == 4
        assert db.session.scalar(db.select(db.func.count(Invite.id))) == 3  # no new invites either


def test_semicolons_indonesian_headers_and_a_byte_order_mark(client, make, app):
    cohort, lead = _lead_of(make)
    login(client, lead)
    content = ("\ufeffNama;Alamat Email;Peran;Tahun Lahir;Kontak Wali;Kelas\r\n"
               f"Dewi Lestari;dewi@example.test;Siswa;{THIS_YEAR - 14};0813 1111 2222;XI IPA\r\n"
               "Ibu Ratna;ratna@example.test;Guru;;;\r\n").encode("utf-8")
    _url, page = _preview(client, cohort, content)
    assert _counts(page) == [2, 0, 0, 0]
    assert "Columns ignored: Kelas." in page
    _import(client, cohort, content)
    with app.app_context():
        from workshop.extensions import db

        dewi = db.session.scalar(db.select(User).where(User.email == "dewi@example.test"))
        assert dewi.is_minor and dewi.guardian_contact == "+6281311112222" and dewi.name == "Dewi Lestari"
        assert db.session.scalar(db.select(Membership.role).join(User).where(User.email == "ratna@example.test")) \
            is Role.MENTOR


def test_a_file_that_is_too_large_or_unreadable_is_refused_with_a_message(client, make):
    cohort, lead = _lead_of(make)
    login(client, lead)
    big = "name,email\n" + "x" * (2 * 1024 * 1024)
    response = _upload(client, cohort, big)
    assert response.status_code == 413 and b"The file is larger than 2 MB." in response.data
    missing = _upload(client, cohort, "full name;telephone\nSari;0812\n")
    assert missing.status_code == 422 and b"Missing: email." in missing.data
    empty = _upload(client, cohort, b"")
    assert empty.status_code == 422 and b"The file is empty." in empty.data
    many = "name,email\n" + "".join(f"P{i},p{i}@example.test\n" for i in range(MAX_ROWS + 1))
    too_many = _upload(client, cohort, many)
    assert too_many.status_code == 422 and b"The file has more than 5,000 rows." in too_many.data
    nothing = client.post(f"/cohorts/{cohort.id}/roster", data={}, content_type="multipart/form-data")
    assert nothing.status_code == 422 and b"Choose a CSV file to upload." in nothing.data


def test_only_the_uploading_lead_of_this_cohort_can_use_an_upload(client, make):
    cohort, lead = _lead_of(make)
    other_lead, mentor, student = make.user(), make.user(), make.user()
    make.member(other_lead, cohort, "lead")
    make.member(mentor, cohort, "mentor")
    make.member(student, cohort, "student")
    login(client, lead)
    preview_url, _page = _preview(client, cohort, GOOD)
    client.post("/logout")
    login(client, other_lead)
    refused = client.post(preview_url, follow_redirects=True)
    assert b"That upload has expired or was already imported." in refused.data
    assert client.get(f"/cohorts/{cohort.id}/roster/{'.' * 30}", follow_redirects=True).status_code == 200
    client.post("/logout")
    for person in (mentor, student):
        login(client, person)
        assert _upload(client, cohort, GOOD).status_code == 403
        assert client.post(preview_url).status_code == 403
        client.post("/logout")


# --- the parser on its own (it needs an app only for the email check's settings) -------------

@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield

def test_the_parser_reads_excel_exports(ctx):
    windows = "nama,email\nJosé Ramírez,jose@example.test\n".encode("cp1252")
    assert parse_roster(windows).rows[0].name == "José Ramírez"
    unicode_text = "Nama\tEmail\tDi Bawah Umur\nAyu\tayu@example.test\tYa\n".encode("utf-16")
    row = parse_roster(unicode_text).rows[0]
    assert (row.email, row.is_minor) == ("ayu@example.test", True)
    spaced = "name,email,tahun_lahir\n\u200b  Rudi \x07 Hartono ,\u00a0rudi@example.test ,2009.0\n".encode()
    row = parse_roster(spaced, today=date(2025, 1, 1)).rows[0]
    assert (row.name, row.email, row.birth_year, row.is_minor) == ("Rudi Hartono", "rudi@example.test", 2009, True)
    adult = parse_roster(b"name,email,born,minor\nA,a@example.test,17/08/1990,no\n", today=date(2025, 1, 1)).rows[0]
    assert (adult.birth_year, adult.is_minor, adult.ok) == (1990, False, True)


def test_an_explicit_minor_flag_wins_over_an_adult_birth_year(ctx):
    row = parse_roster(b"name,email,birth_year,minor\nA,a@example.test,1990,yes\n").rows[0]
    assert row.is_minor and row.ok
    assert row.notes == [{"code": "minor_without_guardian"}]


def test_a_header_without_people_is_refused(ctx):
    with pytest.raises(RosterFileError):
        parse_roster(b"name,email\n")


def test_the_preview_speaks_the_leads_language(client, make):
    cohort, lead = _lead_of(make)
    login(client, lead)
    client.post("/language", data={"locale": "id"})
    _url, page = _preview(client, cohort, "nama;email\n;tanpa-nama@example.test\nAni;ani@example.test\n")
    assert "Nama belum diisi." in page and "Orang baru" in page and "Impor 1 orang" in page


def test_guardian_phone_numbers_are_stored_in_e164_and_invalid_ones_are_row_errors(client, make, app):
    cohort, lead = _lead_of(make)
    login(client, lead)
    content = ("nama,email,tahun_lahir,kontak_wali,whatsapp_wali\n"
               f"Ayu,ayu@example.test,{THIS_YEAR - 14},+62 812-3456-7890,tidak\n"
               f"Bima,bima@example.test,{THIS_YEAR - 14},0812 34,\n"
               f"Citra,citra@example.test,{THIS_YEAR - 14},ibu.citra@example.test,ya\n"
               f"Dodi,dodi@example.test,{THIS_YEAR - 14},ibu@dodi@,\n"
               f"Eka,eka@example.test,{THIS_YEAR - 14},6281311112222,mungkin\n")
    _url, page = _preview(client, cohort, content)
    assert _counts(page) == [2, 0, 0, 3]
    assert "+6281234567890 <span class=\"muted\">(no WhatsApp)</span>" in page
    assert "The guardian contact “0812 34” is not a valid phone number" in page
    assert "The guardian contact “ibu@dodi@” is not a valid email address." in page
    assert "Write yes or no (ya or tidak) in the guardian WhatsApp column." in page
    indonesian = client.get(_url, headers={"Accept-Language": "id"}).data.decode()
    assert "Kontak wali “0812 34” bukan nomor telepon yang valid" in indonesian
    _import(client, cohort, content)
    with app.app_context():
        from workshop.extensions import db

        stored = dict(db.session.execute(db.select(User.email, User.guardian_contact)).all())
        assert stored["ayu@example.test"] == "+6281234567890"
        assert stored["citra@example.test"] == "ibu.citra@example.test"
        assert "bima@example.test" not in stored and "dodi@example.test" not in stored
        opted_out = dict(db.session.execute(db.select(User.email, User.guardian_whatsapp_opt_out)).all())
        assert opted_out["ayu@example.test"] is True and opted_out["citra@example.test"] is False
