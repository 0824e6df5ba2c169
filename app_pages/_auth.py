"""Who may see what: the app's optional login, its sessions and the pages of each role.

:func:`gate` decides, on every run, in one of three modes:

- **open**: neither ``CPGEO_USERS`` nor an ``[auth]`` section in Streamlit's secrets.
  Everyone is a planner, the sidebar says so, and only requests to localhost are served.
- **password**: ``CPGEO_USERS`` names a users file (``cpgeo users add``) holding each
  user's role and an argon2 hash of their password; the app shows a login form.
- **OpenID Connect**: ``[auth]`` is configured in Streamlit's secrets. ``st.login`` signs
  users in; their role is that of their e-mail address in the users file, and an address
  not in it gets no access.

Roles: ``planner`` sees every page; ``donor`` only the snapshot page. A session ends after
``CPGEO_SESSION_MINUTES`` (30) minutes without an interaction. A users file, secrets or
timeout that cannot be used stops the app with a message: it never falls back to open.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import streamlit as st

from app_pages._shared import md, t
from cpgeo.cli.users import ROLES, User, UsersFileError, password_hasher, read_users

USERS_ENV = "CPGEO_USERS"
MINUTES_ENV = "CPGEO_SESSION_MINUTES"
DEFAULT_MINUTES = 30.0
#: The one message of a failed login, whether the user or the password was wrong.
LOGIN_FAILED = "unknown user or wrong password"
#: The Host header values (without a port) that open access is served to.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: Headers that a reverse proxy adds: a request through one is not a local one.
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
HOW_TO_CONFIGURE = (
    "To serve the app to other computers, create a users file "
    "(`cpgeo users add users.toml NAME --role planner`) and start the app with the "
    "environment variable CPGEO_USERS set to its path, or configure Streamlit's "
    "OpenID Connect login (`[auth]` in `.streamlit/secrets.toml`)."
)

# Session-state keys; no widget has one of them, so no browser can set them.
_USER = "auth_user"
_ROLE = "auth_role"
_SEEN = "auth_last_seen"
_NOTICE = "auth_notice"

#: How often (seconds) an open page checks whether its session has timed out.
WATCH_SECONDS = 60

#: Last interaction of each OpenID Connect identity in this server process, so that
#: reloading the page (a new session, the identity cookie still set) cannot outlast the
#: idle timeout. Bounded: only identities in the users file are recorded.
_IDENTITY_SEEN: dict[str, float] = {}


class AccessConfigError(ValueError):
    """A setting of the access control (environment, secrets) that cannot be used."""


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its file, title, URL path and the roles that may open it."""

    path: str
    title: str
    url_path: str
    roles: tuple[str, ...]


#: Every page, in the order of the navigation; the first one a role may see is its default.
PAGES = (
    PageSpec("app_pages/coverage.py", "Coverage", "coverage", ("planner",)),
    PageSpec("app_pages/office_load.py", "Office load", "office-load", ("planner",)),
    PageSpec("app_pages/proposals.py", "Site proposals", "proposals", ("planner",)),
    PageSpec("app_pages/snapshot.py", "Snapshot", "snapshot", ("planner", "donor")),
    PageSpec("app_pages/plans.py", "Plans", "plans", ("planner",)),
)


def pages_for(role: str) -> list[PageSpec]:
    """Return the pages ``role`` may see (only those are registered with st.navigation).

    A page that is not registered cannot be opened by URL either: Streamlit then shows
    the role's default page.
    """
    if role not in ROLES:
        msg = f"unknown role {role!r} (planner or donor)"
        raise ValueError(msg)
    return [page for page in PAGES if role in page.roles]


# ------------------------------------------------------------------------ settings


def _now() -> float:
    """Seconds since the epoch (an ID token's ``iat`` is one too); tests replace it."""
    return time.time()


