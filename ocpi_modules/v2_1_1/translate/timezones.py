"""The IANA time zone of a 2.1.1 Location that gives none (2.1.1 `time_zone` is optional, 2.2.1 requires it,
checklist §21): only for countries (ISO 3166-1 alpha-3) that have exactly one zone. Anywhere else the zone
cannot be known and the Location is refused.

Pure data; imports nothing.
"""

from __future__ import annotations

# Countries with one IANA zone, European roaming first. A country missing here is not an error: the Location
# must then say its time_zone.
SINGLE_ZONE_COUNTRIES: dict[str, str] = {
    "ALB": "Europe/Tirane",
    "AND": "Europe/Andorra",
    "AUT": "Europe/Vienna",
    "BEL": "Europe/Brussels",
    "BGR": "Europe/Sofia",
    "BIH": "Europe/Sarajevo",
    "BLR": "Europe/Minsk",
    "CHE": "Europe/Zurich",
    "CZE": "Europe/Prague",
    "DNK": "Europe/Copenhagen",
    "EST": "Europe/Tallinn",
    "FIN": "Europe/Helsinki",
    "FRA": "Europe/Paris",
    "GBR": "Europe/London",
    "GRC": "Europe/Athens",
    "HRV": "Europe/Zagreb",
    "HUN": "Europe/Budapest",
    "IRL": "Europe/Dublin",
    "ISL": "Atlantic/Reykjavik",
    "ITA": "Europe/Rome",
    "LIE": "Europe/Vaduz",
    "LTU": "Europe/Vilnius",
    "LUX": "Europe/Luxembourg",
    "LVA": "Europe/Riga",
    "MCO": "Europe/Monaco",
    "MDA": "Europe/Chisinau",
    "MKD": "Europe/Skopje",
    "MLT": "Europe/Malta",
    "MNE": "Europe/Podgorica",
    "NLD": "Europe/Amsterdam",
    "NOR": "Europe/Oslo",
    "POL": "Europe/Warsaw",
    "ROU": "Europe/Bucharest",
    "SMR": "Europe/San_Marino",
    "SRB": "Europe/Belgrade",
    "SVK": "Europe/Bratislava",
    "SVN": "Europe/Ljubljana",
    "SWE": "Europe/Stockholm",
    "DEU": "Europe/Berlin",
    "ISR": "Asia/Jerusalem",
    "JPN": "Asia/Tokyo",
    "KOR": "Asia/Seoul",
    "SGP": "Asia/Singapore",
    "NZL": "Pacific/Auckland",
    "ZAF": "Africa/Johannesburg",
    "IND": "Asia/Kolkata",
    "CHN": "Asia/Shanghai",
    "HKG": "Asia/Hong_Kong",
    "TWN": "Asia/Taipei",
    "TUR": "Europe/Istanbul",
    "ARE": "Asia/Dubai",
}


def zone_of_country(country: object) -> str | None:
    """The only IANA zone of an alpha-3 country, or None when it has several or is unknown here."""
    if not isinstance(country, str):
        return None
    return SINGLE_ZONE_COUNTRIES.get(country.strip().upper())
