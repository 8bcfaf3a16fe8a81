"""The clinic dashboard and its CSV on a hand-built data set, checked against figures computed here independently."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from needlechart.analytics.models import EpisodeOutcome, SessionFact
from needlechart.analytics.report import FilterError, Filters, clinic_report, parse_filters
from needlechart.audit.models import AuditEvent
from needlechart.charting import services as charting
from needlechart.patients import services as patients
from tests.outcomes.conftest import sign

Z95 = 1.959963984540054
T975 = {1: 12.706204736, 2: 4.302652730, 3: 3.182446305, 4: 2.776445105, 5: 2.570581836, 6: 2.446911851}  # standard tables
PERIOD = {"start": "2025-01-01", "end": "2025-03-31"}

# Patients P1..P4, practitioners A (practitioner) and B (second_practitioner).
# Episodes: patient, condition, practitioner of the first session, first session, baseline, latest, responder, sessions to response
EPISODES = {
    "ep1": ("P1", "neck", "A", "2025-01-10", 7, 4, True, 2),
    "ep2": ("P2", "low_back", "A", "2025-01-20", 8, 7, False, None),
    "ep3": ("P3", "neck", "B", "2025-02-05", 6, 6, False, None),
    "ep4": ("P4", "headache", "B", "2025-03-10", 5, 5, None, None),  # one pain score: no follow-up yet
    "ep5": ("P1", "other", "A", "2025-03-15", 6, 2, True, 1),
    "ep6": ("P4", "headache", "B", "2024-12-20", 9, 1, True, 5),  # before the period
    "ep7": ("P2", "neck", "A", "2025-02-20", 5, 3, True, 4),
}
# Sessions: episode, day, adverse-event severities
SESSIONS = [
    ("ep6", "2024-12-20", {"serious"}),
    ("ep1", "2025-01-10", set()),
    ("ep1", "2025-01-17", {"mild"}),
    ("ep2", "2025-01-20", {"mild", "significant"}),
    ("ep1", "2025-02-03", set()),
    ("ep3", "2025-02-05", set()),
    ("ep2", "2025-02-10", set()),
    ("ep7", "2025-02-20", set()),
    ("ep3", "2025-03-01", {"mild"}),
    ("ep4", "2025-03-10", set()),
    ("ep5", "2025-03-15", set()),
]


@dataclass
class DataSet:
    practitioners: dict
    episodes: dict
    patients: dict


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _fact(encounter, episode, condition, day, severities) -> SessionFact:
    return SessionFact.objects.create(
        encounter=encounter,
        clinic_id=encounter.clinic_id,
        patient_id=encounter.patient_id,
        episode=episode,
        practitioner_id=encounter.practitioner_id,
        condition=condition,
        day=day,
        ae_mild="mild" in severities,
        ae_significant="significant" in severities,
        ae_serious="serious" in severities,
    )


@pytest.fixture
def data(front_desk, practitioner, second_practitioner, patient, other_admin, other_practitioner) -> DataSet:
    """The reporting rows of the table above, written directly (the report reads nothing else), plus another clinic's."""
    people = {"P1": patient}
    for code, name in (("P2", "Ola"), ("P3", "Siri"), ("P4", "Nils")):
        people[code] = patients.patient_create(
            actor=front_desk, data={"given_name": name, "family_name": "Dahl", "birth_date": dt.date(1970, 1, 1)}
        )
    who = {"A": practitioner, "B": second_practitioner}
    episodes = {}
    for code, (person, condition, by, first, baseline, latest, responder, to_response) in EPISODES.items():
        episode = patients.episode_create(
            actor=front_desk, patient=people[person], complaint=code, condition=condition, started_on=_day(first)
        )
        episodes[code] = episode
        EpisodeOutcome.objects.create(
            episode=episode,
            clinic_id=episode.clinic_id,
            practitioner=who[by],
            condition=condition,
            first_session=_day(first),
            sessions=sum(1 for e, _d, _s in SESSIONS if e == code),
            baseline_nprs=baseline,
            latest_nprs=latest,
            nprs_improvement=None if responder is None else baseline - latest,
            responder=responder,
            sessions_to_response=to_response,
        )
    for code, day, severities in SESSIONS:
        episode, by = episodes[code], EPISODES[code][2]
        starts_at = timezone.make_aware(dt.datetime.combine(_day(day), dt.time(10)))
        encounter = charting.encounter_create(actor=front_desk, episode=episode, practitioner=who[by], starts_at=starts_at)
        _fact(encounter, episode, episode.condition, _day(day), severities)
    # another clinic, same period: never counted here
    theirs = patients.patient_create(
        actor=other_admin, data={"given_name": "Per", "family_name": "Berg", "birth_date": dt.date(1990, 1, 1)}
    )
    their_episode = patients.episode_create(
        actor=other_admin, patient=theirs, complaint="x", condition="neck", started_on=_day("2025-01-05")
    )
    their_visit = charting.encounter_create(
        actor=other_admin,
        episode=their_episode,
        practitioner=other_practitioner,
        starts_at=timezone.make_aware(dt.datetime.combine(_day("2025-01-05"), dt.time(10))),
    )
    _fact(their_visit, their_episode, "neck", _day("2025-01-05"), {"serious"})
    EpisodeOutcome.objects.create(
        episode=their_episode,
        clinic_id=theirs.clinic_id,
        practitioner=other_practitioner,
        condition="neck",
        first_session=_day("2025-01-05"),
        sessions=1,
        baseline_nprs=9,
        latest_nprs=9,
        nprs_improvement=0,
        responder=False,
    )
    return DataSet(who, episodes, people)