def session_minutes() -> float:
    """Return the idle timeout in minutes (``CPGEO_SESSION_MINUTES``, default 30)."""
    text = os.environ.get(MINUTES_ENV, "").strip()
    if not text:
        return DEFAULT_MINUTES
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        msg = f"{MINUTES_ENV}={text!r}: must be a number of minutes greater than 0"
        raise AccessConfigError(msg)
    return value


def users_path() -> Path | None:
    """Return the users file named by ``CPGEO_USERS``, or None when it is not set."""
    if USERS_ENV not in os.environ:
        return None
    text = os.environ[USERS_ENV].strip()
    if not text:
        msg = f"{USERS_ENV} is set but empty: set it to the path of a users file, or unset it"
        raise AccessConfigError(msg)
    return Path(text).expanduser()


def _auth_secrets() -> Mapping[str, Any] | None:
    """Return the ``[auth]`` section of Streamlit's secrets, or None without one.

    Streamlit raises the same error for a secrets file it cannot parse as for none at
    all; only the latter means "not configured" (an unreadable one is not a reason to
    run open).
    """
    try:
        found = st.secrets.get("auth") if "auth" in st.secrets else None
    except FileNotFoundError as exc:
        error_id = getattr(exc, "error_id", None)
        if error_id == "no-secrets-found" or str(exc).startswith("No secrets found"):
            return None
        msg = f"Streamlit's secrets cannot be read: {exc}"
        raise AccessConfigError(msg) from None
    return found if isinstance(found, Mapping) else None


def mode() -> str:
    """Return how this app controls access: ``"open"``, ``"password"`` or ``"oidc"``."""
    if _auth_secrets() is not None:
        return "oidc"
    return "password" if users_path() is not None else "open"


def role() -> str:
    """Return the role of this session: what :func:`gate` decided.

    ``"planner"`` in open mode. With access control configured but no decision stored
    (or any doubt about the configuration), the most restrictive role, ``"donor"``.
    """
    try:
        how = mode()
    except (AccessConfigError, UsersFileError):
        return "donor"
    if how == "open":
        return "planner"
    stored = st.session_state.get(_ROLE)
    return stored if stored in ROLES else "donor"


# ----------------------------------------------------------------------- open mode


def is_local_host(value: str) -> bool:
    """Tell whether a Host header names this computer: localhost, 127.0.0.1 or ::1.

    A port may follow (``localhost:8501``, ``[::1]:8501``); anything else is not local.
    """
    text = value.strip().lower()
    if text.startswith("["):
        name, closed, rest = text[1:].partition("]")
        if not closed or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return False
    elif text.count(":") == 1:
        name, _, port = text.partition(":")
        if not port.isdigit():
            return False
    else:
        name = text  # a bare name, or a bare IPv6 address
    return name in LOCAL_HOSTS


def is_local_request(headers: Mapping[str, Sequence[str]], ip: str | None) -> bool:
    """Tell whether a request comes from this computer to this computer.

    ``headers`` maps lower-case header names to all their values; ``ip`` is the peer's
    address (None when Streamlit reports none, as it does for loopback). No headers at
    all means no HTTP request (the app run by streamlit.testing or in bare mode).
    Otherwise there must be exactly one Host header naming localhost, no header a
    reverse proxy adds, and an Origin, if any, on localhost too.
    """
    if ip is not None:
        try:
            peer = ipaddress.ip_address(ip)
        except ValueError:
            return False
        # a server listening on every interface sees IPv4 peers as ::ffff:a.b.c.d
        mapped = getattr(peer, "ipv4_mapped", None)
        if not (mapped or peer).is_loopback:
            return False
    if not headers:
        return True
    hosts = headers.get("host", [])
    if len(hosts) != 1 or not is_local_host(hosts[0]):
        return False
    if any(headers.get(name) for name in _PROXY_HEADERS):
        return False
    for origin in headers.get("origin", []):
        try:
            host = urlsplit(origin).hostname
        except ValueError:
            return False
        if host not in LOCAL_HOSTS:
            return False
    return True


