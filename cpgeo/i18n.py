"""Languages: English, Arabic and Central Kurdish (Sorani), and how numbers and dates read.

cpgeo's words are English in the code; their translations are gettext catalogs in
``cpgeo/locale/<language>.po``, read with Babel (:func:`babel.messages.pofile.read_po`)
so that the catalogs translators edit are the ones cpgeo reads, with no compiled copy
to fall out of step. Domain terms follow ``cpgeo/locale/glossary.csv`` in every catalog
(the tests hold every entry to it). Data keys (the figure keys of DESIGN.md, column
names in files) never change with the language: only labels are translated.

Numbers and dates are formatted by Babel with the Iraqi locales (``ar_IQ``,
``ckb_IQ``): Western digits by default, Arabic-Indic digits as an option.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cpgeo._errors import InputError

__all__ = [
    "LANGUAGES",
    "RTL",
    "Joined",
    "Message",
    "Number",
    "country_name",
    "format_date",
    "format_number",
    "gettext",
    "governorate_name",
    "is_rtl",
    "language",
    "place_names",
    "punctuation",
    "say",
    "set_digits",
    "untranslated",
]

#: Language code -> its name in that language (the order of a language menu).
LANGUAGES: dict[str, str] = {"en": "English", "ar": "العربية", "ckb": "کوردی"}

#: The right-to-left languages.
RTL: frozenset[str] = frozenset({"ar", "ckb"})

#: The Babel locale each language formats numbers and dates with.
_LOCALES = {"en": "en_GB", "ar": "ar_IQ", "ckb": "ckb_IQ"}

#: Governorate (cpgeo's canonical English name) -> (Arabic, Central Kurdish). The
#: Arabic names are OCHA COD-AB's ``ADM1_AR`` (Iraq, 2019-06-03) as written there;
#: Halabja, which COD-AB 2019 does not draw apart, and the Kurdish names are the forms
#: the Kurdistan Region's governorates use (to be confirmed by a native reviewer).
GOVERNORATE_NAMES: dict[str, tuple[str, str]] = {
    "Anbar": ("الانبار", "ئەنبار"),
    "Babil": ("بابل", "بابل"),
    "Baghdad": ("بغداد", "بەغدا"),
    "Basra": ("البصرة", "بەسرە"),
    "Dhi Qar": ("ذي قار", "زیقار"),
    "Diyala": ("ديالى", "دیالە"),
    "Duhok": ("دهوك", "دهۆک"),
    "Erbil": ("اربيل", "هەولێر"),
    "Halabja": ("حلبجة", "هەڵەبجە"),
    "Karbala": ("كربلاء", "کەربەلا"),
    "Kirkuk": ("كركوك", "کەرکووک"),
    "Maysan": ("ميسان", "مەیسان"),
    "Muthanna": ("المثنى", "موسەننا"),
    "Najaf": ("النجف", "نەجەف"),
    "Ninewa": ("نينوى", "نەینەوا"),
    "Al-Qadisiyah": ("القادسية", "قادسیە"),
    "Salah al-Din": ("صلاح الدين", "سەڵاحەدین"),
    "Sulaymaniyah": ("السليمانية", "سلێمانی"),
    "Wasit": ("واسط", "واست"),
}

_FOLDER = Path(__file__).with_name("locale")
# Babel gives the Arabic separators of the "arab" numbering system but Western digits
# and percent sign: the digits and the sign are mapped here
_ARABIC_INDIC = str.maketrans("0123456789%", "٠١٢٣٤٥٦٧٨٩٪")


#: The digits numbers are written with where a call does not say ("latn" or "arab"),
#: for the code running in this context (one app session's run, say): see set_digits.
_DIGITS: contextvars.ContextVar[str] = contextvars.ContextVar("cpgeo_digits", default="latn")


def set_digits(digits: str) -> None:
    """Write numbers and dates with ``digits`` from now on, in this context only.

    ``{"latn", "arab"}``: Western (the default) or Arabic-Indic digits, for Arabic and
    Kurdish (English always has Western digits). Every number cpgeo formats for a
    language goes through :func:`format_number` or :func:`format_date`, so one call
    at the start of an app run or a command sets the digits of all its figures, maps
    and reports. A context variable: another session or thread keeps its own.

    Raises
    ------
    InputError
        If ``digits`` is neither.
    """
    if digits not in ("latn", "arab"):
        msg = f"digits must be 'latn' or 'arab', not {digits!r}"
        raise InputError(msg)
    _DIGITS.set(digits)


def digits_in_use() -> str:
    """Return the digits :func:`set_digits` chose in this context (default ``"latn"``)."""
    return _DIGITS.get()


def language(code: str | None) -> str:
    """Return the language code for ``code`` (``"en"``, ``"ar"``, ``"ckb"``; default en).

    Also accepts the Kurdish codes ``ku`` and ``sorani`` and region forms (``ar-IQ``),
    case-insensitive.

    Raises
    ------
    InputError
        If the language is not one of :data:`LANGUAGES`.
    """
    if code is None or not str(code).strip():
        return "en"
    base = str(code).strip().lower().replace("_", "-").split("-")[0]
    base = {"ku": "ckb", "sorani": "ckb", "arabic": "ar", "english": "en"}.get(base, base)
    if base not in LANGUAGES:
        msg = f"language {code!r} is not one of {', '.join(LANGUAGES)}"
        raise InputError(msg)
    return base


def is_rtl(lang: str) -> bool:
    """Return True for a right-to-left language."""
    return language(lang) in RTL


@functools.cache
def _catalog(lang: str) -> dict[str, str]:
    """Return the translations of ``lang`` (msgid -> msgstr, translated entries only)."""
    from babel.messages.pofile import read_po

    with (_FOLDER / f"{lang}.po").open("rb") as po:
        catalog = read_po(po, locale=_LOCALES[lang].split("_")[0])
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def gettext(message: str, lang: str = "en", /, **values: object) -> str:
    """Return ``message`` in ``lang``; the English message where no translation exists.

    With ``values``, the message's ``{name}`` fields are filled in (after translation:
    the fields are the same in every language, their order need not be).
    """
    code = language(lang)
    text = message if code == "en" else _catalog(code).get(message, message)
    return text.format(**values) if values else text


class Message(str):
    """An English text that can also be said in the other languages.

    ``Message("{name} is not a number", name="'abc'")`` is the text
    ``'abc' is not a number`` (a :class:`str`, usable wherever text is), and keeps its
    message (the catalogs' msgid) and fields apart, so that :meth:`text` can say it in
    any language. A field may itself be said (a :class:`Message`, a :class:`Joined`, a
    file problem): it is said in the same language. Used where a text is made long before
    it is shown: an error about a file is raised by the reader and shown by the app in
    the language of the page.
    """

    template: str
    fields: dict[str, object]

    def __new__(cls, template: str, /, **fields: object) -> Message:
        """Make the message: its English text now, its other languages when asked."""
        self = super().__new__(cls, _say(template, "en", fields))
        self.template = template
        self.fields = fields
        return self

    def text(self, lang: str = "en", /) -> str:
        """Return the message in ``lang``, its fields filled in (said in ``lang`` too)."""
        if lang == "en":
            return str.__str__(self)
        return _say(self.template, lang, self.fields)

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.fields!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (_message, (self.template, self.fields))


def _message(template: str, fields: dict[str, object]) -> Message:
    return Message(template, **fields)


def _say(template: str, lang: str, fields: dict[str, object]) -> str:
    values = {name: say(value, lang) for name, value in fields.items()}
    return gettext(template, lang, **values)


class Joined:
    """Parts said one after another with ``separator`` between them (``"; "``)."""

    __slots__ = ("parts", "separator")

    def __init__(self, parts: Iterable[object], separator: str = ", ") -> None:
        self.parts: tuple[object, ...] = tuple(parts)
        self.separator = separator

    def text(self, lang: str = "en", /) -> str:
        """Return the parts in ``lang``, joined (by the language's comma or semicolon)."""
        return punctuation(self.separator, lang).join(say(part, lang) for part in self.parts)

    def __str__(self) -> str:
        return self.text("en")


class Number:
    """A number said with the separators (and digits) of the language: ``1,234``, ``2.5``.

    ``decimals``: fixed decimals (:func:`format_number`); default as many as it has.
    """

    __slots__ = ("decimals", "value")

    def __init__(self, value: float, decimals: int | None = None) -> None:
        self.value = value
        self.decimals = decimals

    def text(self, lang: str = "en", /) -> str:
        """Return the number formatted for ``lang`` (:func:`format_number`)."""
        return format_number(self.value, lang, decimals=self.decimals)

    def __str__(self) -> str:
        return format_number(self.value, "en", decimals=self.decimals, digits="latn")


#: The comma and semicolon of Arabic script (Arabic and Kurdish write both).
_ARABIC_PUNCTUATION = str.maketrans({",": "،", ";": "؛"})


def punctuation(text: str, lang: str = "en") -> str:
    """Return ``text`` (a separator: ``", "``, ``"; "``) with the commas of ``lang``."""
    return text.translate(_ARABIC_PUNCTUATION) if language(lang) in RTL else text


def say(value: object, lang: str = "en") -> str:
    """Return ``value`` in ``lang``: said if it can be (a :class:`Message`), else as text."""
    said = getattr(value, "text", None)
    if callable(said) and (isinstance(value, Message) or not isinstance(value, str)):
        return str(said(lang))
    return str(value)


def governorate_name(name: str, lang: str = "en") -> str:
    """Return a governorate's name in ``lang`` (the canonical English name in English).

    A name cpgeo does not know (a user's own area) is returned as given.
    """
    code = language(lang)
    names = GOVERNORATE_NAMES.get(str(name))
    if code == "en" or names is None:
        return str(name)
    return names[0] if code == "ar" else names[1]


@functools.cache
def _countries(lang: str) -> dict[str, str]:
    """English country name (CLDR, and "the Netherlands" forms) -> its name in ``lang``."""
    from babel import Locale

    english = Locale.parse("en").territories
    local = Locale.parse(_LOCALES[lang]).territories
    names = {
        name.casefold(): local[code]
        for code, name in english.items()
        if code in local and len(code) == 2
    }
    names.update({f"the {k}": v for k, v in list(names.items())})
    return names


def country_name(name: str, lang: str = "en") -> str:
    """Return a country's English name (a donor: ``"Germany"``) in ``lang``, from CLDR.

    A name that is not a country's (a foundation, say) is returned as given.
    """
    code = language(lang)
    if code == "en":
        return str(name)
    return _countries(code).get(str(name).strip().casefold(), str(name))


def place_names(frame: Any, lang: str = "en", column: str = "name") -> Any:
    """Return the names of ``frame``'s rows in ``lang``, as a pandas Series.

    Uses the ``name_ar`` / ``name_ckb`` column where the data has one and the row's
    entry there is filled (COD-AB's ``ADM*_AR``, OSM's ``name:ar``); else ``column``
    (English or the name as the source gives it). Kurdish falls back to Arabic script
    names (``name_ar``) before the Latin-script name, as Sorani readers read Arabic
    script. Governorate names come from :data:`GOVERNORATE_NAMES`.
    """
    import pandas as pd

    code = language(lang)
    base = frame[column].astype("string") if column in frame else pd.Series(
        pd.NA, index=frame.index, dtype="string"
    )
    if code == "en":
        return base
    if column == "governorate":
        return base.map(lambda n: governorate_name(n, code) if pd.notna(n) else n)
    out = base
    for local in ("name_ar",) if code == "ar" else ("name_ar", "name_ckb"):
        if local in frame:
            filled = frame[local].astype("string").str.strip()
            out = filled.where(filled.notna() & (filled != ""), out)
    return out


def untranslated(messages: list[str], lang: str) -> list[str]:
    """Return those of ``messages`` that the catalog of ``lang`` does not translate."""
    code = language(lang)
    if code == "en":
        return []
    known = _catalog(code)
    return [m for m in messages if m not in known]


def format_number(
    value: float | int,
    lang: str = "en",
    *,
    decimals: int | None = None,
    percent: bool = False,
    digits: str | None = None,
) -> str:
    """Format a number for ``lang``: separators of its locale, digits as asked.

    Parameters
    ----------
    value
        The number (a share 0..1 with ``percent=True``).
    decimals
        Fixed number of decimals; default: as many as the value has, up to 3.
    percent
        Format as a percentage (0.556 -> 55.6 %).
    digits
        {"latn", "arab"}: Western digits (the default, as Iraqi official tables print)
        or Arabic-Indic digits with Arabic separators; None: those of
        :func:`set_digits`.
    """
    from babel.numbers import format_decimal, format_percent

    code = language(lang)
    locale = _LOCALES[code]
    digits = digits or _DIGITS.get()
    system = "arab" if digits == "arab" and code != "en" else "latn"
    fixed = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    if percent:
        pattern = (fixed or "#,##0") + "%"
        text = format_percent(value, pattern, locale=locale, numbering_system=system)
    else:
        text = format_decimal(value, fixed, locale=locale, numbering_system=system)
    return text.translate(_ARABIC_INDIC) if system == "arab" else text


def format_date(value: dt.date, lang: str = "en", *, digits: str | None = None) -> str:
    """Format a date for ``lang`` in words (``1 كانون الثاني 2019``, ``1 January 2019``)."""
    from babel.dates import format_date as babel_date

    code = language(lang)
    text = babel_date(value, format="long", locale=_LOCALES[code])
    digits = digits or _DIGITS.get()
    return text.translate(_ARABIC_INDIC) if digits == "arab" and code != "en" else text