# --- independent statistics ---------------------------------------------------------------------


def wilson(successes: int, n: int) -> tuple[float, float, float] | None:
    if n == 0:
        return None
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return p, centre - half, centre + half


def t_interval(values: list[float]) -> tuple[float, float | None, float | None]:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None, None
    half = T975[len(values) - 1] * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def quartiles(values: list[int]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return median, q1, q3


def expected(practitioner: str | None = None, condition: str | None = None, start="2025-01-01", end="2025-03-31") -> dict:
    """The report's figures, worked out from the tables above with nothing of needlechart's."""
    low, high = _day(start), _day(end)
    sessions = [
        (code, _day(day), severities)
        for code, day, severities in SESSIONS
        if low <= _day(day) <= high
        and (practitioner is None or EPISODES[code][2] == practitioner)
        and (condition is None or EPISODES[code][1] == condition)
    ]
    months: dict[dt.date, list] = {}
    for code, day, _severities in sessions:
        months.setdefault(day.replace(day=1), []).append(EPISODES[code][0])
    episodes = [
        row
        for row in EPISODES.values()
        if low <= _day(row[3]) <= high and (practitioner is None or row[2] == practitioner) and (condition is None or row[1] == condition)
    ]
    by_condition = {}
    for name in ("low_back", "neck", "headache", "shoulder", "whiplash", "other", "all"):
        rows = [row for row in episodes if name in ("all", row[1])]
        if not rows:
            continue
        judged = [row for row in rows if row[6] is not None]
        by_condition[name] = {
            "episodes": len(rows),
            "with_follow_up": len(judged),
            "responders": sum(1 for row in judged if row[6]),
            "rate": wilson(sum(1 for row in judged if row[6]), len(judged)),
            "change": t_interval([row[4] - row[5] for row in judged]) if judged else None,
        }
    to_response = [row[7] for row in episodes if row[7] is not None]
    return {
        "months": [(month, len(people), len(set(people))) for month, people in sorted(months.items())],
        "sessions": len(sessions),
        "patients": len({EPISODES[code][0] for code, _d, _s in sessions}),
        "adverse": {
            s: (sum(1 for *_x, sev in sessions if s in sev), wilson(sum(1 for *_x, sev in sessions if s in sev), len(sessions)))
            for s in ("mild", "significant", "serious")
        },
        "outcomes": by_condition,
        "to_response": (len(to_response), quartiles(to_response)) if to_response else None,
    }


def _filters(data, practitioner=None, condition=None, start="2025-01-01", end="2025-03-31") -> Filters:
    return Filters(_day(start), _day(end), data.practitioners[practitioner].pk if practitioner else None, condition)


def _assert_interval(actual, wanted):
    if wanted is None:
        assert actual is None
        return
    assert actual is not None
    assert (actual.estimate, actual.low, actual.high) == pytest.approx(wanted, abs=1e-9)


def _assert_report(report, wanted):
    assert report.months == wanted["months"]
    assert (report.sessions, report.patients) == (wanted["sessions"], wanted["patients"])
    assert list(report.adverse) == ["mild", "significant", "serious"]
    for severity, (count, rate) in wanted["adverse"].items():
        assert report.adverse[severity][0] == count, severity
        _assert_interval(report.adverse[severity][1], rate)
    assert [row.condition for row in report.outcomes] == list(wanted["outcomes"])
    for row in report.outcomes:
        want = wanted["outcomes"][row.condition]
        assert (row.episodes, row.with_follow_up, row.responders) == (want["episodes"], want["with_follow_up"], want["responders"]), (
            row.condition
        )
        _assert_interval(row.responder_rate, want["rate"])
        if want["change"] is None:
            assert row.change is None
        else:
            mean, low, high = want["change"]
            assert row.change.mean == pytest.approx(mean) and row.change.n == want["with_follow_up"]
            assert (row.change.low is None, row.change.high is None) == (low is None, high is None)
            if low is not None:
                assert (row.change.low, row.change.high) == pytest.approx((low, high), abs=1e-6)
    if wanted["to_response"] is None:
        assert report.to_response is None
    else:
        n, (median, q1, q3) = wanted["to_response"]
        assert report.to_response[0] == n
        assert (report.to_response[1].median, report.to_response[1].q1, report.to_response[1].q3) == pytest.approx((median, q1, q3))


# --- the report ---------------------------------------------------------------------------------


def test_the_report_for_the_period(data, clinic):
    report = clinic_report(clinic.pk, _filters(data))
    _assert_report(report, expected())
    # and in plain numbers, so the independent working is itself checked
    assert report.months == [(dt.date(2025, 1, 1), 3, 2), (dt.date(2025, 2, 1), 4, 3), (dt.date(2025, 3, 1), 3, 3)]
    assert (report.sessions, report.patients) == (10, 4)
    assert {s: n for s, (n, _rate) in report.adverse.items()} == {"mild": 3, "significant": 1, "serious": 0}
    mild = report.adverse["mild"][1]
    assert (mild.estimate, round(mild.low, 4), round(mild.high, 4)) == (0.3, 0.1078, 0.6032)
    assert report.adverse["serious"][1].low == 0.0 and round(report.adverse["serious"][1].high, 4) == 0.2775
    rows = {row.condition: row for row in report.outcomes}
    assert list(rows) == ["low_back", "neck", "headache", "other", "all"]
    assert (rows["neck"].episodes, rows["neck"].with_follow_up, rows["neck"].responders) == (3, 3, 2)
    assert rows["headache"].responder_rate is None and rows["headache"].change is None
    assert (rows["low_back"].change.mean, rows["low_back"].change.low) == (1, None)  # one value: no interval
    overall = rows["all"]
    assert (overall.episodes, overall.with_follow_up, overall.responders) == (6, 5, 3)
    assert overall.change.mean == 2 and round(overall.change.low, 3) == 0.037 and round(overall.change.high, 3) == 3.963
    assert report.to_response[0] == 3 and (report.to_response[1].median, report.to_response[1].q1, report.to_response[1].q3) == (2, 1.5, 3)


@pytest.mark.parametrize(
    ("who", "condition", "start", "end", "sessions", "n_patients"),
    [
        ("A", None, "2025-01-01", "2025-03-31", 7, 2),
        ("B", None, "2025-01-01", "2025-03-31", 3, 2),
        (None, "neck", "2025-01-01", "2025-03-31", 6, 3),
        (None, "shoulder", "2025-01-01", "2025-03-31", 0, 0),
        (None, None, "2025-02-01", "2025-02-28", 4, 3),
        (None, None, "2024-12-01", "2025-01-31", 4, 3),
        ("A", "neck", "2025-02-01", "2025-02-28", 2, 2),
    ],
)
def test_filters_narrow_the_figures(data, clinic, who, condition, start, end, sessions, n_patients):
    report = clinic_report(clinic.pk, _filters(data, who, condition, start, end))
    assert (report.sessions, report.patients) == (sessions, n_patients)
    _assert_report(report, expected(who, condition, start, end))


def test_an_empty_period_has_no_rates(data, clinic):
    report = clinic_report(clinic.pk, _filters(data, start="2023-01-01", end="2023-12-31"))
    assert (report.sessions, report.patients, report.months, report.outcomes, report.to_response) == (0, 0, [], [], None)
    assert all(count == 0 and rate is None for count, rate in report.adverse.values())


def test_parse_filters_defaults_to_the_last_twelve_months(data, clinic):
    filters = parse_filters({}, clinic.pk)
    assert (filters.start, filters.end) == (timezone.localdate() - dt.timedelta(days=365), timezone.localdate())
    assert filters.practitioner_id is None and filters.condition is None
    chosen = parse_filters({**PERIOD, "practitioner": str(data.practitioners["A"].pk), "condition": "neck"}, clinic.pk)
    assert chosen == _filters(data, "A", "neck")
    assert chosen.query() == {**PERIOD, "practitioner": str(data.practitioners["A"].pk), "condition": "neck"}


# --- the page and the CSV -----------------------------------------------------------------------


def _pct(interval) -> str:
    p, low, high = interval
    return f"{p * 100:.1f}% ({low * 100:.1f}–{high * 100:.1f})"


def test_the_dashboard_shows_the_figures(client_for, practitioner, data):
    response = client_for(practitioner).get(reverse("analytics"), PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="session-count">10<' in page and 'data-testid="patient-count">4<' in page
    assert '<svg class="months-chart"' in page and "10 sessions over 3 months." in page
    want = expected()
    neck = want["outcomes"]["neck"]
    mean, low, high = neck["change"]
    neck_row = page.split('data-testid="responders-neck"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">3</td><td class="num">3</td><td class="num">2</td>' in neck_row
    assert _pct(neck["rate"]) in neck_row and f"{mean:.1f} ({low:.1f} to {high:.1f}), n = 3" in neck_row
    mild_row = page.split('data-testid="adverse-mild"', 1)[1].split("</tr>", 1)[0]
    assert _pct(want["adverse"]["mild"][1]) in mild_row and '<td class="num">3</td>' in mild_row
    assert "Sessions until response: median 2 (interquartile range 1.5–3), over 3 responding episodes." in page
    for name in ("Kari", "Nordmann", "Ola", "Siri", "Nils", "Dahl"):
        assert name not in page.split('<form method="get"', 1)[1], name  # aggregates only: nobody is named


def test_the_dashboard_shows_the_published_figures_as_context(client_for, clinic_admin, data):
    page = client_for(clinic_admin).get(reverse("analytics"), {**PERIOD, "condition": "neck"}).content.decode()
    # adverse-event surveys: Brady 2014 and Boyce 2020
    assert "Brady 2014 (7629)" in page and "Boyce 2020 (20464)" in page
    mild_row = page.split('data-testid="adverse-mild"', 1)[1].split("</tr>", 1)[0]
    assert "19.18%" in mild_row and "36.70%" in mild_row
    significant_row = page.split('data-testid="adverse-significant"', 1)[1].split("</tr>", 1)[0]
    assert "none (≤ 0.04%)" in significant_row and f"{20 / 20464 * 100:.2f}%" in significant_row
    # meta-analyses
    table = page.split('data-testid="meta-analyses"', 1)[1].split("</table>", 1)[0]
    for text in (
        "Navarro-Santana 2020",
        "MD, NPRS points -1.53 (-2.29 to -0.76)",
        "Liu 2015",
        "SMD -1.91 (-3.10 to -0.73)",
        "Gattie 2017",
        "SMD -0.70 (-1.06 to -0.34)",
        "Kietrys 2013",
        "Grade A recommendation",
        "Pourahmadi 2021",
        "SMD -2.28<br>",  # no interval published
        "(28 trials)",
    ):
        assert text in table, text
    assert table.count("<tr") == 1 + 11 and table.count('class="highlight"') == 7  # the neck rows stand out when neck is chosen
    # labelled as context, not a comparison
    assert '<p class="context-note">For context only.' in page and "must not be read as a comparison" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2025-13-01"}, "Dates must be given as YYYY-MM-DD."),
        ({"start": "yesterday"}, "Dates must be given as YYYY-MM-DD."),
        ({"end": "31.03.2025"}, "Dates must be given as YYYY-MM-DD."),
        ({"start": "2025-03-01", "end": "2025-01-01"}, "The period must start before it ends and cover at most 20 years."),
        ({"start": "1990-01-01", "end": "2025-01-01"}, "The period must start before it ends and cover at most 20 years."),
        ({"practitioner": "999999"}, "Unknown practitioner."),
        ({"practitioner": "abc"}, "Unknown practitioner."),
        ({"practitioner": "-1"}, "Unknown practitioner."),
        ({"practitioner": "²"}, "Unknown practitioner."),  # str.isdigit() says yes, int() says no
        ({"practitioner": "9" * 30}, "Unknown practitioner."),  # beyond any integer column
        ({"end": "0001-01-01"}, "The period must start before it ends and cover at most 20 years."),  # no room for the default start
        ({"condition": "knee"}, "Unknown condition category."),
    ],
)
def test_bad_filters_are_refused_with_400_on_the_page_and_the_csv(client_for, practitioner, data, query, message):
    staff = client_for(practitioner)
    page = staff.get(reverse("analytics"), {**PERIOD, **query})
    assert page.status_code == 400
    assert f'data-testid="analytics-error">{message}</p>' in page.content.decode()
    assert 'data-testid="session-count"' not in page.content.decode() and 'data-testid="analytics-csv"' not in page.content.decode()
    exported = staff.get(reverse("analytics_csv"), {**PERIOD, **query})
    assert exported.status_code == 400 and exported.content.decode() == message
    assert exported["Content-Type"].startswith("text/plain")
    with pytest.raises(FilterError):
        parse_filters({**PERIOD, **query}, practitioner.clinic_id)


@pytest.mark.parametrize("persona", ["other_practitioner", "front_desk"])
def test_only_this_clinics_practitioners_can_be_chosen(client_for, practitioner, data, request, persona):
    """Another clinic's practitioner is unknown here; so is a colleague who is not a practitioner."""
    someone = request.getfixturevalue(persona)
    response = client_for(practitioner).get(reverse("analytics"), {**PERIOD, "practitioner": str(someone.pk)})
    assert response.status_code == 400 and "Unknown practitioner." in response.content.decode()
    assert client_for(practitioner).get(reverse("analytics_csv"), {**PERIOD, "practitioner": str(someone.pk)}).status_code == 400


def test_the_csv_export(client_for, practitioner, data):
    response = client_for(practitioner).get(reverse("analytics_csv"), PERIOD)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="needlechart-analytics-2025-01-01-2025-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["measure", "group", "count", "denominator", "value", "ci_low_95", "ci_high_95"]
    assert rows[1:7] == [
        ["sessions", "2025-01", "3", "", "", "", ""],
        ["patients", "2025-01", "2", "", "", "", ""],
        ["sessions", "2025-02", "4", "", "", "", ""],
        ["patients", "2025-02", "3", "", "", "", ""],
        ["sessions", "2025-03", "3", "", "", "", ""],
        ["patients", "2025-03", "3", "", "", "", ""],
    ]
    keyed = {(row[0], row[1]): row[2:] for row in rows[7:]}
    want = expected()

    def numbers(cells):
        return [float(c) for c in cells]

    for severity, (count, (p, low, high)) in want["adverse"].items():
        cells = keyed[("adverse_event_rate_per_session", severity)]
        assert cells[:2] == [str(count), "10"]
        assert numbers(cells[2:]) == pytest.approx([p, low, high], abs=5e-5)
    for condition, row in want["outcomes"].items():
        cells = keyed[("responder_rate_nprs", condition)]
        assert cells[:2] == [str(row["responders"]), str(row["with_follow_up"])]
        assert (cells[2:] == ["", "", ""]) if row["rate"] is None else (numbers(cells[2:]) == pytest.approx(list(row["rate"]), abs=5e-5))
        cells = keyed[("mean_nprs_improvement", condition)]
        assert cells[0] == str(row["with_follow_up"]) and cells[1] == ""
        if row["change"] is None:
            assert cells[2:] == ["", "", ""]
        else:
            mean, low, high = row["change"]
            assert float(cells[2]) == pytest.approx(mean, abs=5e-4)
            assert (cells[3:] == ["", ""]) if low is None else (numbers(cells[3:]) == pytest.approx([low, high], abs=5e-4))
    assert keyed[("responder_rate_nprs", "headache")] == ["0", "0", "", "", ""]
    assert keyed[("mean_nprs_improvement", "low_back")] == ["1", "", "1.0", "", ""]
    assert keyed[("sessions_to_response_median", "all")] == ["3", "", "2.0", "", ""]
    assert keyed[("sessions_to_response_q1", "all")] == ["3", "", "1.5", "", ""]
    assert keyed[("sessions_to_response_q3", "all")] == ["3", "", "3.0", "", ""]
    assert len(rows) == 1 + 6 + 3 + 2 * 5 + 3
    assert AuditEvent.objects.filter(object_type="analytics", action="export", actor_id=practitioner.pk, detail=PERIOD).exists()


def test_the_csv_follows_the_filters(client_for, practitioner, data):
    query = {**PERIOD, "condition": "neck", "practitioner": str(data.practitioners["A"].pk)}
    rows = list(csv.reader(io.StringIO(client_for(practitioner).get(reverse("analytics_csv"), query).content.decode())))
    keyed = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert keyed[("sessions", "2025-01")][0] == "2" and keyed[("sessions", "2025-02")][0] == "2" and ("sessions", "2025-03") not in keyed
    assert keyed[("responder_rate_nprs", "neck")][:2] == ["2", "2"] and ("responder_rate_nprs", "low_back") not in keyed


def test_the_dashboard_link_to_the_csv_keeps_the_filters(client_for, practitioner, data):
    query = {**PERIOD, "condition": "neck", "practitioner": str(data.practitioners["A"].pk)}
    page = client_for(practitioner).get(reverse("analytics"), query).content.decode()
    csv_link = (
        f"{reverse('analytics_csv')}?start=2025-01-01&amp;end=2025-03-31&amp;practitioner={data.practitioners['A'].pk}&amp;condition=neck"
    )
    assert csv_link in page


def test_viewing_the_dashboard_is_audited_with_its_filters(client_for, clinic_admin, data):
    client_for(clinic_admin).get(reverse("analytics"), {**PERIOD, "condition": "neck"})
    event = AuditEvent.objects.get(object_type="analytics", action="view")
    assert event.actor_id == clinic_admin.pk and event.detail == {**PERIOD, "condition": "neck"}
    client_for(clinic_admin).get(reverse("analytics"), {"start": "bad"})
    assert AuditEvent.objects.filter(object_type="analytics", detail={"error": "Dates must be given as YYYY-MM-DD."}).exists()


def test_the_dashboard_from_signed_sessions(client_for, practitioner, ready_session):
    """End to end: a signed session shows on the dashboard's default period without any hand-built rows."""
    sign(practitioner, ready_session)
    page = client_for(practitioner).get(reverse("analytics")).content.decode()
    assert 'data-testid="session-count">1<' in page and 'data-testid="patient-count">1<' in page