def _request() -> tuple[dict[str, list[str]], str | None]:
    """Return the headers (lower-case name: all values) and peer address of this session."""
    headers = st.context.headers
    found = {name.lower(): list(headers.get_all(name)) for name in headers}
    ip = st.context.ip_address
    return found, ip if isinstance(ip, str) else None


def _open_gate() -> str:
    headers, ip = _request()
    if not is_local_request(headers, ip):
        st.error(
            "Open access (no users configured) is for localhost only: this app was "
            f"requested from another computer or through a proxy. {HOW_TO_CONFIGURE}"
        )
        st.stop()
    st.sidebar.caption(
        t(
            "Open access: no users configured, so everyone is a planner; served to "
            "localhost only. Set {variable} to a users file to require a login "
            "(`cpgeo users add`).",
            variable=USERS_ENV,
        )
    )
    return "planner"


# -------------------------------------------------------------------------- gate


def gate() -> str:
    """Let the session in, or show the login and stop the run; return the session's role.

    Call it first, right after ``st.set_page_config``: nothing else of the app is shown
    until it returns.
    """
    try:
        how = mode()
        if how == "open":
            return _open_gate()
        path = users_path()
        if path is None:
            msg = (
                f"OpenID Connect login is configured but {USERS_ENV} is not set: it must "
                "name the users file that gives each e-mail address its role"
            )
            raise AccessConfigError(msg)
        users = read_users(path, need_passwords=how == "password")
        timeout_s = session_minutes() * 60.0
    except (AccessConfigError, UsersFileError) as exc:
        _forget()
        st.error(md(f"The app does not run without valid access settings. {exc}"))
        st.stop()
    if not users:
        _forget()
        st.error(md(f"users file {path} lists no users: nobody can log in."))
        st.stop()
    if how == "oidc":
        return _oidc_gate(users, timeout_s)
    return _password_gate(users, timeout_s)


def _forget() -> None:
    for key in (_USER, _ROLE, _SEEN):
        st.session_state.pop(key, None)


def _end(notice: str) -> None:
    """End the session: forget everything it held (data included) but the notice."""
    st.session_state.clear()
    st.session_state[_NOTICE] = notice


def _timed_out_notice(timeout_s: float) -> str:
    return t(
        "Logged out: session timed out after {minutes} minutes without activity.",
        minutes=format(timeout_s / 60, "g"),
    )


def _admit(name: str, user_role: str, *, oidc: bool, timeout_s: float) -> str:
    state = st.session_state
    state[_USER] = name
    state[_ROLE] = user_role
    state[_SEEN] = _now()
    sb = st.sidebar
    sb.caption(
        t(
            "Logged in as **{name}** ({role}); logged out after {minutes} minutes "
            "without activity.",
            name=md(name),
            role=t("donor") if user_role == "donor" else t("planner"),
            minutes=format(timeout_s / 60, "g"),
        )
    )
    if sb.button(t("Log out"), key="auth_logout"):
        _end(t("You logged out."))
        if oidc:
            st.logout()
            st.stop()
        st.rerun()
    with sb:
        _watch_idle(timeout_s)
    return user_role


@st.fragment(run_every=WATCH_SECONDS)
def _watch_idle(timeout_s: float) -> None:
    """Rerun the whole app once the session is idle too long, so the login replaces it.

    Without it, an unattended page would stay on screen until its next interaction. This
    timer is no interaction: it does not move the time of the last one.
    """
    if _now() - st.session_state.get(_SEEN, -math.inf) > timeout_s:
        st.rerun(scope="app")


# ---------------------------------------------------------------- password login


@functools.cache
def _dummy_hash() -> str:
    """Return a hash to verify an unknown user against, so that failing takes as long."""
    return str(password_hasher().hash(secrets.token_urlsafe(16)))


