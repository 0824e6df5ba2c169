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


def _msgids(text: str) -> list[str]:
    """The msgids of a .po file's text, continuation lines joined."""
    ids, current = [], None
    for line in text.splitlines():
        if line.startswith('msgid "'):
            current = [line[7:-1]]
        elif current is not None and line.startswith('"'):
            current.append(line[1:-1])
        else:
            if current is not None:
                ids.append("".join(current))
            current = None
    if current is not None:
        ids.append("".join(current))
    return [i for i in ids if i]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_message_is_in_a_catalog_twice(lang: str) -> None:
    """Two entries for one message: a reader takes one of them, silently."""
    ids = _msgids((LOCALE / f"{lang}.po").read_text(encoding="utf-8"))
    twice = sorted({i for i in ids if ids.count(i) > 1})
    assert not twice, twice
    assert _msgids('msgid "a"\nmsgstr "b"\n\nmsgid ""\n"c"\n"d"\nmsgstr "e"\n') == ["a", "cd"]


def test_numbers_and_shares_in_each_language() -> None:
    assert labels.number(1234567, lang="ar") == "1,234,567"
    assert labels.number(-3, signed=True, lang="ckb") == "-3"
    assert labels.number(3, signed=True, lang="ar") == "+3"
    assert labels.number(float("nan"), lang="ar") == i18n.gettext("unknown", "ar")
    assert labels.share(0.5561, lang="ar") == i18n.format_number(0.5561, "ar", decimals=1,
                                                                 percent=True)
    # English stays as every earlier table printed it
    assert labels.number(1234567) == "1,234,567" and labels.share(0.5561) == "55.6%"
    assert labels.share(0.012, signed=True) == "+1.2 points"


def test_place_names_prefer_the_language_and_fall_back() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {"name": ["Mosul CPO", "Qayyarah", "Erbil"], "name_ar": ["مكتب الموصل", None, ""],
         "name_ckb": [None, None, "هەولێر"]}
    )
    assert i18n.place_names(frame, "en").tolist() == ["Mosul CPO", "Qayyarah", "Erbil"]
    assert i18n.place_names(frame, "ar").tolist() == ["مكتب الموصل", "Qayyarah", "Erbil"]
    # Kurdish: its own name first, then the Arabic-script one, then the data's
    assert i18n.place_names(frame, "ckb").tolist() == ["مكتب الموصل", "Qayyarah", "هەولێر"]
    governorates = pd.DataFrame({"governorate": ["Ninewa", "Salah al-Din", "Somewhere"]})
    assert i18n.place_names(governorates, "ar", "governorate").tolist() == [
        "نينوى", "صلاح الدين", "Somewhere"
    ]


def test_every_governorate_has_its_names() -> None:
    from cpgeo.regions import GOVERNORATES

    assert set(GOVERNORATES) <= set(i18n.GOVERNORATE_NAMES)
    for name in GOVERNORATES:
        for lang in TRANSLATED:
            local = i18n.governorate_name(name, lang)
            assert re.fullmatch(r"[\u0600-\u06FF ]+", local), (name, lang, local)
    assert i18n.governorate_name("Ninewa", "en") == "Ninewa"


def test_donor_countries_by_cldr() -> None:
    assert i18n.country_name("Germany", "ar") == "ألمانيا"
    assert i18n.country_name("the Netherlands", "ar") == i18n.country_name("Netherlands", "ar")
    assert re.search(r"[\u0600-\u06FF]", i18n.country_name("United States", "ckb"))
    assert i18n.country_name("A foundation", "ar") == "A foundation"


def test_sentences_in_each_language_keep_the_figures() -> None:
    from cpgeo.public import rule_text
    from cpgeo.scenario import illustrative_notice

    for lang in TRANSLATED:
        text = labels.assignment_sentence(26, 28, 32, 1, 50, 5, lang)
        assert all(n in text for n in ("26", "28", "50", "5")), text
        assert not re.search(r"[A-Za-z]{3,}", text), text
        rule = rule_text("district", 3, lang=lang)
        assert "3" in rule and not re.search(r"[A-Za-z]{3,}", rule.replace("COD-AB", "")), rule
        notice = illustrative_notice(("offices", "cpfs"), lang)
        assert notice.startswith("ILLUSTRATIVE DATA")
        assert not re.search(r"[A-Za-z]{3,}", notice.removeprefix("ILLUSTRATIVE DATA")), notice
        summary = labels.site_summary(
            {"communities_within_radius": 9, "population_within_radius": 649116,
             "relieved_offices": "OFF-MOS"},
            lang,
        )
        assert "+9" in summary and "+649,116" in summary and "OFF-MOS" in summary
    assert labels.assignment_sentence(26, 28, 32, 1, 50, 5).startswith("No reassignment")


def test_site_names_in_each_language() -> None:
    from cpgeo.siting import candidate_sites

    demo = cpgeo.load_demo()
    sites = candidate_sites(demo)
    english = labels.site_names(sites, demo, "en")
    arabic = labels.site_names(sites, demo, "ar")
    assert english.tolist() == sites["name"].tolist()
    rehab = (sites["type"] == "rehabilitate").to_numpy()
    assert rehab.any() and (~rehab).any()
    assert all(re.fullmatch(r"[\u0600-\u06FF ()]+", n) for n in arabic[rehab]), arabic[rehab]
    template = i18n.gettext("New office in {place}", "ar").split("{place}")[0]
    assert all(n.startswith(template) for n in arabic[~rehab])


def test_digits_are_set_per_context() -> None:
    import contextvars

    def arabic() -> str:
        i18n.set_digits("arab")
        return labels.number(1234567, lang="ar") + " " + i18n.format_date(
            dt.date(2019, 1, 1), "ar"
        )

    text = contextvars.copy_context().run(arabic)
    seven_digits = "\u0661\u066c\u0662\u0663\u0664\u066c\u0665\u0666\u0667"
    assert text.startswith(seven_digits) and "\u0662\u0660\u0661\u0669" in text, text
    assert labels.number(1234567, lang="ar") == "1,234,567"  # this context is untouched
    assert i18n.format_number(5, "en", digits="arab") == "5"  # English: Western always
    with pytest.raises(cpgeo.InputError, match="digits"):
        i18n.set_digits("roman")


def test_the_map_writes_the_digits_asked_for() -> None:
    import contextvars

    from cpgeo import maps

    demo = cpgeo.load_demo()

    def page(digits: str) -> str:
        i18n.set_digits(digits)
        return maps.map_html(maps.build_map(demo, lang="ar"))

    arabic = contextvars.copy_context().run(page, "arab")
    western = contextvars.copy_context().run(page, "latn")
    assert '"digits":"arab"' in arabic and '"digits":"latn"' in western
    # the legend's "50 km" (JSON-escaped in the page), in Arabic-Indic digits or not
    assert "\\u0665\\u0660" in arabic and "\\u0665\\u0660" not in western


def test_gettext_fills_the_fields_after_translating() -> None:
    assert i18n.gettext("{part} of {whole}", "ar", part="3", whole="7") == "3 من 7"
    # fields may take any name, the message's and the language's included
    assert i18n.gettext("{message} / {lang}", "ar", message="x", lang="y") == "x / y"
    assert i18n.gettext("{braces stay}", "ar") == "{braces stay}"  # no values: as written
