"""cpgeo's exceptions."""

from __future__ import annotations


class InputError(ValueError):
    """Input data that cpgeo cannot use: the message names the file, row and column.

    Raised with a text, or with a :class:`cpgeo.i18n.Message` (anything with a
    ``text(lang)`` method), which :meth:`text` can then say in any language; ``str()``
    is always the English message.
    """

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(str(message), *args)
        self.said = message

    def text(self, lang: str = "en") -> str:
        """Return the message in ``lang`` (English where it was raised as plain text)."""
        if lang == "en":
            return str(self)
        from cpgeo.i18n import say

        return say(self.said, lang)

    def renamed(self, old: str, new: str) -> InputError:
        """Return this error with ``old`` (a temporary copy's path) said as ``new``.

        In every language; the problems (``problems``) are kept.
        """
        err = InputError(_Renamed(self.said, old, new))
        if hasattr(self, "problems"):
            err.problems = self.problems  # type: ignore[attr-defined]
        return err


class _Renamed:
    """A message with one text in it replaced, in whichever language it is said."""

    def __init__(self, said: object, old: str, new: str) -> None:
        self.said, self.old, self.new = said, old, new

    def text(self, lang: str = "en") -> str:
        from cpgeo.i18n import say

        return say(self.said, lang).replace(self.old, self.new)

    def __str__(self) -> str:
        return self.text("en")


class SolverError(RuntimeError):
    """An optimisation model that the solver could not solve."""


class NetworkUnavailableError(ConnectionError):
    """An online source was asked for but cannot be reached (cpgeo works offline otherwise)."""
