"""``cpgeo users``: the users file of the app's login, and reading it back."""

from __future__ import annotations

import io
import json
import sys
import tomllib

import pytest
from argon2 import PasswordHasher, extract_parameters

from cpgeo.cli import main
from cpgeo.cli import users as cli_users
from cpgeo.cli.users import User, UsersFileError, read_users, users_toml, write_users

# cheap to compute, for speed; the command itself uses argon2-cffi's defaults
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(cli_users, "password_hasher", lambda: FAST)


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _add(path, name, role, monkeypatch, password="correct horse", *extra) -> int:
    _stdin(monkeypatch, password + "\n")
    return main(["users", "add", str(path), name, "--role", role, "--password-stdin", *extra])


def test_add_stores_only_an_argon2_hash(tmp_path, monkeypatch, capsys, fast):
    path = tmp_path / "users.toml"
    assert _add(path, "alice", "planner", monkeypatch) == 0
    out = capsys.readouterr().out
    assert out == f"added user 'alice' (planner, password) in {path}\n"
    text = path.read_text(encoding="utf-8")
    assert "correct horse" not in text
    users = read_users(path, need_passwords=True)
    assert users["alice"].role == "planner"
    assert FAST.verify(users["alice"].password, "correct horse")
    assert users["alice"].password not in out
    assert path.stat().st_mode & 0o777 == 0o600  # a new file: its owner's only


def test_add_uses_argon2_defaults(tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    assert _add(path, "alice", "donor", monkeypatch) == 0
    stored = read_users(path)["alice"].password
    default = PasswordHasher()
    params = extract_parameters(stored)
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        default.time_cost,
        default.memory_cost,
        default.parallelism,
    )


def test_add_asks_twice(tmp_path, monkeypatch, capsys, fast):
    path = tmp_path / "users.toml"
    answers = iter(["s3cret-pass", "s3cret-pass"])
    monkeypatch.setattr(cli_users.getpass, "getpass", lambda prompt: next(answers))
    assert main(["users", "add", str(path), "bob", "--role", "donor"]) == 0
    assert FAST.verify(read_users(path)["bob"].password, "s3cret-pass")
    answers = iter(["s3cret-pass", "s3cret-pasz"])
    assert main(["users", "add", str(path), "carol", "--role", "donor"]) == 2
    assert "the two passwords differ" in capsys.readouterr().err
    assert list(read_users(path)) == ["bob"]


def test_add_refuses_short_passwords_and_bad_names(tmp_path, monkeypatch, capsys, fast):
    path = tmp_path / "users.toml"
    assert _add(path, "alice", "planner", monkeypatch, "short") == 2
    assert "at least 8 characters" in capsys.readouterr().err
    for name in ("", " alice", "ali\nce"):
        assert _add(path, name, "planner", monkeypatch) == 2
    assert not path.exists()


