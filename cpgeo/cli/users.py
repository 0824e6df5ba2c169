"""``cpgeo users``: the users file of the app's optional login (roles, argon2 hashes).

The app (``app_pages/_auth.py``) reads the file named by ``CPGEO_USERS``::

    [users."alice"]
    role = "planner"
    password = "$argon2id$v=19$m=65536,t=3,p=4$..."

    [users."donor@example.org"]   # a Streamlit OpenID Connect login: no password
    role = "donor"

Passwords are only ever stored as argon2 hashes made by argon2-cffi's ``PasswordHasher``.
This module reads and checks the file (for the app and the commands) and writes it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cpgeo._atomic import atomic_target
from cpgeo._errors import InputError
from cpgeo.cli._common import print_json

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The roles of the app: planners see every page, donors only the public snapshot.
ROLES = ("planner", "donor")
#: Fields a user's table may have.
FIELDS = ("role", "password")
#: Shortest password ``cpgeo users add`` accepts.
MIN_PASSWORD_LENGTH = 8
#: An encoded argon2 hash as PasswordHasher writes it (variant, version, cost, salt, hash).
_ARGON2_HASH = re.compile(
    r"\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}"
)
_HEADER = (
    "# cpgeo users file: who may log in to the app, and their role (planner or donor).\n"
    "# Passwords are argon2 hashes, never the passwords themselves. Edit with\n"
    "# `cpgeo users add / remove / list` (comments other than this one are not kept).\n"
)


class UsersFileError(InputError):
    """A users file that cannot be used: the message names the file, user and field."""


@dataclass(frozen=True)
class User:
    """One entry of the users file: a role and, for a password login, an argon2 hash."""

    role: str
    password: str | None = None


def is_argon2_hash(text: object) -> bool:
    """Tell whether ``text`` is an encoded argon2 hash (not, say, a password)."""
    return isinstance(text, str) and _ARGON2_HASH.fullmatch(text) is not None


def read_users(path: Path, *, need_passwords: bool = False) -> dict[str, User]:
    """Read and check the users file at ``path``; return its users by name.

    Every problem (a role other than planner / donor, a password that is not an argon2
    hash, a missing password when ``need_passwords``, an unknown field) is collected and
    reported at once in a :class:`UsersFileError` naming the file, the user and the field.
    A password is never quoted in a message: it might be a password, not a hash.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        msg = f"users file {path}: not UTF-8 text ({exc.reason})"
        raise UsersFileError(msg) from None
    except OSError as exc:
        msg = f"users file {path}: cannot be read ({exc.strerror or exc})"
        raise UsersFileError(msg) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"users file {path}: not valid TOML ({exc})"
        raise UsersFileError(msg) from None
    return _check(path, data, need_passwords=need_passwords)


def _check(path: Path, data: Mapping[str, Any], *, need_passwords: bool) -> dict[str, User]:
    problems: list[str] = [
        f"unknown top-level key {key!r} (only [users.NAME] tables belong here)"
        for key in data
        if key != "users"
    ]
    table = data.get("users", {})
    if not isinstance(table, dict):
        problems.append("users must be a table of [users.NAME] entries")
        table = {}
    users: dict[str, User] = {}
    folded: dict[str, str] = {}
    for name, entry in table.items():
        where = f"user {name!r}"
        if not name.strip() or name != name.strip():
            problems.append(f"{where}: a name must not be empty or begin or end with spaces")
        if name.casefold() in folded:
            problems.append(
                f"{where}: the same name as {folded[name.casefold()]!r} but for upper / lower "
                "case (e-mail addresses are matched regardless of case)"
            )
        folded.setdefault(name.casefold(), name)
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table with a role field")
            continue
        problems.extend(
            f"{where}, field {field!r}: unknown field (allowed: {', '.join(FIELDS)})"
            for field in entry
            if field not in FIELDS
        )
        role = entry.get("role")
        if role is None:
            problems.append(f"{where}, field 'role': missing (planner or donor)")
        elif role not in ROLES:
            problems.append(f"{where}, field 'role': {role!r} is not planner or donor")
        password = entry.get("password")
        if password is None:
            if need_passwords:
                problems.append(
                    f"{where}, field 'password': missing; a password login needs an argon2 "
                    "hash (`cpgeo users add`)"
                )
        elif not is_argon2_hash(password):
            problems.append(
                f"{where}, field 'password': not an argon2 hash (store the hash that "
                "`cpgeo users add` makes, never the password itself)"
            )
        if isinstance(role, str):
            users[name] = User(role, password if isinstance(password, str) else None)
    if problems:
        msg = f"users file {path}: " + "; ".join(problems)
        raise UsersFileError(msg)
    return users


