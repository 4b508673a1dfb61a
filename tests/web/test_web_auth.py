"""Signing in under attack: counts that parallel guesses cannot outrun, throttling per name-and-address and per
address, one answer and one cost for every refusal, and revocation that takes effect at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from helpers.web import STAFF_PASSWORD, Site, errors_on, field
from starlette.testclient import TestClient

from screening.web import auth
from screening.web.auth import revoke_api_token, set_disabled, set_password


def _login_form(client: TestClient) -> Callable[[str, str], Any]:
    """A sign-in function for this client: one CSRF token, reused, so that posts can run in parallel."""
    token = field(client.get("/staff/login").text, "csrftoken")

    def login(name: str, password: str) -> Any:
        return client.post("/staff/login", data={"csrftoken": token, "name": name, "password": password})

    return login


def _client_from(site: Site, address: str) -> TestClient:
    """Another browser, at another address, on the same running app."""
    return TestClient(site.client.app, follow_redirects=False, client=(address, 50000))


def _fewer_attempts(site: Site, per_address: int) -> None:
    """A smaller allowance per address, so the test needs fewer (slow, argon2-checked) sign-ins."""
    site.services.settings = replace(site.services.settings, lockout_after_failures_per_address=per_address)


def test_parallel_wrong_guesses_are_all_counted(site: Site) -> None:
    site.add_staff()
    login = _login_form(site.client)
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: login("reception", "wrong password!"), range(20)))
    assert {a.status_code for a in answers} == {401}
    assert login("reception", STAFF_PASSWORD).status_code == 401, "the limit was reached: the right one is refused"
    limit = site.services.settings.lockout_after_failures
    actions = site.audit_actions()
    assert actions.count("login_bad") == limit and actions.count("login_locked") == 21 - limit


def test_the_right_password_in_a_burst_of_wrong_ones_cannot_sign_in(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty wrong guesses are held inside the password check; then the right one arrives. Counting after the
    check (reading a stale count) let it in; counting before the check refuses it."""
    site.add_staff()
    login = _login_form(site.client)
    real_verify = auth._verify
    waiting, go = [], threading.Event()

    def held_verify(hashed: str, password: str) -> bool:
        if password != STAFF_PASSWORD:
            waiting.append(1)
            go.wait(30)
        return real_verify(hashed, password)

    monkeypatch.setattr(auth, "_verify", held_verify)
    with ThreadPoolExecutor(20) as pool:
        wrong = [pool.submit(login, "reception", f"wrong guess {n:02d}") for n in range(20)]
        deadline = time.monotonic() + 30
        while len(waiting) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(waiting) == 20
        right = login("reception", STAFF_PASSWORD)
        go.set()
        assert {w.result().status_code for w in wrong} == {401}
    assert right.status_code == 401
    assert "screening_session" not in right.headers.get("set-cookie", "")


def test_unknown_wrong_and_paused_get_the_same_answer_and_the_same_work(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.add_staff()
    site.add_staff("pharmacist")
    with site.db() as db:
        set_disabled(db, "pharmacist", True)
        db.commit()
    checks: list[str] = []
    real_verify = auth._verify

    def counted_verify(hashed: str, password: str) -> bool:
        checks.append(hashed)
        return real_verify(hashed, password)

    monkeypatch.setattr(auth, "_verify", counted_verify)
    login = _login_form(site.client)
    limit = site.services.settings.lockout_after_failures
    unknown = login("nobody-by-this-name", STAFF_PASSWORD)
    disabled = login("pharmacist", STAFF_PASSWORD)
    wrong = [login("reception", "wrong password!") for _ in range(limit)]
    paused = login("reception", STAFF_PASSWORD)
    refusals = [unknown, disabled, *wrong, paused]
    assert {r.status_code for r in refusals} == {401}
    assert len({tuple(errors_on(r.text)) for r in refusals}) == 1
    assert errors_on(unknown.text)
    assert len(checks) == len(refusals), "every refusal, paused ones included, costs one password check"


def test_a_stranger_cannot_lock_a_colleague_out(site: Site) -> None:
    site.add_staff()
    limit = site.services.settings.lockout_after_failures
    stranger = _login_form(_client_from(site, "203.0.113.9"))
    for _ in range(limit + 3):
        assert stranger("reception", "wrong password!").status_code == 401
    assert stranger("reception", STAFF_PASSWORD).status_code == 401  # paused for the stranger's address
    colleague = _login_form(_client_from(site, "198.51.100.20"))
    assert colleague("reception", STAFF_PASSWORD).status_code == 303


def test_one_address_guessing_many_names_is_paused_for_all_of_them(site: Site) -> None:
    site.add_staff()
    _fewer_attempts(site, per_address := 4)
    guesser = _login_form(_client_from(site, "203.0.113.10"))
    for n in range(per_address):
        assert guesser(f"guess-{n}", "wrong password!").status_code == 401
    assert guesser("reception", STAFF_PASSWORD).status_code == 401  # a name it never tried
    assert _login_form(_client_from(site, "198.51.100.21"))("reception", STAFF_PASSWORD).status_code == 303


def test_signing_in_successfully_gives_the_attempt_back(site: Site) -> None:
    """Colleagues behind one office address do not use up its allowance by signing in correctly."""
    site.add_staff()
    _fewer_attempts(site, per_address := 2)
    office = _login_form(_client_from(site, "192.0.2.1"))
    for _ in range(per_address + 3):
        assert office("reception", STAFF_PASSWORD).status_code == 303


def test_a_new_password_or_disabling_ends_open_sessions(site: Site) -> None:
    site.add_staff()
    assert site.login().status_code == 303
    assert site.client.get("/staff/submissions").status_code == 200
    with site.db() as db:
        set_password(db, "reception", "a brand new password")
        db.commit()
    assert site.client.get("/staff/submissions").status_code == 303, "the old session ended"
    assert site.login(password="a brand new password").status_code == 303
    assert site.client.get("/staff/submissions").status_code == 200
    with site.db() as db:
        set_disabled(db, "reception", True)
        db.commit()
    assert site.client.get("/staff/submissions").status_code == 303
    assert site.login(password="a brand new password").status_code == 401
    with site.db() as db:
        set_disabled(db, "reception", False)
        db.commit()
    assert site.login(password="a brand new password").status_code == 303


def test_a_revoked_api_token_is_refused_at_once(site: Site) -> None:
    token = site.api_token("practice-system")
    headers = {"authorization": f"Bearer {token}"}
    assert site.client.get("/api/v1/submissions/" + "0" * 32, headers=headers).status_code == 404
    with site.db() as db:
        revoke_api_token(db, "practice-system")
        db.commit()
    assert site.client.get("/api/v1/submissions/" + "0" * 32, headers=headers).status_code == 401
