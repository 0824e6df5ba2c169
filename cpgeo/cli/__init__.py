"""The ``cpgeo`` command line.

Each command group lives in its own module exposing ``register(subparsers)``; the module
adds its sub-commands, each with ``func`` set to a function taking the parsed arguments
and returning an exit code.

``--lang {en,ar,ckb}`` (before or after the command) sets the language of the tables'
headers and the words people read; ``--json`` output and written files keep their
stable keys in every language.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from cpgeo._errors import InputError, NetworkUnavailableError, SolverError
from cpgeo.cli._common import add_lang_option, lang_of

# Command-group modules, in the order their commands appear in --help.
_COMMAND_MODULES = (
    "cpgeo.cli.coverage",
    "cpgeo.cli.siting",
    "cpgeo.cli.snapshot",
    "cpgeo.cli.osm",
    "cpgeo.cli.population",
    "cpgeo.cli.data",
    "cpgeo.cli.users",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every command registered."""
    from cpgeo import __version__

    parser = argparse.ArgumentParser(
        prog="cpgeo",
        description="Coverage and site planning for Community Police Offices in Iraq.",
    )
    parser.add_argument("--version", action="version", version=f"cpgeo {__version__}")
    add_lang_option(parser, default="en")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for command in subparsers.choices.values():
        # after the command too (cpgeo coverage --lang ar); given there, it wins
        add_lang_option(command, default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 on bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # the reader (e.g. `| head`) stopped reading: stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"cpgeo {args.command}: interrupted", file=sys.stderr)
        return 130
    except (InputError, NetworkUnavailableError, SolverError, ValueError, OSError) as exc:
        # what bad input, a file that cannot be read or written, or a solver can raise:
        # one line, exit 2; anything else is a bug and keeps its traceback
        said = exc.text(lang_of(args)) if isinstance(exc, InputError) else str(exc)
        message = " ".join(said.split()) or type(exc).__name__
        print(f"cpgeo {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