def _toml_string(text: str) -> str:
    """Quote ``text`` as a TOML basic string (also used for keys: any name is safe).

    The standard library reads TOML (tomllib) but cannot write it, and this file is too
    small to justify a dependency. A basic string may hold anything but a backslash, a
    double quote and control characters; those are escaped, everything else is written
    as it is (UTF-8), so every name and hash reads back exactly.
    """
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def users_toml(users: Mapping[str, User]) -> str:
    """Return the text of a users file holding ``users`` (in the order given)."""
    parts = [_HEADER]
    for name, user in users.items():
        lines = [f"[users.{_toml_string(name)}]", f"role = {_toml_string(user.role)}"]
        if user.password is not None:
            lines.append(f"password = {_toml_string(user.password)}")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def write_users(path: Path, users: Mapping[str, User]) -> None:
    """Write ``users`` to ``path`` at once (a reader sees the old file or the new one).

    A new file is readable by its owner only; an existing one keeps its permissions.
    """
    text = users_toml(users)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    with atomic_target(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        tmp.chmod(mode)  # os.open's mode is reduced by the umask


def password_hasher() -> Any:
    """Return argon2-cffi's PasswordHasher with its (production) default parameters."""
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:
        msg = (
            "the users file needs the argon2-cffi package; install the app's extra with "
            "`pip install 'cpgeo[app]'` (or `pip install argon2-cffi`)"
        )
        raise ImportError(msg) from exc
    return PasswordHasher()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``users`` command and its ``add``, ``remove`` and ``list`` sub-commands."""
    p = subparsers.add_parser(
        "users",
        help="manage the users file of the app's login (roles planner / donor)",
        description="Manage the users file that the app reads when the environment "
        "variable CPGEO_USERS names it: each user has a role, planner (every page) or "
        "donor (the public snapshot only), and, for a password login, an argon2 hash of "
        "the password. The file is rewritten at once; comments in it are not kept.",
    )
    commands = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = commands.add_parser(
        "add",
        help="add a user, or with --replace change one's role or password",
        description="Add a user with a role. The password is asked twice (or read from "
        "standard input with --password-stdin) and only its argon2 hash is stored. With "
        "--no-password the entry is for a Streamlit OpenID Connect login (the name is "
        "then the user's e-mail address).",
    )
    add.add_argument("file", type=Path, metavar="FILE", help="users file (created if missing)")
    add.add_argument("name", metavar="NAME", help="user name, or e-mail address for OIDC")
    add.add_argument("--role", required=True, choices=ROLES, help="planner or donor")
    how = add.add_mutually_exclusive_group()
    how.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    how.add_argument(
        "--no-password",
        action="store_true",
        help="no password: the user logs in through OpenID Connect (st.login)",
    )
    add.add_argument(
        "--replace", action="store_true", help="replace the user if already in the file"
    )
    _add_json_option(add)
    add.set_defaults(func=run_add)

    remove = commands.add_parser("remove", help="remove a user", description="Remove a user.")
    remove.add_argument("file", type=Path, metavar="FILE", help="users file")
    remove.add_argument("name", metavar="NAME", help="user name")
    _add_json_option(remove)
    remove.set_defaults(func=run_remove)

    listing = commands.add_parser(
        "list",
        help="list the users and their roles",
        description="List the users, their roles and whether each has a password (never "
        "the hashes).",
    )
    listing.add_argument("file", type=Path, metavar="FILE", help="users file")
    _add_json_option(listing)
    listing.set_defaults(func=run_list)


def _add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print machine-readable JSON (never the hashes)"
    )


def _user_json(name: str, user: User) -> dict[str, Any]:
    return {"name": name, "role": user.role, "password": user.password is not None}


def _check_name(name: str) -> None:
    if not name.strip() or name != name.strip():
        msg = f"user name {name!r}: must not be empty or begin or end with spaces"
        raise InputError(msg)
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        msg = f"user name {name!r}: must not contain control characters"
        raise InputError(msg)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password.removesuffix("\r")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            msg = "the two passwords differ"
            raise InputError(msg)
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
        raise InputError(msg)
    return password


def run_add(args: argparse.Namespace) -> int:
    """Add (or replace) a user; store only the hash of the password."""
    path: Path = args.file
    _check_name(args.name)
    users = read_users(path) if path.exists() else {}
    same = [known for known in users if known.casefold() == args.name.casefold()]
    if same and not args.replace:
        msg = f"users file {path}: user {same[0]!r} is already there (--replace to change it)"
        raise InputError(msg)
    password = None
    if not args.no_password:
        try:
            hasher = password_hasher()  # before asking: a missing package fails at once
        except ImportError as exc:
            print(f"cpgeo users: error: {exc}", file=sys.stderr)
            return 2
        password = hasher.hash(_read_password(args.password_stdin))
    entry = User(args.role, password)
    if same:  # in its place (the file allows no two names that differ only by case)
        users = {
            args.name if k == same[0] else k: entry if k == same[0] else v for k, v in users.items()
        }
    else:
        users[args.name] = entry
    write_users(path, users)
    what = "replaced" if same else "added"
    if args.json:
        print_json({what: _user_json(args.name, entry), "file": str(path)})
        return 0
    login = "OpenID Connect login" if password is None else "password"
    print(f"{what} user {args.name!r} ({args.role}, {login}) in {path}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Remove a user from the file."""
    path: Path = args.file
    users = read_users(path)
    if args.name not in users:
        msg = f"users file {path}: no user {args.name!r}"
        raise InputError(msg)
    gone = users.pop(args.name)
    write_users(path, users)
    if args.json:
        print_json(
            {"removed": _user_json(args.name, gone), "file": str(path), "users_left": len(users)}
        )
        return 0
    print(f"removed user {args.name!r} from {path} ({len(users)} left)")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print each user's name, role and whether it has a password."""
    users = read_users(args.file)
    if args.json:
        rows = [_user_json(name, user) for name, user in users.items()]
        print_json({"file": str(args.file), "users": rows})
        return 0
    if not users:
        print(f"no users in {args.file}")
        return 0
    width = max(len(name) for name in users)
    for name, user in users.items():
        login = "password" if user.password is not None else "OpenID Connect"
        print(f"{name:<{width}}  {user.role:<7}  {login}")
    return 0
