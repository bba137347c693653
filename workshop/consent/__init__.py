"""Guardian consent for minors, and what follows from it. A minor's work is flagged to
mentors and leads while a cohort has no guardian consent for them, and a withdrawal leads to
the deletion of what that cohort holds about them; anyone may export their own data.

* :mod:`.service` — recording and withdrawing consent, the "consent missing" flag;
* :mod:`.requests` — consent by link: requests sent to guardians, one-time codes, their answers;
* :mod:`.messages` — the link and the codes, by email or as WhatsApp templates;
* :mod:`.evidence` — checking an uploaded consent form (PDF, JPEG, PNG) before it is kept;
* :mod:`.deletion` — the chore that deletes a student's media and personal data in a
  cohort once the grace period after a withdrawal there has passed;
* :mod:`.notices` — telling each cohort an erasure touched (audit event, leads' notification);
* :mod:`.export` — a person's data as a zip (``data.json`` and their media), or one
  cohort's part of it for that cohort's lead;
* :mod:`.routes` — the leads' pages and the export downloads;
* :mod:`.guardian_routes` — the guardian's pages at a consent request's link (no log-in).
"""
