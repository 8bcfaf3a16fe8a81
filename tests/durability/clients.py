"""The durability check's clients: practitioners signing notes and patients answering follow-ups,
each through the pages and forms a browser uses, recording every write the server acknowledged.

A practitioner books a visit on an episode (the booking form), signs a note on it (the visit
page's note form, with ``sign``), then creates the follow-up link for the patient, who has no
e-mail address, so the page shows the link once. A patient takes a link (one made before the run
or one a practitioner just made), opens it and sends the answers. Each step's answer is checked:
a redirect to the visit, the link shown, the thank-you page. Only those count as acknowledged;
a request that got no answer (the server was killed under it, or was down) ends that visit or
link, and nothing is sent again.
"""

from __future__ import annotations

import html
import queue
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from browse import Answer, Browser, InFlight, Unanswered, form_on

VISIT_PATH = re.compile(r"/encounters/([0-9a-f-]{36})/")
LINK_SHOWN = re.compile(r'data-testid="follow-up-url">([^<]+)<')
LINK_PATH = re.compile(r"/follow-up/([0-9a-f-]{36})/[^/]+/")
THANKS = 'data-testid="public-message"'


class WrongAnswer(Exception):
    """The server answered, but not as a successful write answers."""


@dataclass
class Write:
    kind: str  # visit, note, link, answer
    id: str  # the encounter (visit, note) or the follow-up link (link, answer)
    status: int  # the server's answer: 302 to the visit, or 200 with the link or the thanks
    at: float  # seconds into the run
    by: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    port: int
    seconds: float
    started: float = 0.0
    in_flight: InFlight = field(default_factory=InFlight)
    writes: list[Write] = field(default_factory=list)
    unanswered: list[tuple[float, str]] = field(default_factory=list)
    wrong: list[tuple[float, str]] = field(default_factory=list)
    links: queue.SimpleQueue[str] = field(default_factory=queue.SimpleQueue)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clock(self) -> float:
        return time.monotonic() - self.started

    def going(self) -> bool:
        return self.clock() < self.seconds

    def acknowledged(self, kind: str, id_: str, answer: Answer, by: str, **detail: Any) -> None:
        with self._lock:
            self.writes.append(Write(kind, id_, answer.status, round(self.clock(), 3), by, detail))

    def failed(self, error: Exception) -> None:
        with self._lock:
            (self.unanswered if isinstance(error, Unanswered) else self.wrong).append((round(self.clock(), 3), str(error)))

    def acknowledged_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(w) for w in self.writes]


def expect(answer: Answer, status: int, marker: str = "") -> Answer:
    if answer.status != status or marker not in answer.body:
        problem = f"HTTP {answer.status}" + (f" (to {answer.location})" if answer.location else "")
        raise WrongAnswer(f"{answer.path}: {problem}, expected {status}" + (f" with {marker}" if marker else ""))
    return answer


def practitioner(run: Run, browser: Browser, name: str, username: str, episodes: list[str], rng: random.Random) -> None:
    """Visits, signed notes and follow-up links, one after another until the run ends."""
    number = 0
    while run.going():
        number += 1
        try:
            _visit(run, browser, name, username, rng.choice(episodes), number)
        except (Unanswered, WrongAnswer, LookupError) as error:
            run.failed(error)
            time.sleep(0.05)  # the server may be down: do not spin


def _visit(run: Run, browser: Browser, name: str, username: str, episode: str, number: int) -> None:
    booking = f"/episodes/{episode}/encounters/new/"
    reason = f"Durability check {name}-{number}"
    form = form_on(expect(browser.get(booking), 200), booking)
    booked = expect(browser.post(booking, form.with_values({"reason": reason})), 302)
    visit = VISIT_PATH.fullmatch(booked.location)
    if visit is None:
        raise WrongAnswer(f"{booking}: redirected to {booked.location}, not to a visit")
    encounter = visit[1]
    run.acknowledged("visit", encounter, booked, name, reason=reason, practitioner=username)

    note_path = f"/encounters/{encounter}/note/"
    text = f"Durability check {name}-{number}: seen, treated, signed."
    form = form_on(expect(browser.get(booked.location), 200), note_path)
    signed = expect(browser.post(note_path, form.with_values({"subjective": text, "sign": "1"})), 302)
    if signed.location != booked.location:
        raise WrongAnswer(f"{note_path}: redirected to {signed.location}, not to the visit")
    run.acknowledged("note", encounter, signed, name, subjective=text, practitioner=username)

    follow_up = f"/encounters/{encounter}/follow-up/"
    form = form_on(expect(browser.get(signed.location), 200), follow_up)  # offered once the note is signed
    created = expect(browser.post(follow_up, form.fields), 200)
    shown = LINK_SHOWN.search(created.body)
    link = LINK_PATH.search(html.unescape(shown[1])) if shown else None
    if link is None:
        raise WrongAnswer(f"{follow_up}: no follow-up link on the page")
    run.acknowledged("link", link[1], created, name, encounter=encounter)
    run.links.put(link[0])


def patient(run: Run, name: str, rng: random.Random) -> None:
    """Follow-up answers, each from a new browser (a new patient), until the run ends."""
    number = 0
    while run.going():
        try:
            path = run.links.get(timeout=0.2)
        except queue.Empty:
            continue
        number += 1
        try:
            _answer(run, Browser(run.port, run.in_flight), name, path, number, rng)
        except (Unanswered, WrongAnswer, LookupError) as error:
            run.failed(error)
            time.sleep(0.05)


def _answer(run: Run, browser: Browser, name: str, path: str, number: int, rng: random.Random) -> None:
    form = form_on(expect(browser.get(path), 200), path)
    values = {
        group: rng.choice(options) for group, options in form.choices.items() if group != "effects" and not group.startswith("impact_")
    }
    values |= {number_field: str(rng.randint(int(low or 0), int(high or 10))) for number_field, (low, high) in form.numbers.items()}
    values["comment"] = f"Durability check {name}-{number}"
    thanked = expect(browser.post(path, form.with_values(values)), 200, THANKS)
    link = LINK_PATH.fullmatch(path)
    assert link is not None
    run.acknowledged("answer", link[1], thanked, name, comment=values["comment"], soreness=values["soreness"])
