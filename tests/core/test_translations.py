"""The Norwegian Bokmål catalogue is complete, compiled, and actually used by the pages.

The .po file is parsed by the small reader below (no extra dependency), so the check also
runs where GNU gettext is not installed; ``msgfmt`` is used in addition when it is there.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import formats, translation

import needlechart

LOCALE_DIR = Path(needlechart.__file__).resolve().parent / "locale" / "nb" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """A minimal .po reader: entries are separated by blank lines (as gettext writes them);
    handles msgctxt, plurals, flags, obsolete entries and multi-line strings."""
    entries: list[Entry] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    block: list[tuple[int, str]] = []
    for lineno, raw in enumerate(lines + [""], start=1):
        if raw.strip():
            block.append((lineno, raw.strip()))
            continue
        if not block:
            continue
        entry = Entry(line=block[0][0])
        target: str | None = None
        for number, line in block:
            if line.startswith("#~"):
                entry.obsolete = True
            elif line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                assert target is not None, f"{path}:{number}: string without keyword"
                _append(entry, target, ast.literal_eval(line))
            else:
                keyword, _, rest = line.partition(" ")
                known = re.fullmatch(r"msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?", keyword)
                assert known, f"{path}:{number}: {line!r}"
                target = keyword
                _append(entry, target, ast.literal_eval(rest))
        entries.append(entry)
        block = []
    return entries


def _append(entry: Entry, target: str, value: str) -> None:
    if target == "msgid":
        entry.msgid += value
    elif target == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + value
    elif target == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + value
    else:
        index = int(target[7:-1]) if target.startswith("msgstr[") else 0
        entry.msgstr[index] = entry.msgstr.get(index, "") + value


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO_FILE.exists(), f"{PO_FILE} is missing"
    return parse_po(PO_FILE)


def _messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid and not e.obsolete]


def _header(entries: list[Entry]) -> Entry:
    return next(e for e in entries if e.msgid == "" and not e.obsolete)


# --- the catalogue ------------------------------------------------------------------------


def test_header_declares_bokmal_plurals(po_entries):
    header = _header(po_entries)
    text = header.msgstr[0]
    assert "fuzzy" not in header.flags
    assert "Language: nb\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in text
    assert "charset=UTF-8" in text


def test_every_marked_string_in_code_and_templates_is_in_the_catalogue(tmp_path, po_entries):
    """Extract the strings afresh from a copy of the source and look for new, untranslated ones.

    makemessages brings an obsolete entry (``#~``) back to life with its old translation when its
    string is used again, so the fresh catalogue alone would look complete; but the .mo compiled
    from the committed catalogue leaves obsolete entries out, and the page shows English (the main
    menu's "Main" did). So every string in use must also be a live entry of the committed file."""
    source = Path(needlechart.__file__).resolve().parent
    copy = tmp_path / "needlechart"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "data"))
    subprocess.run(
        ["django-admin", "makemessages", "-l", "nb", "--no-obsolete", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "needlechart.settings"},
        executable=str(Path(sys.executable).parent / "django-admin"),
    )
    fresh = _messages(parse_po(copy / "locale" / "nb" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in fresh if "fuzzy" in e.flags or not all(e.msgstr.values())]
    assert not missing, f"run makemessages -l nb and translate: {missing}"
    live = {(e.msgctxt, e.msgid) for e in _messages(po_entries)}
    not_live = [e.msgid for e in fresh if (e.msgctxt, e.msgid) not in live]
    assert not not_live, f"in use but missing or obsolete (#~) in {PO_FILE.name}: {not_live}"


def test_catalogue_is_not_empty(po_entries):
    assert len(_messages(po_entries)) > 100


def test_no_fuzzy_entries(po_entries):
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in _messages(po_entries) if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy entries in the nb catalogue:\n" + "\n".join(fuzzy)


def test_no_untranslated_entries(po_entries):
    untranslated = []
    for e in _messages(po_entries):
        expected_forms = 2 if e.msgid_plural is not None else 1
        if len(e.msgstr) != expected_forms or not all(s.strip() for s in e.msgstr.values()):
            untranslated.append(f"line {e.line}: {e.msgid!r}")
    assert not untranslated, "untranslated entries in the nb catalogue:\n" + "\n".join(untranslated)


def test_placeholders_are_kept(po_entries):
    broken = []
    for e in _messages(po_entries):
        sources = [e.msgid] + ([e.msgid_plural] if e.msgid_plural is not None else [])
        wanted = set().union(*(PLACEHOLDER.findall(s) for s in sources))
        for translation_text in e.msgstr.values():
            if set(PLACEHOLDER.findall(translation_text)) != wanted:
                broken.append(f"line {e.line}: {e.msgid!r} -> {translation_text!r}")
    assert not broken, "placeholders differ between source and translation:\n" + "\n".join(broken)


def test_msgfmt_accepts_catalogue():
    assert shutil.which("msgfmt"), "GNU gettext is required (scripts/setup installs it)"
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-domain", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "translated message" in report, report
    assert "untranslated" not in report, report
    assert "fuzzy" not in report, report


def test_compiled_catalogue_matches_po(po_entries):
    """The .mo the app loads must be compiled from the current .po (run compilemessages)."""
    assert MO_FILE.exists(), "django.mo is missing: run `needlechart compilemessages`"
    with MO_FILE.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for e in _messages(po_entries):
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            got = compiled.gettext(key)
            if got != e.msgstr[0]:
                stale.append(f"{e.msgid!r}: .mo has {got!r}")
        else:
            for n, form in ((1, 0), (2, 1)):
                got = compiled.ngettext(key, e.msgid_plural, n)
                if got != e.msgstr[form]:
                    stale.append(f"{e.msgid!r}[{form}]: .mo has {got!r}")
    assert not stale, "django.mo is out of date; run compilemessages:\n" + "\n".join(stale)


# --- the pages ----------------------------------------------------------------------------


@pytest.fixture
def nb_client(client, practitioner):
    client.force_login(practitioner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    yield client
    translation.deactivate()  # the locale middleware leaves nb active in this thread


def test_today_page_is_norwegian(nb_client):
    html = nb_client.get("/").content.decode()
    assert '<html lang="nb">' in html
    norwegian_words = ("I dag", "Pasienter", "Logg ut", "Forrige dag", "Neste dag", "Gå til innhold")
    for norwegian in norwegian_words:
        assert norwegian in html, norwegian
    for english in ("Today", "Patients", "Sign out", "Previous day", "Next day", "Skip to content"):
        assert english not in html, english


def test_today_page_counts_visits_in_norwegian(nb_client, encounter):
    html = nb_client.get("/").content.decode()
    assert "1 konsultasjon" in html
    assert "Tidspunkt" in html and "Pasient" in html and "Åpne journalnotat" in html
    assert "1 visit" not in html and "Open note" not in html


def test_patient_list_is_norwegian(nb_client):
    html = nb_client.get("/patients/").content.decode()
    assert '<html lang="nb">' in html
    norwegian_words = ("Pasienter", "Søk etter navn, fødselsdato eller identifikator", "f.eks. Nordmann", "Søk")
    for norwegian in norwegian_words:
        assert norwegian in html, norwegian
    for english in ("Patients", "Search by name", "e.g. Nordmann", ">Search<"):
        assert english not in html, english


def test_english_stays_english(client, practitioner):
    client.force_login(practitioner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/patients/").content.decode()
    assert '<html lang="en">' in html
    assert "Patients" in html and "Pasienter" not in html


def test_chart_dates_use_norwegian_format(nb_client, patient, signed_note):
    with translation.override("nb"):
        long_date = formats.date_format(patient.birth_date, "DATE_FORMAT")
    assert long_date == "17. mai 1985"  # Django's nb DATE_FORMAT is "j. F Y"

    html = nb_client.get(f"/patients/{patient.pk}/").content.decode()
    assert '<html lang="nb">' in html
    assert f"Født {long_date}" in html
    assert "17 May 1985" not in html and "May 17, 1985" not in html and "Born" not in html
    # The timeline uses SHORT_DATETIME_FORMAT "d.m.Y H:i" and the SOAP headings are translated.
    assert re.search(r"\b\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}\b", html)
    norwegian_words = ("Behandlingsforløp", "Fødselsnummer", "Subjektivt", "Objektivt", "Vurdering", "Signert")
    for norwegian in norwegian_words:
        assert norwegian in html, norwegian
    for english in ("Episodes of care", "National identity number", "Subjective", "Assessment"):
        assert english not in html, english


# --- strings that stayed English on Bokmål pages (issue 13) ----------------------------------


def test_the_main_menu_is_named_in_norwegian(nb_client):
    html = nb_client.get("/").content.decode()
    assert '<nav aria-label="Hovedmeny">' in html and 'aria-label="Main"' not in html


def test_the_atlas_names_what_each_source_supports_in_norwegian(nb_client):
    html = nb_client.get("/atlas/upper_trapezius/").content.decode()
    sources = html.split('<dl class="sources">', 1)[1].split("</dl>", 1)[0]
    terms = re.findall(r"<dt>([^<]*)</dt>", sources)
    assert terms and "Navn" in terms and "Utstrålingsmønster" in terms and "Innervasjon" in terms
    assert not set(terms) & {"names", "lies_in", "referral", "innervation", "risks", "needling", "prevalence"}


def test_intervals_read_til_in_norwegian():
    from needlechart.analytics.templating import mean_ci
    from needlechart.outcomes.stats import MeanInterval

    value = MeanInterval(n=8, mean=1.6, sd=2.7, low=-0.6, high=3.8)
    with translation.override("nb"):
        assert mean_ci(value) == "1,6 (-0,6 til 3,8), n = 8"
    with translation.override("en"):
        assert mean_ci(value) == "1.6 (-0.6 to 3.8), n = 8"
