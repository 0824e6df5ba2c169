"""Shared table for the data recipes: FIPS 10-4 code -> canonical name and ISO 3166-2 code.

GeoNames' Iraqi admin1 codes are the FIPS numbers (``IZ01`` -> ``01``). Canonical names
are the common English spellings used by the programme; pycountry checks the ISO codes.
"""

from __future__ import annotations

FIPS_TO_GOVERNORATE: dict[str, tuple[str, str]] = {
    "IZ01": ("Anbar", "IQ-AN"),
    "IZ02": ("Basra", "IQ-BA"),
    "IZ03": ("Muthanna", "IQ-MU"),
    "IZ04": ("Al-Qadisiyah", "IQ-QA"),
    "IZ05": ("Sulaymaniyah", "IQ-SU"),
    "IZ06": ("Babil", "IQ-BB"),
    "IZ07": ("Baghdad", "IQ-BG"),
    "IZ08": ("Duhok", "IQ-DA"),
    "IZ09": ("Dhi Qar", "IQ-DQ"),
    "IZ10": ("Diyala", "IQ-DI"),
    "IZ11": ("Erbil", "IQ-AR"),
    "IZ12": ("Karbala", "IQ-KA"),
    "IZ13": ("Kirkuk", "IQ-KI"),
    "IZ14": ("Maysan", "IQ-MA"),
    "IZ15": ("Ninewa", "IQ-NI"),
    "IZ16": ("Wasit", "IQ-WA"),
    "IZ17": ("Najaf", "IQ-NA"),
    "IZ18": ("Salah al-Din", "IQ-SD"),
}

# GeoNames' admin1 code 19 is Halabja, a governorate since 2014 that the Natural Earth
# 1:10m boundaries still fold into Sulaymaniyah. It has no ISO 3166-2 code in pycountry.
HALABJA = ("Halabja", "")
