"""Access by role: open mode, password and OpenID Connect logins, timeouts, pages per role."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from app_pages import _auth
from cpgeo.cli.users import User, users_toml

ROOT = Path(__file__).resolve().parents[1]
# cheap to compute, for speed; the app and the CLI use argon2-cffi's defaults
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
ALL_PAGES = {"coverage", "office_load", "proposals", "snapshot", "plans"}  # app_pages/*.py
RESTRICTED = ["coverage", "office-load", "proposals", "plans"]  # their URL paths
PASSWORDS = {"alice": "alice-secret-1", "dora": "dora-secret-1"}
OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "not-a-real-secret",
        "client_id": "cpgeo",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
    }
}


@pytest.fixture(autouse=True)
def _no_access_settings(monkeypatch):
    """Each test starts open: no users file, default timeout, no identities seen."""
    monkeypatch.delenv(_auth.USERS_ENV, raising=False)
    monkeypatch.delenv(_auth.MINUTES_ENV, raising=False)
    monkeypatch.setattr(_auth, "_IDENTITY_SEEN", {})


def _write_users(path: Path, text: str, monkeypatch) -> Path:
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(_auth.USERS_ENV, str(path))
    return path


@pytest.fixture
def users_file(tmp_path, monkeypatch) -> Path:
    users = {
        "alice": User("planner", FAST.hash(PASSWORDS["alice"])),
        "dora": User("donor", FAST.hash(PASSWORDS["dora"])),
    }
    return _write_users(tmp_path / "users.toml", users_toml(users), monkeypatch)


@pytest.fixture
def oidc_users(tmp_path, monkeypatch) -> Path:
    text = (
        '[users."Dora@Example.org"]\nrole = "donor"\n\n'
        '[users."pat@example.org"]\nrole = "planner"\n'
    )
    return _write_users(tmp_path / "users.toml", text, monkeypatch)


def _new() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)


def _pages(at: AppTest) -> set[str]:
    # the pages of the last run's st.navigation (AppTest keeps no public list of them);
    # a run that stops before st.navigation registers only app.py, without a URL path
    return {
        Path(str(info["script_path"])).stem
        for info in at._registered_pages.values()
        if "url_pathname" in info
    }


def _login(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="auth_login_user").set_value(name)
    at.text_input(key="auth_login_password").set_value(password)
    next(b for b in at.button if b.label == "Log in").click().run()
    return at


def _logged_in(name: str) -> AppTest:
    at = _new().run()
    _login(at, name, PASSWORDS[name])
    assert at.session_state["auth_user"] == name
    return at


def _texts(elements) -> str:
    return " ".join(e.value for e in elements)


# --------------------------------------------------------------------------- pages


def test_pages_for_each_role():
    planner = [p.url_path for p in _auth.pages_for("planner")]
    assert planner == ["coverage", "office-load", "proposals", "snapshot", "plans"]
    assert [p.path for p in _auth.pages_for("donor")] == ["app_pages/snapshot.py"]
    for page in _auth.pages_for("planner"):
        assert (ROOT / page.path).is_file()
    with pytest.raises(ValueError, match="unknown role 'admin'"):
        _auth.pages_for("admin")


# ----------------------------------------------------------------------- open mode


def test_open_mode_says_so_and_shows_every_page():
    at = _new().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Open access: no users configured" in _texts(at.sidebar.caption)
    assert _pages(at) == ALL_PAGES
    assert "Coverage" in [t.value for t in at.title]
    assert "auth_login_user" not in [t.key for t in at.text_input]


def test_open_mode_refuses_a_request_from_elsewhere(monkeypatch):
    # AppTest sends no headers; the gate reads them through _auth._request
    monkeypatch.setattr(_auth, "_request", lambda: ({"host": ["cpgeo.example.org"]}, None))
    at = _new().run()
    assert not at.exception, [e.value for e in at.exception]
    said = _texts(at.error)
    assert "Open access (no users configured) is for localhost only" in said
    assert "CPGEO_USERS" in said
    assert not _pages(at)
    assert not at.sidebar.slider  # nothing of the app is shown
    monkeypatch.setattr(_auth, "_request", lambda: ({"host": ["localhost:8501"]}, None))
    at = _new().run()
    assert not at.error
    assert _pages(at) == ALL_PAGES


@pytest.mark.parametrize(
    ("headers", "ip", "local"),
    [
        ({}, None, True),  # no HTTP request at all (streamlit.testing, bare mode)
        ({"host": ["localhost:8501"]}, None, True),
        ({"host": ["127.0.0.1:8501"], "origin": ["http://127.0.0.1:8501"]}, None, True),
        ({"host": ["[::1]:8501"]}, "::1", True),
        ({"host": ["LOCALHOST"]}, "127.0.0.1", True),
        # a server on every interface sees an IPv4 peer as an IPv4-mapped IPv6 address
        ({"host": ["127.0.0.1:8501"]}, "::ffff:127.0.0.1", True),
        ({"host": ["localhost:8501"]}, "::ffff:10.0.0.5", False),
        ({"host": ["::1"]}, None, True),
        ({"host": ["cpgeo.example.org"]}, None, False),
        ({"host": ["localhost.example.org:8501"]}, None, False),
        ({"host": ["localhost:8501x"]}, None, False),
        ({"host": ["[::1]x"]}, None, False),
        ({"host": ["10.0.0.5:8501"]}, None, False),
        ({"host": ["localhost", "cpgeo.example.org"]}, None, False),
        ({}, "10.0.0.5", False),
        ({"host": ["localhost:8501"]}, "192.168.1.20", False),
        ({"host": ["localhost:8501"]}, "not-an-address", False),
        ({"host": ["localhost:8501"], "x-forwarded-for": ["203.0.113.9"]}, None, False),
        ({"host": ["localhost:8501"], "forwarded": ["for=203.0.113.9"]}, None, False),
        ({"host": ["localhost:8501"], "origin": ["https://evil.example.org"]}, None, False),
        ({"host": ["localhost:8501"], "origin": ["null"]}, None, False),
        ({"origin": ["http://localhost:8501"]}, None, False),  # headers, but no Host
    ],
)
def test_is_local_request(headers, ip, local):
    assert _auth.is_local_request(headers, ip) is local


def test_role_defaults_to_donor_without_a_decision(tmp_path, monkeypatch):
    def script():
        import streamlit as st

        from app_pages._auth import role

        st.write(f"role={role()}")

    at = AppTest.from_function(script, default_timeout=30).run()
    assert [m.value for m in at.markdown] == ["role=planner"]  # open mode
    _write_users(tmp_path / "users.toml", users_toml({}), monkeypatch)
    at = AppTest.from_function(script, default_timeout=30).run()
    assert [m.value for m in at.markdown] == ["role=donor"]
    at.session_state["auth_role"] = "chief"  # not a role: still the most restrictive
    at.run()
    assert [m.value for m in at.markdown] == ["role=donor"]


# ------------------------------------------------------------------ password login


def test_login_form_comes_before_anything(users_file):
    at = _new().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "cpgeo: log in" in [t.value for t in at.title]
    assert not _pages(at)
    assert not at.sidebar.slider
    assert not at.metric
    assert "Open access" not in _texts(at.sidebar.caption)


def test_planner_sees_every_page(users_file):
    at = _logged_in("alice")
    assert not at.exception, [e.value for e in at.exception]
    assert _pages(at) == ALL_PAGES
    assert "Coverage" in [t.value for t in at.title]
    assert "Logged in as **alice** (planner)" in _texts(at.sidebar.caption)
    at.switch_page("app_pages/proposals.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Site proposals" in [t.value for t in at.title]


def test_donor_sees_only_the_snapshot(users_file):
    at = _logged_in("dora")
    assert _pages(at) == {"snapshot"}
    assert "Snapshot" in [t.value for t in at.title]
    assert "Logged in as **dora** (donor)" in _texts(at.sidebar.caption)
    for path in (
        "app_pages/coverage.py",
        "app_pages/proposals.py",
        "app_pages/plans.py",
        "app_pages/office_load.py",
    ):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(path)


@pytest.mark.parametrize("url_path", RESTRICTED)
def test_donor_url_to_a_restricted_page_lands_on_the_snapshot(users_file, url_path):
    at = _logged_in("dora")
    # what a browser opening /<url_path> asks for: the page whose st.Page url_path it is
    at._page_hash = calc_hash(url_path)
    at.run()
    assert _pages(at) == {"snapshot"}
    titles = [t.value for t in at.title]
    assert "Snapshot" in titles
    assert not {"Coverage", "Office load", "Site proposals", "Plans"} & set(titles)
    assert at._finished_page_script_hash == calc_hash("snapshot")


def test_donor_query_parameters_change_nothing(users_file):
    at = _logged_in("dora")
    at.query_params["kind"] = "restricted"
    at.query_params["page"] = "proposals"
    at.query_params["role"] = "planner"
    at.run()
    assert _pages(at) == {"snapshot"}
    assert at.session_state["auth_role"] == "donor"
    assert "Site proposals" not in [t.value for t in at.title]
    # Depends on the parallel rewrite of app_pages/snapshot.py (its contract: a donor gets
    # no kind control, whatever the query parameters say).
    assert "snapshot_kind" not in [w.key for w in at.radio]


def test_donor_snapshot_page_runs_with_no_kind_control(users_file):
    # Depends on the parallel rewrite of app_pages/snapshot.py: may fail until it lands.
    at = _logged_in("dora")
    assert not at.exception, [e.value for e in at.exception]
    keys = {
        w.key for kind in ("radio", "selectbox", "segmented_control", "pills") for w in at.get(kind)
    }
    assert "snapshot_kind" not in keys


@pytest.mark.parametrize(
    ("name", "password"),
    [("alice", "wrong-password"), ("mallory", "alice-secret-1"), ("", ""), ("alice", "")],
)
def test_wrong_password_or_unknown_user_is_refused(users_file, name, password):
    at = _new().run()
    _login(at, name, password)
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [_auth.LOGIN_FAILED]
    assert "auth_user" not in at.session_state
    assert not _pages(at)


def test_check_password_handles_bad_hashes():
    users = {
        "ok": User("planner", FAST.hash("the-password")),
        # well formed for the users file, but not a hash argon2 can verify
        "broken": User("planner", "$argon2id$v=19$m=8,t=1,p=1$AAAA$AAAA"),
        "oidc": User("donor", None),
    }
    assert _auth.check_password(users, "ok", "the-password") == users["ok"]
    assert _auth.check_password(users, "ok", "The-password") is None
    assert _auth.check_password(users, "broken", "the-password") is None
    assert _auth.check_password(users, "oidc", "") is None
    assert _auth.check_password(users, "nobody", "the-password") is None


def test_session_times_out(users_file, monkeypatch):
    at = _logged_in("alice")
    start = time.time()
    monkeypatch.setattr(_auth, "_now", lambda: start + 29 * 60)
    at.run()
    assert _pages(at) == ALL_PAGES  # an interaction within 30 minutes: still in
    monkeypatch.setattr(_auth, "_now", lambda: start + 29 * 60 + 31 * 60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "session timed out" in _texts(at.info)
    assert "cpgeo: log in" in [t.value for t in at.title]
    assert not _pages(at)
    assert "auth_user" not in at.session_state
    assert "ctx" not in at.session_state  # the data of the session is gone too


def test_session_minutes_come_from_the_environment(users_file, monkeypatch):
    monkeypatch.setenv(_auth.MINUTES_ENV, "5")
    at = _logged_in("dora")
    start = time.time()
    monkeypatch.setattr(_auth, "_now", lambda: start + 6 * 60)
    at.run()
    assert "session timed out after 5 minutes" in _texts(at.info)
    _login(at, "dora", PASSWORDS["dora"])
    assert _pages(at) == {"snapshot"}  # logging in again works


def test_logout_button(users_file):
    at = _logged_in("alice")
    at.sidebar.button(key="auth_logout").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "You logged out." in _texts(at.info)
    assert not _pages(at)
    assert "ctx" not in at.session_state
    _login(at, "dora", PASSWORDS["dora"])
    assert _pages(at) == {"snapshot"}  # the next user has the next user's role


def test_a_user_removed_from_the_file_is_logged_out(users_file):
    at = _logged_in("alice")
    users_file.write_text(users_toml({"dora": User("donor", FAST.hash(PASSWORDS["dora"]))}))
    at.run()
    assert "no longer in the users file" in _texts(at.info)
    assert not _pages(at)


# ------------------------------------------------------------- settings that fail


def _bad_file(text: str, tmp_path, monkeypatch) -> AppTest:
    _write_users(tmp_path / "bad users.toml", text, monkeypatch)
    at = _new().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not _pages(at)  # fails closed: no page, not even in open mode
    assert "auth_login_user" not in [t.key for t in at.text_input]
    return at


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            '[users.bob]\nrole = "admin"\npassword = "HASH"\n',
            "user 'bob', field 'role': 'admin' is not planner or donor",
        ),
        (
            '[users.bob]\nrole = "planner"\npassword = "hunter2hunter2"\n',
            "user 'bob', field 'password': not an argon2 hash",
        ),
        ('[users.bob]\nrole = "planner"\n', "user 'bob', field 'password': missing"),
        ('[users.bob]\npassword = "HASH"\n', "user 'bob', field 'role': missing"),
        (
            '[users.bob]\nrole = "donor"\npasword = "HASH"\n',
            "user 'bob', field 'pasword': unknown field",
        ),
        ('[users.bob\nrole = "donor"\n', "not valid TOML"),
        ("", "lists no users"),
    ],
)
def test_a_bad_users_file_stops_the_app(tmp_path, monkeypatch, text, said):
    at = _bad_file(text.replace("HASH", FAST.hash("x" * 12)), tmp_path, monkeypatch)
    message = _texts(at.error)
    assert said in message.replace("\\", "")
    assert "bad users.toml" in message
    assert "hunter2" not in message  # what is in a password field is never repeated


def test_a_missing_users_file_or_bad_setting_stops_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv(_auth.USERS_ENV, str(tmp_path / "missing.toml"))
    at = _new().run()
    assert "cannot be read" in _texts(at.error)
    assert not _pages(at)
    monkeypatch.setenv(_auth.USERS_ENV, " ")
    at = _new().run()
    assert "CPGEO\\_USERS is set but empty" in _texts(at.error)
    assert not _pages(at)


@pytest.mark.parametrize("minutes", ["0", "-5", "abc", "nan", "inf"])
def test_a_bad_timeout_stops_the_app(users_file, monkeypatch, minutes):
    monkeypatch.setenv(_auth.MINUTES_ENV, minutes)
    at = _new().run()
    assert "CPGEO\\_SESSION\\_MINUTES" in _texts(at.error)
    assert "auth_login_user" not in [t.key for t in at.text_input]


# ------------------------------------------------------------------ OpenID Connect


def _oidc(user: dict) -> AppTest:
    at = _new()
    at.secrets = OIDC_SECRETS
    at.user = user
    return at.run()


def test_oidc_not_logged_in_shows_the_login_button(oidc_users):
    at = _oidc({"is_logged_in": False})
    assert not at.exception, [e.value for e in at.exception]
    assert [b.label for b in at.button] == ["Log in"]
    assert not _pages(at)


def test_oidc_role_by_email(oidc_users):
    at = _oidc({"is_logged_in": True, "email": "dora@example.org", "iat": int(time.time())})
    assert _pages(at) == {"snapshot"}  # matched regardless of case
    assert "Logged in as **Dora@Example.org** (donor)" in _texts(at.sidebar.caption)
    at = _oidc({"is_logged_in": True, "email": "pat@example.org", "iat": int(time.time())})
    assert not at.exception, [e.value for e in at.exception]
    assert _pages(at) == ALL_PAGES
    at.sidebar.button(key="auth_logout").click().run()
    assert at.user.get("is_logged_in") is False
    assert not _pages(at)


@pytest.mark.parametrize(
    "user",
    [
        {"is_logged_in": True, "email": "eve@example.org"},
        {"is_logged_in": True, "email": "pat@example.org", "email_verified": False},
        {"is_logged_in": True},
    ],
)
def test_oidc_identity_without_a_role_gets_no_access(oidc_users, user):
    at = _oidc(user)
    assert not at.exception, [e.value for e in at.exception]
    assert "no access" in _texts(at.error)
    assert not _pages(at)
    assert "auth_role" not in at.session_state


def test_oidc_session_times_out_even_after_a_reload(oidc_users, monkeypatch):
    issued = time.time()
    user = {"is_logged_in": True, "email": "pat@example.org", "iat": int(issued)}
    at = _oidc(user)
    assert _pages(at) == ALL_PAGES
    monkeypatch.setattr(_auth, "_now", lambda: issued + 31 * 60)
    at.run()
    assert "session timed out" in _texts(at.info)
    assert not _pages(at)
    assert [b.label for b in at.button] == ["Log in again"]
    reload = _oidc(user)  # a new session with the same identity cookie
    assert "session timed out" in _texts(reload.info)
    assert not _pages(reload)
    fresh = _oidc(user | {"iat": int(issued + 31 * 60)})  # logged in again
    assert _pages(fresh) == ALL_PAGES


def test_oidc_needs_the_users_file(monkeypatch):
    at = _oidc({"is_logged_in": True, "email": "pat@example.org"})
    assert "CPGEO\\_USERS is not set" in _texts(at.error)
    assert not _pages(at)