def test_add_replace_remove_and_list(tmp_path, monkeypatch, capsys, fast):
    path = tmp_path / "users.toml"
    assert _add(path, "alice", "planner", monkeypatch) == 0
    assert _add(path, "bob", "donor", monkeypatch, "bob's password") == 0
    bob = read_users(path)["bob"].password
    capsys.readouterr()
    assert _add(path, "Alice", "donor", monkeypatch) == 2
    assert "user 'alice' is already there (--replace" in capsys.readouterr().err
    assert _add(path, "alice", "donor", monkeypatch, "new password", "--replace") == 0
    users = read_users(path)
    assert users["alice"].role == "donor"
    assert FAST.verify(users["alice"].password, "new password")
    assert users["bob"].password == bob  # the others are kept as they were
    assert (
        main(["users", "add", str(path), "dora@example.org", "--role", "donor", "--no-password"])
        == 0
    )
    capsys.readouterr()
    assert main(["users", "list", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "alice             donor    password",
        "bob               donor    password",
        "dora@example.org  donor    OpenID Connect",
    ]
    assert "$argon2" not in out
    assert main(["users", "remove", str(path), "bob"]) == 0
    assert list(read_users(path)) == ["alice", "dora@example.org"]
    assert main(["users", "remove", str(path), "bob"]) == 2
    assert "no user 'bob'" in capsys.readouterr().err


def test_existing_permissions_are_kept_and_bad_files_left_alone(
    tmp_path, monkeypatch, capsys, fast
):
    path = tmp_path / "users.toml"
    assert _add(path, "alice", "planner", monkeypatch) == 0
    path.chmod(0o640)
    assert _add(path, "bob", "donor", monkeypatch) == 0
    assert path.stat().st_mode & 0o777 == 0o640
    bad = '[users.eve]\nrole = "admin"\n'
    path.write_text(bad, encoding="utf-8")
    assert _add(path, "carol", "donor", monkeypatch) == 2
    assert "user 'eve', field 'role': 'admin' is not planner or donor" in (capsys.readouterr().err)
    assert path.read_text(encoding="utf-8") == bad
    assert [p.name for p in tmp_path.iterdir()] == ["users.toml"]  # no temporary left


@pytest.mark.parametrize(
    "name",
    ['o"brien', "back\\slash", "dotted.name", "dora@example.org", "علي", "tab\there", "[x]"],
)
def test_any_name_reads_back(tmp_path, name):
    path = tmp_path / "users.toml"
    users = {name: User("donor", FAST.hash("x" * 10)), "plain": User("planner")}
    write_users(path, users)
    assert tomllib.loads(path.read_text(encoding="utf-8"))["users"][name]["role"] == "donor"
    assert read_users(path) == users


def test_read_users_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "users.toml"
    hashed = FAST.hash("x" * 10)
    path.write_text(
        "title = 'mine'\n"
        '[users.a]\nrole = "admin"\n'
        '[users.b]\nrole = "planner"\npassword = "plain-text-password"\n'
        '[users."C@x.org"]\nrole = "donor"\n'
        '[users."c@x.org"]\nrole = "donor"\n'
        f'[users.d]\nrole = "donor"\npassword = "{hashed}"\nemail = "d@x.org"\n',
        encoding="utf-8",
    )
    with pytest.raises(UsersFileError) as info:
        read_users(path)
    message = str(info.value)
    assert message.startswith(f"users file {path}: ")
    for said in (
        "unknown top-level key 'title'",
        "user 'a', field 'role': 'admin' is not planner or donor",
        "user 'b', field 'password': not an argon2 hash",
        "user 'c@x.org': the same name as 'C@x.org'",
        "user 'd', field 'email': unknown field",
    ):
        assert said in message
    assert "plain-text-password" not in message
    with pytest.raises(UsersFileError, match=r"user 'C@x.org', field 'password': missing"):
        path.write_text('[users."C@x.org"]\nrole = "donor"\n', encoding="utf-8")
        read_users(path, need_passwords=True)
    assert read_users(path) == {"C@x.org": User("donor")}


def test_users_toml_is_what_tomllib_reads():
    users = {"alice": User("planner", FAST.hash("x" * 10)), 'q"': User("donor")}
    data = tomllib.loads(users_toml(users))
    assert data == {
        "users": {
            "alice": {"role": "planner", "password": users["alice"].password},
            'q"': {"role": "donor"},
        }
    }


def test_missing_argon2_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "argon2", None)  # import argon2 -> ImportError
    path = tmp_path / "users.toml"
    assert _add(path, "alice", "planner", monkeypatch) == 2
    assert "pip install 'cpgeo[app]'" in capsys.readouterr().err
    assert not path.exists()


def test_json_output_never_shows_hashes(tmp_path, monkeypatch, capsys, fast):
    path = tmp_path / "users.toml"
    assert _add(path, "alice", "planner", monkeypatch, "correct horse", "--json") == 0
    added = json.loads(capsys.readouterr().out)
    assert added == {
        "added": {"name": "alice", "role": "planner", "password": True},
        "file": str(path),
    }
    assert main(["users", "list", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["users"] == [{"name": "alice", "role": "planner", "password": True}]
    assert "argon2" not in out
    assert main(["users", "remove", str(path), "alice", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["users_left"] == 0
    assert read_users(path) == {}
