"""Languages: every label translated, every catalog true to the glossary, local formats."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import cpgeo
from cpgeo import i18n, labels

LOCALE = Path(cpgeo.__file__).with_name("locale")
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != "en"]


def _entries(lang: str) -> list[tuple[str, str]]:
    with (LOCALE / f"{lang}.po").open("rb") as po:
        catalog = read_po(po)
    return [(str(m.id), str(m.string or "")) for m in catalog if m.id]


def _glossary() -> list[dict[str, str]]:
    with (LOCALE / "glossary.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_label_has_a_translation(lang: str) -> None:
    assert not i18n.untranslated(sorted(set(labels.FIGURE_LABELS.values())), lang)
    empty = [msgid for msgid, msgstr in _entries(lang) if not msgstr.strip()]
    assert not empty, empty


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_uses_the_glossary(lang: str) -> None:
    """An entry naming a glossary term says it with the glossary's word."""
    wrong = []
    for term in _glossary():
        pattern = re.compile(term["pattern"], re.IGNORECASE)
        forms = term[lang].split("|")
        for msgid, msgstr in _entries(lang):
            if pattern.search(msgid) and not any(form in msgstr for form in forms):
                wrong.append((term["term"], msgid, msgstr))
    assert not wrong, wrong


def test_the_glossary_check_catches_a_wrong_term(monkeypatch) -> None:
    entries = [("Offices over capacity", "الدوائر التي تتجاوز طاقتها الاستيعابية")]
    office = next(t for t in _glossary() if t["term"] == "office")
    pattern = re.compile(office["pattern"], re.IGNORECASE)
    assert pattern.search(entries[0][0])
    assert not any(form in entries[0][1] for form in office["ar"].split("|"))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_keys(lang: str) -> None:
    assert labels.label("population_within_radius", lang) != labels.label(
        "population_within_radius"
    )
    assert labels.label("population_within_radius_share", lang) == i18n.gettext(
        "Share of the population within the radius", lang
    )
    # a key without a label reads as itself in every language
    assert labels.label("no_such_key", lang) == "no such key"
    assert labels.label("offices_change", lang).endswith(i18n.gettext("Change", lang))


def test_arabic_labels_are_arabic() -> None:
    text = labels.label("forums_without_office_in_range", "ar")
    assert re.search(r"[\u0600-\u06FF]", text) and not re.search(r"[A-Za-z]", text)
    assert labels.label("offices", "ar") == "المكاتب"
    assert labels.label("governorate", "ckb") == "پارێزگا"


def test_languages_and_directions() -> None:
    assert i18n.language("ar-IQ") == "ar"
    assert i18n.language("ku") == "ckb"
    assert i18n.language(None) == "en"
    assert i18n.is_rtl("ckb") and i18n.is_rtl("ar") and not i18n.is_rtl("en")
    with pytest.raises(cpgeo.InputError, match="not one of en, ar, ckb"):
        i18n.language("fr")


def test_numbers_and_dates_by_locale() -> None:
    assert i18n.format_number(1234567, "ar") == "1,234,567"
    assert i18n.format_number(1234567, "ar", digits="arab") == "١٬٢٣٤٬٥٦٧"  # noqa: RUF001
    assert i18n.format_number(0.556, "en", percent=True, decimals=1) == "55.6%"
    assert i18n.format_number(0.556, "ar", percent=True, decimals=1, digits="arab") == "٥٥٫٦٪"  # noqa: RUF001
    assert i18n.format_date(dt.date(2019, 1, 1), "ar") == "1 كانون الثاني 2019"
    assert i18n.format_date(dt.date(2019, 1, 1), "en") == "1 January 2019"
    assert "١" in i18n.format_date(dt.date(2019, 1, 1), "ckb", digits="arab")  # noqa: RUF001