def check_password(users: Mapping[str, User], name: str, password: str) -> User | None:
    """Return the user if ``password`` is theirs, else None (unknown user included)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    user = users.get(name)
    stored = user.password if user is not None else None
    try:
        password_hasher().verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
        return None
    return user if stored is not None else None


def _password_gate(users: Mapping[str, User], timeout_s: float) -> str:
    state = st.session_state
    name = state.get(_USER)
    if name is not None:
        user = users.get(name)
        if user is None or user.password is None:
            _end("Logged out: your user is no longer in the users file.")
        elif _now() - state.get(_SEEN, -math.inf) > timeout_s:
            _end(_timed_out_notice(timeout_s))
        else:
            return _admit(name, user.role, oidc=False, timeout_s=timeout_s)
    _login_form(users)
    st.stop()


def _login_form(users: Mapping[str, User]) -> None:
    st.title(t("cpgeo: log in"))
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.info(notice)
    with st.form("auth_login", clear_on_submit=True):
        name = st.text_input(t("User name"), key="auth_login_user", autocomplete="username")
        password = st.text_input(
            t("Password"),
            type="password",
            key="auth_login_password",
            autocomplete="current-password",
        )
        submitted = st.form_submit_button(t("Log in"))
    if not submitted:
        return
    user = check_password(users, name, password)
    if user is None:
        st.error(t(LOGIN_FAILED))
        return
    st.session_state.clear()  # nothing of an earlier session carries over to this user
    st.session_state[_USER] = name
    st.session_state[_ROLE] = user.role
    st.session_state[_SEEN] = _now()
    st.rerun()


# --------------------------------------------------------------- OpenID Connect


def _providers() -> list[str | None]:
    """Return the login providers of ``[auth]``: None for the default one, else names."""
    section = _auth_secrets() or {}
    named = [
        key
        for key, value in section.items()
        if isinstance(value, Mapping) and key != "client_kwargs"
    ]
    default: list[str | None] = [None] if "client_id" in section or not named else []
    return default + list(named)


def _login_buttons() -> None:
    for provider in _providers():
        label = "Log in" if provider is None else f"Log in with {provider}"
        args = () if provider is None else (provider,)
        st.button(label, key=f"auth_login_{provider or 'default'}", on_click=st.login, args=args)


def _refuse(message: str) -> NoReturn:
    _forget()
    st.error(md(message))
    st.button("Log out", key="auth_logout_refused", on_click=st.logout)
    st.stop()


def _oidc_gate(users: Mapping[str, User], timeout_s: float) -> str:
    info = st.user.to_dict()
    if not info.get("is_logged_in"):
        _forget()
        st.title(t("cpgeo: log in"))
        notice = st.session_state.pop(_NOTICE, None)
        if notice:
            st.info(notice)
        _login_buttons()
        st.stop()
    email = info.get("email")
    if not isinstance(email, str) or not email.strip() or info.get("email_verified") is False:
        _refuse(
            "Your identity provider gave no verified e-mail address, so this app cannot "
            "tell your role: you have no access."
        )
    key = email.strip().casefold()
    found = next((n for n in users if n.casefold() == key), None)
    if found is None:
        _refuse(
            f"You are logged in as {email}, but this address has no access to this app: "
            "it is not in the users file. Ask the programme's planners to add it."
        )
    state = st.session_state
    issued = info.get("iat")
    times = [
        float(issued) if isinstance(issued, int | float) else None,
        _IDENTITY_SEEN.get(key),
        state.get(_SEEN) if state.get(_USER) == found else None,
    ]
    known = [t for t in times if t is not None]
    if known and _now() - max(known) > timeout_s:
        _end(_timed_out_notice(timeout_s))
        st.title(t("cpgeo: log in"))
        st.info(st.session_state.pop(_NOTICE))
        # st.logout forgets the identity cookie; the provider then asks again
        st.button("Log in again", key="auth_login_again", on_click=st.logout)
        st.stop()
    _IDENTITY_SEEN[key] = _now()
    return _admit(found, users[found].role, oidc=True, timeout_s=timeout_s)
