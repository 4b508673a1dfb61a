"""The staff area: login and lockout, intake, list and filters, detail, status workflow, PDF, corrections, audit."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pypdf
from helpers.web import STAFF_PASSWORD, Site, errors_on, field

from screening.clinic import ClinicSettings
from screening.web.db import StatusChange, Submission


def test_login_logout_and_session_cookie(site: Site) -> None:
    site.add_staff()
    assert site.client.get("/staff/submissions").status_code == 303
    done = site.login()
    assert done.status_code == 303 and done.headers["location"] == "/staff/queue"
    cookie = done.headers["set-cookie"]
    assert "screening_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/staff" in cookie
    assert site.client.get("/staff/submissions").status_code == 200
    page = site.client.get("/staff/submissions")
    out = site.post("/staff/logout", {"csrftoken": field(page.text, "csrftoken")})
    assert out.status_code == 303
    assert site.client.get("/staff/submissions").status_code == 303
    assert site.audit_actions()[:2] == ["login", "list"]
    assert "logout" in site.audit_actions()


def test_wrong_password_then_lockout(site: Site) -> None:
    site.add_staff()
    limit = site.services.settings.lockout_after_failures
    answers = []
    for _ in range(limit):
        bad = site.login(password="wrong password!")
        assert bad.status_code == 401
        answers.append(errors_on(bad.text))
    # even the right password is refused once the limit is reached, with the very same answer
    right = site.login(password=STAFF_PASSWORD)
    assert right.status_code == 401 and errors_on(right.text) == answers[0]
    assert answers[0] and all(answer == answers[0] for answer in answers)
    assert "name or password is not right" in right.text
    assert "login_locked" in site.audit_actions()


def test_unknown_user_gets_the_same_message(site: Site) -> None:
    page = site.login(name="nobody")
    assert page.status_code == 401 and "name or password is not right" in page.text


def test_intake_shows_the_result_and_the_pdf(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    saved = site.staff_intake(physio_answers, name="Test Patient Intake")
    assert saved.status_code == 303, errors_on(saved.text)
    detail = site.client.get(saved.headers["location"])
    assert detail.status_code == 200
    policy = site.definition.ruleset.disposition.texts
    physio = next(t for d, t in policy.items() if d.value == "physio_assessment")
    assert physio.staff.split(".")[0] in detail.text
    (row,) = site.submissions()
    assert (row.channel, row.created_by, row.respondent) == ("staff", "reception", "staff")
    assert "PDF summary: being prepared" in detail.text and "Download PDF summary" not in detail.text
    waiting = site.client.get(f"/staff/submissions/{row.id}/summary.pdf")  # no worker has rendered it yet
    assert waiting.status_code == 200 and waiting.headers["content-type"].startswith("text/html")
    assert '<meta http-equiv="refresh" content="3">' in waiting.text and "being prepared" in waiting.text
    assert "pdf_download" not in site.audit_actions()
    site.run_jobs()
    assert "Download PDF summary" in site.client.get(saved.headers["location"]).text
    pdf = site.client.get(f"/staff/submissions/{row.id}/summary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "pdf_download" in site.audit_actions()
    info = pypdf.PdfReader(io.BytesIO(pdf.content)).metadata
    assert info is not None and info.title == f"Headache screening summary — {row.id[:8]}"  # a reference, no name


def test_intake_household_question_reaches_the_outcome_and_is_asked_for(
    site: Site, physio_answers: dict[str, Any]
) -> None:
    """Reception reads out the carbon monoxide question: a yes turns an otherwise physiotherapy intake into a
    same-day GP result with the reason on the page; a form without the answer is not saved and asks for it."""
    site.add_staff()
    site.login()
    missing = {k: v for k, v in physio_answers.items() if k != "household_same_headaches"}
    page = site.staff_intake(missing, name="Test Patient Unasked")
    assert page.status_code == 200 and site.count() == 0
    assert 'href="#f-household_same_headaches"' in page.text
    saved = site.staff_intake({**physio_answers, "household_same_headaches": "yes"}, name="Test Patient Household")
    assert saved.status_code == 303, errors_on(saved.text)
    (row,) = site.submissions()
    assert row.disposition == "urgent_gp" and "possible_carbon_monoxide" in row.red_flags
    flag = next(f for f in site.definition.ruleset.red_flags if f.id == "possible_carbon_monoxide")
    assert flag.title.split(" (")[0] in site.client.get(saved.headers["location"]).text


def test_intake_validation_keeps_answers(site: Site) -> None:
    site.add_staff()
    site.login()
    page = site.staff_intake({"sudden_onset_headache": "no", "age": "abc"}, name="Test Patient")
    assert page.status_code == 200
    errors = errors_on(page.text)
    assert any("whole number" in e for e in errors)
    assert 'value="abc"' in page.text
    assert re.search(r'value="no" id="f-sudden_onset_headache-2" checked', page.text)
    assert site.count() == 0


def test_intake_emergency_saves_at_once(site: Site) -> None:
    site.add_staff()
    site.login()
    saved = site.staff_intake({"sudden_onset_headache": "yes"}, name="Test Patient Emergency")
    assert saved.status_code == 303
    (row,) = site.submissions()
    assert (row.disposition, row.complete) == ("emergency", False)


def test_list_filters_and_search(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    site.staff_intake(physio_answers, name="Alpha Testperson")
    site.staff_intake({"sudden_onset_headache": "yes"}, name="Bravo Testperson")
    everything = site.client.get("/staff/submissions")
    assert everything.text.index("Bravo Testperson") < everything.text.index("Alpha Testperson")  # newest first
    emergency = site.client.get("/staff/submissions", params={"disposition": "emergency"})
    assert "Bravo Testperson" in emergency.text and "Alpha Testperson" not in emergency.text
    named = site.client.get("/staff/submissions", params={"name": "alpha"})
    assert "Alpha Testperson" in named.text and "Bravo Testperson" not in named.text
    wildcard = site.client.get("/staff/submissions", params={"name": "%"})
    assert "Alpha Testperson" not in wildcard.text  # % is searched for literally
    future = site.client.get("/staff/submissions", params={"since": "2999-01-01"})
    assert "Alpha Testperson" not in future.text and "No submissions match" in future.text
    bad = site.client.get("/staff/submissions", params={"since": "yesterday"})
    assert "Enter a date like" in bad.text


HIDDEN_NAMES = {
    "zero_width": ("Ch\u200barlie Test\u200dperson", "charlie testperson"),
    "bidi_override": ("Delta \u202eNOSREP\u202c Test", "delta nosrep"),
    "full_width": ("\uff25\uff43\uff48\uff4f Testperson", "echo"),  # Ｅｃｈｏ
    "soft_hyphen_and_mark": ("Fox\u00adtrot \u200fTestperson", "foxtrot"),
}


def test_invisible_characters_neither_hide_a_name_from_search_nor_disguise_it(
    site: Site, physio_answers: dict[str, Any]
) -> None:
    site.add_staff()
    site.login()
    for name, _ in HIDDEN_NAMES.values():
        assert site.staff_intake(physio_answers, name=name).status_code == 303
    site.staff_intake(physio_answers, name="Golf Testperson")
    ids = {row.patient_name: row.id for row in site.submissions()}
    for key, (name, typed) in HIDDEN_NAMES.items():
        for query in (typed, typed.upper(), f" {typed}\u200b "):
            found = site.client.get("/staff/submissions", params={"name": query})
            assert found.status_code == 200
            shown = set(re.findall(r'href="/staff/submissions/([0-9a-f]{32})"', found.text))
            assert shown == {ids[name]}, f"{key}: searching {query!r} found {len(shown)} rows"
    # every invisible character is shown as a marker naming it, in the list and on the detail page
    listing = site.client.get("/staff/submissions").text
    detail = site.client.get(f"/staff/submissions/{ids[HIDDEN_NAMES['bidi_override'][0]]}").text
    for page in (listing, detail):
        assert "[U+202E]" in page and "[U+202C]" in page
        assert "\u202e" not in page and "\u202c" not in page
    for marker in ("[U+200B]", "[U+200D]", "[U+00AD]", "[U+200F]"):
        assert marker in listing
    assert "Golf Testperson" in listing


def test_status_workflow_records_who_and_when(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    site.staff_intake(physio_answers)
    (row,) = site.submissions()
    detail = site.client.get(f"/staff/submissions/{row.id}")
    token = field(detail.text, "csrftoken")
    moved = site.post(f"/staff/submissions/{row.id}/status", {"csrftoken": token, "status": "contacted"})
    assert moved.status_code == 303
    skipped = site.post(f"/staff/submissions/{row.id}/status", {"csrftoken": token, "status": "new"})
    assert skipped.status_code == 400
    site.post(f"/staff/submissions/{row.id}/status", {"csrftoken": token, "status": "booked", "note": "Tues 10am"})
    with site.db() as db:
        changes = db.query(StatusChange).order_by(StatusChange.id).all()
        assert [(c.status, c.changed_by) for c in changes] == [("contacted", "reception"), ("booked", "reception")]
    detail = site.client.get(f"/staff/submissions/{row.id}")
    assert "Booked</strong> by reception" in detail.text and "Tues 10am" in detail.text
    assert site.audit_actions().count("status_change") == 2


def test_a_correction_is_a_new_linked_version(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    site.staff_intake(physio_answers)
    (first,) = site.submissions()
    form = site.client.get(f"/staff/submissions/{first.id}/correct")
    assert form.status_code == 200 and f'name="supersedes" value="{first.id}"' in form.text
    corrected = dict(physio_answers, sudden_onset_headache="yes")
    saved = site.staff_intake(corrected, supersedes=first.id)
    assert saved.status_code == 303
    old, new = site.submissions()
    assert old.id == first.id and old.disposition == first.disposition  # never edited in place
    assert new.supersedes_id == old.id and new.disposition == "emergency"
    again = site.staff_intake(corrected, supersedes=first.id)  # only the newest version can be corrected
    assert again.status_code == 409
    detail = site.client.get(f"/staff/submissions/{old.id}")
    assert "Version 2" in detail.text


def test_double_submit_of_intake_stores_once(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    page = site.client.get("/staff/intake")
    from helpers.web import form_pairs

    data = [
        ("csrftoken", field(page.text, "csrftoken")),
        ("key", field(page.text, "key")),
        ("seen", " ".join(site.definition.items)),
        ("name", "Test Patient"),
        *form_pairs(physio_answers),
    ]
    first, second = site.post("/staff/intake", data), site.post("/staff/intake", data)
    assert first.headers["location"] == second.headers["location"]
    assert site.count() == 1


def test_a_pdf_whose_ruleset_is_not_stored_is_refused_clearly(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    site.staff_intake(physio_answers)
    (row,) = site.submissions()
    with site.db() as db:
        stored = db.get(Submission, row.id)
        assert stored is not None
        stored.ruleset_sha256 = "0" * 64  # as if an old row whose ruleset file was not found when it was moved
        db.commit()
    refused = site.client.get(f"/staff/submissions/{row.id}/summary.pdf")
    assert refused.status_code == 409 and "is not stored here" in refused.text
    assert "pdf_download" not in site.audit_actions()


FEVER_WITH_RASH = {"fever": "yes", "fever_with_stiff_neck": "no", "fever_with_rash": "yes"}


def test_visibility_names_the_answers_behind_each_emergency(site: Site) -> None:
    page = site.client.get("/staff/intake")
    assert page.status_code == 303  # signed in only
    site.add_staff()
    site.login()
    token = field(site.client.get("/staff/intake").text, "csrftoken")
    urgent = site.post("/staff/visibility", {"csrftoken": token, "fever": "yes"}).json()
    assert urgent["alerts"] == [] and urgent["emergency"] == []  # a temperature alone is urgent, not an emergency
    got = site.post("/staff/visibility", {"csrftoken": token, **FEVER_WITH_RASH}).json()
    assert {"fever_with_stiff_neck", "fever_with_rash"} <= set(got["shown"])
    (alert,) = got["alerts"]
    assert (alert["id"], alert["anchor"], alert["items"]) == (
        "fever_with_stiff_neck_rash_or_drowsiness",
        "fever_with_rash",
        ["fever", "fever_with_rash"],  # the stiff neck was answered "no": it raised nothing
    )
    assert [answer for _, answer in alert["answers"]] == ["Yes", "Yes"]
    assert alert["answers"][1][0] == site.definition.wording["fever_with_rash"][1]
    assert got["emergency"] == [alert["title"]]


def test_intake_emergency_without_a_name_asks_only_for_the_name(site: Site) -> None:
    site.add_staff()
    site.login()
    page = site.staff_intake(FEVER_WITH_RASH, name="")
    assert page.status_code == 200 and site.count() == 0
    assert errors_on(page.text) == ["Enter the patient's name"]  # not every unanswered question
    beside = page.text.split('data-item="fever_with_rash"')[1].split("data-item=")[0]
    assert 'role="alert"' in beside and "Emergency: call 999 now" in beside and "Save now and call 999" in beside
    assert re.findall(r'id="alert-([a-z_]+)"', page.text) == ["fever_with_rash"]  # beside that question only
    assert re.search(r'<div class="emergency-bar"[^>]*data-emergency-bar>', page.text)  # shown: no "hidden"
    saved = site.staff_intake(FEVER_WITH_RASH, name="Test Patient Emergency")
    assert saved.status_code == 303
    detail = site.client.get(saved.headers["location"]).text
    main = detail.split('<main id="main"')[1]
    assert main.index("Emergency: call 999 now") < main.index("<h1>")  # the 999 instruction comes first
    (row,) = site.submissions()
    assert (row.disposition, row.complete) == ("emergency", False)


def test_a_date_of_birth_typed_wrong_is_asked_again_and_never_blocks_an_emergency(site: Site) -> None:
    site.add_staff()
    site.login()
    page = site.staff_intake({"sudden_onset_headache": "no"}, name="Test Patient", date_of_birth="31/02/1980")
    assert page.status_code == 200 and "Enter a real date of birth" in " ".join(errors_on(page.text))
    token = field(site.client.get("/staff/intake").text, "csrftoken")
    shown = site.post("/staff/visibility", {"csrftoken": token, "date_of_birth": "31/02/1980", **FEVER_WITH_RASH})
    assert [alert["anchor"] for alert in shown.json()["alerts"]] == ["fever_with_rash"]
    saved = site.staff_intake(FEVER_WITH_RASH, name="Test Patient Emergency", date_of_birth="31/02/1980")
    assert saved.status_code == 303  # saved at once, without the date that is no date
    (row,) = site.submissions()
    assert (row.disposition, row.patient_name) == ("emergency", "Test Patient Emergency")


def test_intake_page_reads_the_script_with_intros_and_notes(site: Site) -> None:
    from markupsafe import escape

    site.add_staff()
    site.login()
    page = site.client.get("/staff/intake")
    assert page.status_code == 200
    questionnaire = site.definition.questionnaire
    for section in questionnaire.sections:  # each section opens with what reception says, under its heading
        heading = page.text.index(f'id="s-{section.id}"')
        intro = page.text.index(f'<p class="staff-intro" data-staff-intro>{escape(section.staff_intro)}</p>')
        assert heading < intro < page.text.index(f'data-item="{section.items[0].id}"')
    worst = site.definition.items["worst_ever_headache"]
    assert worst.kind != "display" and worst.help and worst.staff_help
    # the question in the words to say, then the note for staff (not the patient's help), tied to the answers
    box = page.text[page.text.index('data-item="worst_ever_headache"') :]
    box = box[: box.index("</fieldset>")]
    assert f"{escape(worst.staff)}" in box and 'aria-describedby="h-worst_ever_headache"' in box
    assert f'<strong class="staff-note__label">Note:</strong> {escape(worst.staff_help)}' in box
    assert str(escape(worst.help)) not in box
    notice = site.definition.items["call_999_now_notice"]
    assert notice.kind == "display" and notice.staff_help and str(escape(notice.staff_help)) in page.text


def test_date_of_birth_is_one_text_field_typed_day_month_year(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    page = site.client.get("/staff/intake")
    field_tag = re.search(r'<input[^>]*id="f-date_of_birth"[^>]*>', page.text)
    assert field_tag and 'type="text"' in field_tag.group(0)  # one Tab stop, not a date picker's four
    assert 'aria-describedby="h-date_of_birth"' in field_tag.group(0)
    saved = site.staff_intake(physio_answers, name="Test Patient Born", date_of_birth="14/03/1979")
    assert saved.status_code == 303, errors_on(saved.text)
    assert "1979-03-14" in site.client.get(saved.headers["location"]).text


def test_intake_keeps_the_identifiers_and_the_pdf_names_who_asked(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff(name="jo.reception")
    site.login(name="jo.reception")
    extra = {"nhs_number": "9434765919", "gp_practice": "Example Lane Surgery (fictional)"}
    saved = site.staff_intake(physio_answers, name="Test Patient Identified", **extra)
    assert saved.status_code == 303, errors_on(saved.text)
    (row,) = site.submissions()
    patient = json.loads(row.response_json)["patient"]
    assert (patient["nhs_number"], patient["gp_practice"]) == ("9434765919", "Example Lane Surgery (fictional)")
    site.run_jobs()
    pdf = site.client.get(f"/staff/submissions/{row.id}/summary.pdf").content
    letter = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "NHS number 943 476 5919" in letter
    assert "GP practice Example Lane Surgery (fictional)" in letter
    assert "jo.reception (clinic staff), with the patient" in letter


def test_intake_asks_again_for_a_mistyped_nhs_number(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    page = site.staff_intake(physio_answers, name="Test Patient", nhs_number="12345")
    assert page.status_code == 200
    assert "Enter the 10-digit NHS number exactly as it is written" in " ".join(errors_on(page.text))
    assert site.submissions() == []


def test_staff_pages_say_while_the_clinic_details_are_placeholders(site: Site) -> None:
    site.add_staff()
    site.login()
    banner = "Clinic details not set:"
    page = site.client.get("/staff/submissions").text
    assert banner in page and "lack a real address and a phone number or e-mail address" in page
    filled = ClinicSettings(name="Example Clinic (fictional)", address=["1 Example Quay"], phone="01632 960999")
    site.services.clinic = filled
    assert banner not in site.client.get("/staff/submissions").text
    assert banner not in site.client.get("/staff/intake").text
