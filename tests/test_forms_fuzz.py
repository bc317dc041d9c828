"""Every form and query string of the web pages under generated input: the suite counts the
server errors, and there must be none."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmcself import create_app
from lmcself.staff.accounts import add_user
from lmcself.storage.db import get_db, init_db

from .conftest import PASSWORD, random_records, store

# Text as a browser or a script may send it: any Unicode (no lone surrogates: a form body is
# UTF-8), control characters, very long, or the values the forms expect.
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=100, max_size=3000),
    st.sampled_from(["", " ", "\x00", "\u202e", "0001-01-01", "9999-12-31", "2026-W01-1", "y"]),
)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A production-like app (a fault is a 500 response), CSRF off so the fuzz reaches the
    forms' validation, a staff account and some submissions."""
    path = tmp_path_factory.mktemp("forms") / "forms.db"
    app = create_app(
        {
            "DATABASE": str(path),
            "SECRET_KEY": "forms",
            "PROPAGATE_EXCEPTIONS": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        init_db()
        add_user(get_db(), "lina", PASSWORD, "staff")
    records = random_records(app.extensions["instrument"], 6, seed=5)
    store(app, records)
    app.config["FUZZ_ID"] = records[0]["id"]
    return app


def forget_tries(app) -> None:
    """The fuzz's own sign-in tries would hold the next ones up (as they should)."""
    with app.app_context():
        db = get_db()
        with db.conn:
            db.execute("DELETE FROM login_attempts")


def signed_in(app):
    forget_tries(app)
    client = app.test_client()
    response = client.post("/en/staff/login", data={"name": "lina", "password": PASSWORD})
    assert response.status_code == 302
    return client


def started(app):
    client = app.test_client()
    client.post("/en/", data={"consent": "y"})
    return client


def fields(*names: str):
    return st.fixed_dictionaries({}, optional={n: TEXT for n in names}).map(
        lambda d: {k: v for k, v in d.items()}
    )


def assert_no_server_error(response, where) -> None:
    assert response.status_code < 500, (where, response.status_code)


def test_landing_and_again_forms(web):
    client = web.test_client()

    @SETTINGS
    @given(form=fields("consent", "workshop", "csrf_token"), query=fields("w", "lang", "_method"))
    def run(form, query) -> None:
        for path in ("/en/", "/km/", "/"):
            assert_no_server_error(client.get(path, query_string=query), path)
        assert_no_server_error(client.post("/en/", data=form, query_string=query), "landing")
        assert_no_server_error(
            client.post("/en/again", data={"code": form.get("workshop", "")}), "again"
        )
        assert_no_server_error(client.get(f"/en/again/{form.get('workshop', 'x') or 'x'}"), "again")

    run()


def test_context_and_parts_forms(web):
    instrument = web.extensions["instrument"]
    keys = [q.key for q in instrument.context] + [q.key for q in instrument.questions] + ["back"]
    client = started(web)

    @SETTINGS
    @given(form=fields(*keys), n=st.integers(-2, len(instrument.dimensions) + 2))
    def run(form, n) -> None:
        assert_no_server_error(client.post("/en/about-you", data=form), "context")
        assert_no_server_error(client.post(f"/en/part/{n}", data=form), n)

    run()


def test_plan_pdf_name(web):
    client = web.test_client()
    submission_id = web.config["FUZZ_ID"]

    # Rendering a PDF takes a moment: fewer examples, most of them names the form refuses.
    @settings(SETTINGS, max_examples=12)
    @given(name=TEXT)
    def run(name) -> None:
        response = client.post(f"/en/plan/{submission_id}/pdf", data={"business_name": name})
        assert_no_server_error(response, "pdf")

    run()


def test_staff_login_and_workshop_forms(web):
    client = signed_in(web)
    anonymous = web.test_client()

    # Each example checks a password (argon2id, 64 MiB): fewer examples.
    @settings(SETTINGS, max_examples=60)
    @given(
        login=fields("name", "password"),
        workshop=fields("code", "name", "country", "held_on"),
        nxt=TEXT,
    )
    def run(login, workshop, nxt) -> None:
        forget_tries(web)  # so that the password is checked, not only the throttle
        response = anonymous.post("/en/staff/login", data=login, query_string={"next": nxt})
        assert_no_server_error(response, "login")
        assert_no_server_error(client.post("/en/staff/", data=workshop), "workshop")

    run()


def test_report_and_dashboard_query_strings(web):
    client = signed_in(web)
    months = st.one_of(
        TEXT, st.from_regex(r"\A\d{4}-\d{2}\Z"), st.sampled_from(["0001-01", "9999-12"])
    )

    @SETTINGS
    @given(
        since=months,
        until=months,
        country=TEXT,
        by=st.one_of(TEXT, st.sampled_from(["country", "sector", "month", "workshop"])),
    )
    def run(since, until, country, by) -> None:
        query = {"since": since, "until": until, "country": country, "by": by}
        for path in ("/en/staff/report", "/en/staff/dashboard"):
            assert_no_server_error(client.get(path, query_string=query), path)
        assert_no_server_error(
            client.get("/en/staff/exports/aggregate.csv", query_string={"by": by}), "export"
        )

    run()
