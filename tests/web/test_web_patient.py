"""Patient self-screening through the web pages: journey, emergency stop, validation, result link and PDF."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from helpers.web import Site, errors_on, field, hidden_fields

from screening.loader import default_questionnaire_path, ruleset_path_for
from screening.web.db import Submission
from screening.web.forms import screens

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _disposition_title(kind: str) -> str:
    rules = yaml.safe_load(ruleset_path_for(default_questionnaire_path()).read_text(encoding="utf-8"))
    title: str = rules["disposition"]["texts"][kind]["title"]
    return title


def test_patient_completes_a_physio_journey(site: Site, physio_answers: dict[str, Any]) -> None:
    pages = list(
        site.walk(
            physio_answers, {"name": "Test Patient Physio", "contact": "01632 960000", "email": "test@example.invalid"}
        )
    )
    for page in pages[:-1]:
        assert page.status_code == 200, page.text[:300]
        assert not errors_on(page.text), errors_on(page.text)
    done = pages[-1]
    assert done.status_code == 303
    assert re.fullmatch(r"/result/[0-9a-f]{32}/[0-9a-f]{40}", done.headers["location"])
    result = site.client.get(done.headers["location"])
    assert result.status_code == 200
    assert _disposition_title("physio_assessment") in result.text
    assert "Call 999" in result.text  # safety-netting advice is always there
    (row,) = site.submissions()
    assert (row.disposition, row.complete, row.channel) == ("physio_assessment", True, "web")
    assert row.patient_name == "Test Patient Physio"
    # one page per section that has questions, then details, then review
    assert any("Check your answers" in p.text for p in pages if p.status_code == 200)


def test_progress_and_back_keep_answers(site: Site) -> None:
    first = site.first_section()
    assert "Step 2 of" in first.text
    data = [*hidden_fields(first.text), ("sudden_onset_headache", "no"), ("worst_ever_headache", "no")]
    # Continue with the page incomplete: errors, answers kept
    again = site.post("/screen", [*data, ("action", "next")])
    assert errors_on(again.text)
    assert re.search(r'value="no" id="f-sudden_onset_headache-2" checked', again.text)


def test_an_emergency_answer_stops_the_journey_and_stores_the_contact_given_first(site: Site) -> None:
    first = site.first_section(
        {"name": "Test Patient Stop", "contact": "07700 900982", "email": "stop@example.invalid"}
    )
    data = [*hidden_fields(first.text), ("new_weakness", "yes"), ("action", "next")]
    stopped = site.post("/screen", data)
    assert stopped.status_code == 303
    result = site.client.get(stopped.headers["location"])
    assert "Call 999 now" in result.text
    assert 'role="alert"' in result.text
    (row,) = site.submissions()
    assert (row.disposition, row.complete) == ("emergency", False)
    assert "new_neurological_deficit" in row.red_flags  # the flag that fired is stored
    assert row.patient_name == "Test Patient Stop"
    stored = json.loads(row.response_json)["patient"]
    assert stored == {
        "name": "Test Patient Stop",
        "contact": "07700 900982",
        "email": "stop@example.invalid",
        "date_of_birth": None,
        "nhs_number": None,
        "gp_practice": None,
    }


def test_the_first_page_asks_for_contact_and_says_why(site: Site) -> None:
    first = site.client.get("/screen")
    assert "<h1>How can we contact you?</h1>" in first.text
    assert "especially if your answers need urgent attention" in first.text
    missing = site.post("/screen", [*hidden_fields(first.text), ("action", "next")])
    assert errors_on(missing.text) == ["Enter your name", "Enter a phone number, like 01632 960 001 or 07700 900 982"]
    bad = site.post(
        "/screen",
        [
            *hidden_fields(first.text),
            ("name", "A Person"),
            ("contact", "call me"),
            ("email", "nope"),
            ("action", "next"),
        ],
    )
    assert errors_on(bad.text) == [
        "Enter a phone number using only numbers, spaces and +, like 07700 900 982",
        "Enter an email address in the right format, like name@example.com",
    ]
    assert 'value="A Person"' in bad.text  # what was typed stays


def test_contact_can_be_skipped_with_a_warning_and_an_emergency_is_still_stored(site: Site) -> None:
    first = site.client.get("/screen")
    skipped = site.post("/screen", [*hidden_fields(first.text), ("name", "Only A Name"), ("action", "skip")])
    assert f"<h1>{site.definition.questionnaire.sections[0].title} " in skipped.text
    assert "You have not given a phone number." in skipped.text
    assert not errors_on(skipped.text)
    back = site.post("/screen", [*hidden_fields(skipped.text), ("action", "goto-0")])
    assert "<h1>How can we contact you?</h1>" in back.text and 'value="Only A Name"' in back.text
    stopped = site.post("/screen", [*hidden_fields(skipped.text), ("new_weakness", "yes"), ("action", "next")])
    assert stopped.status_code == 303
    (row,) = site.submissions()
    assert (row.disposition, row.patient_name) == ("emergency", "Only A Name")


def test_required_questions_report_each_field(site: Site) -> None:
    first = site.first_section()
    page = site.post("/screen", [*hidden_fields(first.text), ("action", "next")])
    messages = errors_on(page.text)
    shown = {i for i, is_shown in site.definition.effective_values({})[1].items() if is_shown is True}
    first_screen = screens(site.definition)[0].items
    required_on_first = [i for i in first_screen if getattr(site.definition.items[i], "required", False) and i in shown]
    assert len(messages) == len(required_on_first)
    for item_id in required_on_first:
        assert f'href="#f-{item_id}"' in page.text  # the summary links to the field
        assert f'id="e-{item_id}"' in page.text  # and the message sits next to it
    assert page.text.count("<title>Error: ") == 1


def test_result_link_needs_its_token_and_expires(site: Site, physio_answers: dict[str, Any]) -> None:
    done = site.complete(physio_answers)
    location = done.headers["location"]
    _, _, sid, token = location.split("/")
    assert site.client.get(f"/result/{sid}/{'0' * 40}").status_code == 404
    assert site.client.get(f"/result/{sid}/{token[:-1]}").status_code == 404
    assert site.client.get(f"/result/{sid}/{token}/summary.pdf").content.startswith(b"%PDF")
    with site.db() as db:
        row = db.get(Submission, sid)
        assert row is not None
        row.created_at = row.created_at - site.services.settings.result_link_valid_for - timedelta(minutes=1)
        db.commit()
    assert site.client.get(location).status_code == 410
    assert site.client.get(f"{location}/summary.pdf").status_code == 410


def test_resubmitting_the_same_form_does_not_duplicate(site: Site, physio_answers: dict[str, Any]) -> None:
    pages = list(site.walk(physio_answers))
    review = next(p for p in reversed(pages) if p.status_code == 200 and 'value="submit"' in p.text)
    again = site.post("/screen", [*hidden_fields(review.text), ("action", "submit")])
    assert again.status_code == 303
    assert again.headers["location"] == pages[-1].headers["location"]
    assert site.count() == 1


def test_visibility_follows_the_engine(site: Site) -> None:
    first = site.first_section()
    token = field(first.text, "csrftoken")
    for answers in ({}, {"head_injury": "yes"}, {"age": "30"}):
        got = site.client.post("/visibility", data={"csrftoken": token, **answers})
        expected = {
            i
            for i, shown in site.definition.effective_values(
                {k: int(v) if v.isdigit() else v for k, v in answers.items()}
            )[1].items()
            if shown is True
        }
        assert set(got.json()["shown"]) == expected


def test_start_and_first_page_render(site: Site) -> None:
    start = site.client.get("/")
    assert start.status_code == 200
    assert site.definition.questionnaire.title in start.text
    first = site.first_section()
    assert f"<h1>{site.definition.questionnaire.sections[0].title} " in first.text


def test_a_not_sure_answer_gets_one_same_day_check_listing_only_the_question_asked(
    site: Site, physio_answers: dict[str, Any]
) -> None:
    from html import unescape

    answers = {**physio_answers, "recent_head_or_neck_injury": "not_sure"}  # its follow-ups are never asked
    done = site.complete(
        answers, {"name": "Test Patient Unsure", "contact": "01632 960000", "email": "test@example.invalid"}
    )
    assert done.status_code == 303
    page = unescape(site.client.get(done.headers["location"]).text)
    unsure = site.definition.ruleset.disposition.unsure_text
    assert unsure is not None
    assert "Same-day check" in page and unsure.title in page
    assert "Speak to a doctor today" not in page  # the urgent-GP text would contradict the same-day call
    assert "will phone you today" in page and "working day" not in page  # no later callback promised
    assert "What to tell your GP" not in page and "data-book" not in page
    wording = site.definition.wording
    assert wording["recent_head_or_neck_injury"][0] in page  # asked, in the patient's wording
    for never_asked in ("injury_high_force", "tingling_since_injury", "neck_pain_unlike_before"):
        assert wording[never_asked][0] not in page
    for flag in site.definition.ruleset.red_flags:  # flag titles are staff language
        if flag.id in ("head_or_neck_injury_high_risk", "recent_head_or_neck_injury"):
            assert flag.title not in page
    (row,) = site.submissions()
    assert row.disposition == "urgent_gp"


def test_nhs_number_and_gp_practice_are_asked_for_and_kept(site: Site, physio_answers: dict[str, Any]) -> None:
    details = {
        "name": "Test Patient Identified",
        "contact": "01632 960000",
        "nhs_number": "943 476 5919",
        "gp_practice": "Example Lane Surgery (fictional)",
    }
    pages = list(site.walk(physio_answers, details))
    form = next(p.text for p in pages if p.status_code == 200 and 'id="f-nhs_number"' in p.text)
    assert 'name="gp_practice"' in form
    assert 'NHS number <span class="optional">(optional)</span>' in form
    assert pages[-1].status_code == 303
    (row,) = site.submissions()
    patient = json.loads(row.response_json)["patient"]
    assert (patient["nhs_number"], patient["gp_practice"]) == ("9434765919", "Example Lane Surgery (fictional)")


def test_a_mistyped_nhs_number_is_asked_again_next_to_the_field(site: Site, physio_answers: dict[str, Any]) -> None:
    details = {"name": "Test Patient", "contact": "01632 960000", "nhs_number": "943 476 5918"}
    last = site.complete(physio_answers, details)
    assert last.status_code == 200
    assert errors_on(last.text) == [
        "Enter the 10-digit NHS number exactly as it is written, like 943 476 5919, or leave it blank"
    ]
    assert 'aria-invalid="true"' in last.text.split('name="nhs_number"')[1].split(">")[0]
    assert site.submissions() == []


def _details_page(site: Site, answers: dict[str, Any]) -> Any:
    """Walk the questions to the details page (the page with the date of birth boxes)."""
    for page in site.walk(answers):
        if 'id="f-dob_day"' in page.text:
            return page
    raise AssertionError("the details page was never reached")


def test_date_of_birth_is_three_boxes_read_day_month_year(site: Site, physio_answers: dict[str, Any]) -> None:
    details = _details_page(site, physio_answers)
    assert 'type="date"' not in details.text  # no browser date picker
    base = [*hidden_fields(details.text), ("name", "Test Patient"), ("contact", "01632 960000")]
    review = site.post(
        "/screen", [*base, ("dob_day", "12"), ("dob_month", "04"), ("dob_year", "1987"), ("action", "next")]
    )
    assert "Check your answers" in review.text and "12 April 1987" in review.text
    done = site.post("/screen", [*hidden_fields(review.text), ("action", "submit")])
    assert done.status_code == 303
    (row,) = site.submissions()
    assert json.loads(row.response_json)["patient"]["date_of_birth"] == "1987-04-12"


def test_date_of_birth_errors_say_what_is_wrong(site: Site, physio_answers: dict[str, Any]) -> None:
    details = _details_page(site, physio_answers)
    base = [*hidden_fields(details.text), ("name", "Test Patient"), ("contact", "01632 960000")]
    cases = {
        ("12", "", "1987"): ("Date of birth must include a month", "dob_month"),
        ("31", "02", "1987"): ("Date of birth must be a real date", "dob_day"),
        ("12", "13", "1987"): ("Date of birth must be a real date", "dob_month"),
        ("12", "04", "87"): ("Year must include 4 numbers, like 1987", "dob_year"),
        ("1", "1", "2999"): ("Date of birth must be in the past", "dob_day"),
        ("1", "x", "1987"): ("Date of birth must be a real date, written in numbers", "dob_month"),
    }
    for (day, month, year), (message, box) in cases.items():
        page = site.post(
            "/screen", [*base, ("dob_day", day), ("dob_month", month), ("dob_year", year), ("action", "next")]
        )
        assert errors_on(page.text) == [message], (day, month, year)
        assert f'href="#f-{box}"' in page.text
        assert re.search(rf'id="f-{box}" value="[^"]*" autocomplete="[^"]+" aria-invalid="true"', page.text)
        assert f'value="{year}"' in page.text  # what was typed stays
    assert site.count() == 0


def _self_care(definition: Any, physio_answers: dict[str, Any]) -> dict[str, Any]:
    """The physio example with nothing pointing at the neck: no warning signs, a self-care outcome."""
    answers = dict(physio_answers)
    for item in definition.questionnaire.sections[5].items:  # "Your neck and your headaches"
        if answers.get(item.id) == "yes":
            answers[item.id] = "no"
    answers.update(
        headache_side="both_sides",
        pain_starts_where="forehead_temple_or_eye",
        pain_spreads_forward="no",
        headache_days_per_month=2,
        pain_quality="throbbing",
        pain_severity=4,
    )
    return answers


def _with_clinic(site: Site, **settings: Any) -> None:
    site.services.clinic = site.services.clinic.model_copy(update=settings)


def _result(site: Site, answers: dict[str, Any]) -> tuple[str, Submission]:
    done = site.complete(answers)
    assert done.status_code == 303, errors_on(done.text)
    rows = site.submissions()
    return html.unescape(site.client.get(done.headers["location"]).text), rows[-1]


def test_a_physio_result_leads_to_the_discovery_call(site: Site, physio_answers: dict[str, Any]) -> None:
    _with_clinic(site, booking_url="https://book.example.invalid/call", phone="01632 960 123", callback_days=3)
    page, row = _result(site, physio_answers)
    assert (
        '<a class="button" href="https://book.example.invalid/call" data-book>Book your free discovery call</a>' in page
    )
    assert 'href="tel:01632960123"' in page
    assert f"Your reference number<br><strong data-reference>{row.id[:8].upper()}</strong>" in page
    assert "will contact you within 3 working days" in page
    assert "Your answers fit the pattern of a headache that comes from the neck." in page  # graded likely
    assert "the physiotherapist will:" in page
    assert "not a diagnosis" in page.split("<footer")[1]  # the statement is in the footer of a result


def test_a_partly_fitting_neck_pattern_says_so(site: Site, physio_answers: dict[str, Any]) -> None:
    answers = dict(physio_answers)
    for item in site.definition.questionnaire.sections[5].items:
        if answers.get(item.id) == "yes":
            answers[item.id] = "no"
    page, row = _result(site, answers)
    assert row.disposition == "physio_assessment" and row.likelihood == "possible"
    assert "Your answers partly fit the pattern of a headache that comes from the neck." in page


def test_a_self_care_result_gives_advice_and_still_offers_a_call(site: Site, physio_answers: dict[str, Any]) -> None:
    _with_clinic(site, booking_url="https://book.example.invalid/call")
    page, row = _result(site, _self_care(site.definition, physio_answers))
    assert row.disposition == "self_care"
    assert "What helps" in page and "You can still book a call" in page
    assert 'href="https://book.example.invalid/call"' in page
    assert "within 2 working days" in page  # the default
    assert "fit the pattern" not in page  # the neck pattern is told with a physio outcome only


def test_a_gp_result_says_what_to_tell_the_gp_and_offers_no_booking(site: Site, bundled: Any) -> None:
    from screening.response import read_response_file

    _with_clinic(site, booking_url="https://book.example.invalid/call", phone="01632 960 123")
    data, _ = read_response_file(EXAMPLES / "gp_medication_overuse.yaml")
    page, row = _result(site, data["answers"])
    assert row.disposition == "routine_gp"
    assert "What to tell your GP" in page and "The clinic can still help afterwards" in page
    assert "Show them your summary" in page
    assert "data-book" not in page  # no booking while the GP is to see them first
    assert "within 2 working days" in page


def test_an_emergency_result_puts_a_999_button_first_and_no_callback_promise(site: Site) -> None:
    first = site.first_section()
    stopped = site.post("/screen", [*hidden_fields(first.text), ("new_weakness", "yes"), ("action", "next")])
    page = html.unescape(site.client.get(stopped.headers["location"]).text)
    main = page.split('<main id="main"')[1]
    assert main.index('href="tel:999"') < main.index("One or more of your answers")
    assert "working day" not in page and "Book your free discovery call" not in page
    (row,) = site.submissions()
    assert row.id[:8].upper() in page


def test_result_times_are_clinic_local_with_gmt_or_bst(site: Site, physio_answers: dict[str, Any]) -> None:
    from screening.web.localtime import written_time as local_time

    summer = datetime(2026, 7, 1, 11, 30, tzinfo=UTC)
    winter = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
    assert local_time(summer, site.services.clinic.zone) == "1 July 2026 at 12:30 BST"
    assert local_time(winter, site.services.clinic.zone) == "1 December 2026 at 11:30 GMT"
    page, _ = _result(site, physio_answers)
    assert re.search(r"This link works until \d+ \w+ \d{4} at \d\d:\d\d (GMT|BST)\.", page)
    question_page = site.first_section()
    assert "not a diagnosis" not in question_page.text  # no result statement on question pages


def test_privacy_notice_is_linked_where_details_are_asked_and_consent_is_stored(
    site: Site, physio_answers: dict[str, Any]
) -> None:
    notice = "https://clinic.example.invalid/privacy"
    _with_clinic(
        site,
        privacy_notice_url=notice,
        privacy_notice_version="2026-11",
        consent_text="Sending means you agree to our using these answers for your call.",
    )
    first = site.client.get("/screen")
    assert f'href="{notice}"' in first.text
    pages = list(site.walk(physio_answers))
    details = next(p for p in pages if 'id="f-dob_day"' in p.text)
    review = next(p for p in pages if 'value="submit"' in p.text)
    assert f'href="{notice}"' in details.text and f'href="{notice}"' in review.text
    assert "Sending means you agree to our using these answers for your call." in review.text
    before = datetime.now(UTC)
    (row,) = site.submissions()
    assert row.consent_notice_version == "2026-11"
    assert row.consent_at is not None and before - timedelta(minutes=1) < row.consent_at <= datetime.now(UTC)


def test_an_emergency_stop_records_no_consent(site: Site) -> None:
    first = site.first_section()
    site.post("/screen", [*hidden_fields(first.text), ("new_weakness", "yes"), ("action", "next")])
    (row,) = site.submissions()
    assert (row.consent_notice_version, row.consent_at) == (None, None)  # never reached "Send my answers"


def test_the_start_page_time_comes_from_the_questions_a_typical_patient_sees(site: Site) -> None:
    from screening.web.journey import journey_size

    typical = journey_size(site.definition, {})
    everything = journey_size(site.definition, {"fever": "yes", "sudden_onset_headache": "yes"})
    assert everything.questions > typical.questions  # follow-ups count only when they are opened
    assert f"About {typical.minutes} minutes of questions" in site.client.get("/").text


def test_follow_up_questions_are_marked_to_stand_out(site: Site) -> None:
    first = site.first_section()
    on_first = [site.definition.items[i] for i in screens(site.definition)[0].items]
    follow_ups = [i.id for i in on_first if i.enable_when is not None]
    plain = [i.id for i in on_first if i.enable_when is None]
    assert follow_ups and plain
    for item_id in follow_ups:
        assert re.search(rf'class="q q--follow-up" data-item="{item_id}"', first.text), item_id
    for item_id in plain:
        assert re.search(rf'class="q" data-item="{item_id}"', first.text), item_id
