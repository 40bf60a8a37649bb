"""The demo's synthetic incident stream: a BT-style outage among quiet UK services.

A deterministic generator of ``Observation``s in arrival order: user reports (structured), social
posts (free text for the real text pipeline, with ordinary chatter that is not a report), active
probe results and official status-page readings. Before the outage, every service sees its usual,
daily-seasonal trickle; from ``onset`` BT's login, billing, email and website problems rise over
minutes across UK cities for a few hours, while the official status page keeps saying "operational".
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from downwatch.catalog import Catalog
from downwatch.records import Kind, Observation

CITIES: tuple[tuple[str, float], ...] = (
    ("London", 0.30), ("Manchester", 0.10), ("Birmingham", 0.10), ("Leeds", 0.07), ("Glasgow", 0.07),
    ("Bristol", 0.06), ("Liverpool", 0.06), ("Edinburgh", 0.05), ("Cardiff", 0.05), ("Belfast", 0.04),
    ("Newcastle", 0.04), ("Sheffield", 0.03), ("Nottingham", 0.03),
)

QUIET_SERVICES: dict[str, float] = {
    "ee": 0.8, "sky": 0.9, "virgin-media": 1.2, "talktalk": 0.5, "plusnet": 0.3, "vodafone": 0.6,
    "o2": 0.7, "three": 0.5, "barclays": 0.6, "lloyds": 0.5, "natwest": 0.5, "hsbc": 0.5, "monzo": 0.4,
    "santander": 0.3, "gmail": 0.6, "outlook": 0.5, "whatsapp": 0.9, "netflix": 0.7, "youtube": 0.8,
    "paypal": 0.4, "royal-mail": 0.3, "hmrc": 0.2, "bbc-iplayer": 0.4, "spotify": 0.5,
}

REPORT_TEXTS: dict[str, tuple[str, ...]] = {
    "login": (
        "Can't log in to my {name} account, keeps saying something went wrong",
        "{name} login is broken for me, password reset email never comes either",
        "Is {name} down? Can't sign in to My {name} at all",
        "@{handle} your sign in page just loops back to the login screen, anyone else?",
        "locked out of {name} account all morning, 2FA code not accepted #{tag}down",
    ),
    "billing": (
        "Trying to pay my {name} bill and the billing page won't load",
        "{name} account page showing an error when I check my bill, is it down?",
        "can't see my {name} bill or account balance, site just errors",
    ),
    "email": (
        "{name} email not working, webmail won't load and nothing arriving",
        "BT Mail down? can't get into my btinternet email",
        "{name} webmail is down for me, haven't received an email since 8am",
    ),
    "website": (
        "{name} website down? Getting 503 errors on every page",
        "{domain} not loading at all, just a blank page",
        "{name} site is down for everyone I know, error 500",
    ),
    "connection": (
        "{name} broadband dropped out, no internet here",
        "no signal on {name} this morning, calls failing",
    ),
    "streaming": ("{name} keeps buffering, nothing will play",),
    "messaging": ("{name} messages not sending, stuck on one tick",),
    "app": ("the {name} app keeps crashing when I open it",),
    "payments": ("{name} card payment declined at checkout, transfers failing too",),
}

CHATTER: tuple[str, ...] = (
    "Just switched my broadband to {name}, fingers crossed",
    "{name} price rise again this April, not happy",
    "Watching the football, {name} coverage is great today",
    "{name} was down last week but it's been fine since",
    "Anyone know if {name} do student discounts?",
    "the sky looks amazing this evening",
    "we're down 2-0 at half time, shocking",
    "{name} customer service kept me on hold for an hour about my contract",
    "{name} is back up now, all working again",
)

PROBLEM_MIX_OUTAGE: tuple[tuple[str, float], ...] = (
    ("login", 0.38), ("billing", 0.22), ("email", 0.2), ("website", 0.2),
)
PROBLEM_MIX_NORMAL: tuple[tuple[str, float], ...] = (
    ("connection", 0.35), ("login", 0.15), ("app", 0.1), ("website", 0.1), ("streaming", 0.1),
    ("messaging", 0.08), ("payments", 0.06), ("billing", 0.06),
)

SERVICE_NAMES: dict[str, tuple[str, str, str, str]] = {
    # slug: (display name, handle, hashtag stem, domain)
    "bt": ("BT", "BTCare", "BT", "bt.com"),
}


@dataclass(frozen=True, slots=True)
class Outage:
    service: str
    onset: datetime
    ramp_minutes: float
    duration_minutes: float
    peak_multiplier: float
    problems: tuple[tuple[str, float], ...] = PROBLEM_MIX_OUTAGE


@dataclass(slots=True)
class Scenario:
    """Rates per minute for each service, the outage, and a seeded random source."""

    start: datetime
    outage: Outage
    base_rates: dict[str, float]
    names: dict[str, tuple[str, str, str, str]]
    seed: int = 7
    post_share: float = 0.35
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def daily_shape(self, at: datetime) -> float:
        """Relative activity over a UK day: quiet at night, busiest mid-morning and evening."""
        hour = at.hour + at.minute / 60
        morning = math.exp(-((hour - 10.0) ** 2) / 8.0)
        evening = math.exp(-((hour - 20.0) ** 2) / 6.0)
        weekend = 0.85 if at.weekday() >= 5 else 1.0
        return weekend * (0.15 + 0.9 * morning + 0.8 * evening)

    def outage_multiplier(self, service: str, at: datetime) -> float:
        o = self.outage
        if service != o.service or at < o.onset:
            return 1.0
        minutes = (at - o.onset).total_seconds() / 60
        if minutes > o.duration_minutes + 30:
            return 1.0
        rise = min(1.0, minutes / o.ramp_minutes)
        fall = 1.0 if minutes <= o.duration_minutes else max(0.0, 1 - (minutes - o.duration_minutes) / 30)
        return 1.0 + (o.peak_multiplier - 1.0) * rise * fall

    def minute(self, at: datetime) -> list[Observation]:
        """Every observation that arrives in the minute starting at ``at``, in arrival order."""
        out: list[Observation] = []
        for service, rate in self.base_rates.items():
            multiplier = self.outage_multiplier(service, at)
            expected = rate * self.daily_shape(at) * multiplier
            for _ in range(self._poisson(expected)):
                out.append(self._observation(service, at, multiplier > 1.5))
            if self._rng.random() < 0.02 * rate:
                out.append(self._chatter(service, at))
        out.extend(self._probes_and_status(at))
        out.sort(key=lambda o: o.observed_at)
        return out

    def observations(self, start: datetime, end: datetime) -> Iterator[list[Observation]]:
        at = start
        while at < end:
            yield self.minute(at)
            at += timedelta(minutes=1)

    def _poisson(self, lam: float) -> int:
        if lam > 30:
            return max(0, round(self._rng.gauss(lam, math.sqrt(lam))))
        threshold, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self._rng.random()
            if p <= threshold:
                return k
            k += 1

    def _choose(self, mix: tuple[tuple[str, float], ...]) -> str:
        return self._rng.choices([m[0] for m in mix], weights=[m[1] for m in mix])[0]

    def _observation(self, service: str, minute: datetime, in_outage: bool) -> Observation:
        at = minute + timedelta(seconds=self._rng.uniform(0, 59.999))
        problem = self._choose(self.outage.problems if in_outage else PROBLEM_MIX_NORMAL)
        city = self._choose(tuple(CITIES))
        ident = f"{self.seed}-{service}-{int(at.timestamp() * 1000)}-{self._rng.getrandbits(32):08x}"
        author = f"user{self._rng.getrandbits(40):x}"
        if self._rng.random() >= self.post_share:
            return Observation(source="downwatch-api", external_id=f"demo-r-{ident}", observed_at=at,
                               author=author, location=city, service=service, problem=problem,
                               kind=Kind.REPORT)
        name, handle, tag, domain = self.names.get(service, (service, service, service, f"{service}.com"))
        template = self._rng.choice(REPORT_TEXTS.get(problem, REPORT_TEXTS["website"]))
        text = template.format(name=name, handle=handle, tag=tag, domain=domain)
        if self._rng.random() < 0.4:
            text += f" ({city})"
        return Observation(source="demo-social", external_id=f"demo-p-{ident}", observed_at=at, text=text,
                           author=author, url=f"https://social.example/@{author}/{ident}", kind=Kind.POST)

    def _chatter(self, service: str, minute: datetime) -> Observation:
        name = self.names.get(service, (service,))[0]
        at = minute + timedelta(seconds=self._rng.uniform(0, 59.999))
        ident = f"{self.seed}-{service}-{int(at.timestamp() * 1000)}-{self._rng.getrandbits(32):08x}"
        return Observation(source="demo-social", external_id=f"demo-c-{ident}", observed_at=at,
                           text=self._rng.choice(CHATTER).format(name=name),
                           author=f"user{self._rng.getrandbits(40):x}", kind=Kind.POST)

    def _probes_and_status(self, minute: datetime) -> list[Observation]:
        o = self.outage
        out = []
        failing = o.onset + timedelta(minutes=o.ramp_minutes / 2) <= minute < o.onset + timedelta(
            minutes=o.duration_minutes)
        for page, problem in (("www", "website"), ("login", "login")):
            out.append(Observation(
                source="demo-probe", external_id=f"probe-{o.service}-{page}-{int(minute.timestamp())}",
                observed_at=minute + timedelta(seconds=5), service=o.service, problem=problem,
                kind=Kind.PROBE, fields={"failing": failing, "status": 503 if failing else 200,
                                         "page": page}))
        if minute.minute % 5 == 0:
            out.append(Observation(
                source="demo-status", external_id=f"status-{o.service}-{int(minute.timestamp())}",
                observed_at=minute + timedelta(seconds=1), service=o.service, problem="other",
                kind=Kind.STATUS, fields={"indicator": "none", "impact": "none", "failing": False,
                                          "description": "All Systems Operational"}))
        return out


def scenario_names(catalog: Catalog, scenario: Scenario) -> None:
    """Give the scenario each service's display name, handle, hashtag stem and domain from the catalog."""
    for slug in scenario.base_rates:
        service = catalog.get(slug)
        if service is None:
            continue
        handle = service.handles[0] if service.handles else service.name.replace(" ", "")
        domain = service.domains[0] if service.domains else f"{slug}.com"
        scenario.names.setdefault(slug, (service.name, handle, service.name.replace(" ", ""), domain))


def bt_outage(start: datetime | None = None, *, history_days: int = 7, seed: int = 7) -> Scenario:
    """A BT-style outage on a Tuesday morning, ``history_days`` after ``start``."""
    onset = datetime(2025, 2, 4, 8, 5, tzinfo=UTC)
    begin = start or (onset - timedelta(days=history_days)).replace(hour=0, minute=0)
    rates = {"bt": 1.1, **QUIET_SERVICES}
    names = dict(SERVICE_NAMES)
    return Scenario(start=begin, outage=Outage("bt", onset, ramp_minutes=14, duration_minutes=200,
                                               peak_multiplier=45.0), base_rates=rates, names=names,
                    seed=seed)
