"""Patient self-screening through the web pages: journey, emergency stop, validation, result link and PDF."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import yaml
from web import Site, errors_on, field, hidden_fields

from screening.loader import default_questionnaire_path, ruleset_path_for
from screening.web.db import Submission


def _disposition_title(kind: str) -> str:
    rules = yaml.safe_load(ruleset_path_for(default_questionnaire_path()).read_text(encoding="utf-8"))
    title: str = rules["disposition"]["texts"][kind]["title"]
    return title


def test_patient_completes_a_physio_journey(site: Site, physio_answers: dict[str, Any]) -> None:
    pages = list(site.walk(physio_answers, {"name": "Test Patient Physio", "contact": "test@example.invalid"}))
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
    first = site.client.get("/screen")
    assert "Step 1 of" in first.text
    data = [*hidden_fields(first.text), ("sudden_onset_headache", "no"), ("worst_ever_headache", "no")]
    # Continue with the page incomplete: errors, answers kept
    again = site.post("/screen", [*data, ("action", "next")])
    assert errors_on(again.text)
    assert re.search(r'value="no" id="f-sudden_onset_headache-2" checked', again.text)


def test_an_emergency_answer_stops_the_journey_and_is_recorded(site: Site) -> None:
    first = site.client.get("/screen")
    data = [*hidden_fields(first.text), ("sudden_onset_headache", "yes"), ("action", "next")]
    stopped = site.post("/screen", data)
    assert stopped.status_code == 303
    result = site.client.get(stopped.headers["location"])
    assert "Call 999 now" in result.text
    assert 'role="alert"' in result.text
    (row,) = site.submissions()
    assert (row.disposition, row.complete) == ("emergency", False)
    assert "sudden_onset" in row.red_flags or row.red_flags  # the flag that fired is stored


def test_required_questions_report_each_field(site: Site) -> None:
    first = site.client.get("/screen")
    page = site.post("/screen", [*hidden_fields(first.text), ("action", "next")])
    messages = errors_on(page.text)
    shown = {i for i, is_shown in site.definition.effective_values({})[1].items() if is_shown is True}
    required_on_first = [
        i.id for i in site.definition.questionnaire.sections[0].items if getattr(i, "required", False) and i.id in shown
    ]
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
    first = site.client.get("/screen")
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
    first = site.client.get("/screen")
    assert f"<h1>{site.definition.questionnaire.sections[0].title}</h1>" in first.text


def test_a_not_sure_answer_gets_one_same_day_check_listing_only_the_question_asked(
    site: Site, physio_answers: dict[str, Any]
) -> None:
    from html import unescape

    answers = {**physio_answers, "recent_head_or_neck_injury": "not_sure"}  # its follow-ups are never asked
    done = site.complete(answers, {"name": "Test Patient Unsure", "contact": "test@example.invalid"})
    assert done.status_code == 303
    page = unescape(site.client.get(done.headers["location"]).text)
    unsure = site.definition.ruleset.disposition.unsure_text
    assert unsure is not None
    assert "Same-day check" in page and unsure.title in page
    assert "Speak to a doctor today" not in page  # the urgent-GP text would contradict the same-day call
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
    form = next(p.text for p in pages if p.status_code == 200 and 'name="contact"' in p.text)
    assert 'name="nhs_number"' in form and 'name="gp_practice"' in form
    assert "NHS number <span class=\"optional\">(optional)</span>" in form
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
