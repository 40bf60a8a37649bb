"""Service matching: names, aliases, handles, hashtags, domains, everyday words, two services."""

from __future__ import annotations

import pytest

from downwatch.catalog import load_catalog
from ingest.text.matcher import ServiceMatcher


@pytest.fixture(scope="module")
def matcher() -> ServiceMatcher:
    return ServiceMatcher(load_catalog())


@pytest.mark.parametrize(("text", "slug"), [
    ("Is BT down?", "bt"),
    ("virgin media broadband down again", "virgin-media"),
    ("@BTCare my internet has been off since 8", "bt"),
    ("@NetflixUK nothing plays", "netflix"),
    ("#BTdown again", "bt"),
    ("#bt_down no internet", "bt"),
    ("#VirginMediaDown third time this week", "virgin-media"),
    ("#SkyDown no tv", "sky"),
    ("https://www.bt.com/broadband shows a 503", "bt"),
    ("paypal.com checkout broken", "paypal"),
    ("Disney+ keeps crashing", "disney-plus"),
    ("AT&T no signal in Dallas", "at-t"),
    ("Microsoft Teams won't load", "microsoft-teams"),
])
def test_names_aliases_handles_hashtags_domains(matcher: ServiceMatcher, text: str, slug: str) -> None:
    assert matcher.match(text) == slug


@pytest.mark.parametrize(("text", "slug"), [
    ("Sky broadband down in Leeds", "sky"),
    ("sky down again ffs", "sky"),
    ("Three network down? phone says SOS only", "three"),
    ("Steam servers are down", "steam"),
    ("Signal app not sending messages", "signal"),
    ("Amazon checkout keeps failing", "amazon"),
    ("Halifax app won't let me log in", "halifax"),
    ("Outlook not syncing emails", "outlook"),
    ("Zoom call keeps dropping", "zoom"),
    ("Teams is down at work, no meetings", "microsoft-teams"),
    ("EE no signal in Bristol", "ee"),
])
def test_everyday_words_count_with_context(matcher: ServiceMatcher, text: str, slug: str) -> None:
    assert matcher.match(text) == slug


@pytest.mark.parametrize("text", [
    "the sky is so blue today",
    "Sky looks beautiful tonight",
    "three of us can't make it tonight",
    "waited three hours for the bus",
    "running out of steam at the end of the week",
    "the amazon rainforest is shrinking",
    "the outlook for tomorrow is grim",
    "zoom in on the photo",
    "both teams are down to ten men",
    "driving through halifax, gorgeous",
    "ee by gum it's cold",
    "down 2-0 at half time",
    "our office wifi is down again",
])
def test_everyday_words_without_context_name_no_service(matcher: ServiceMatcher, text: str) -> None:
    assert matcher.match(text) is None


@pytest.mark.parametrize(("text", "slug"), [
    ("Netflix works fine but Sky Go won't load", "sky"),
    ("spotify is fine, youtube music won't play anything", "youtube-music"),
    ("switched to netflix because disney+ keeps crashing", "disney-plus"),
    ("whatsapp isn't working but telegram is fine", "whatsapp"),
    ("gmail works, outlook is dead", "outlook"),
])
def test_two_services_pick_the_failing_one(matcher: ServiceMatcher, text: str, slug: str) -> None:
    assert matcher.match(text) == slug


def test_find_reports_where_and_how(matcher: ServiceMatcher) -> None:
    mentions = matcher.find("@BTCare #SkyDown see bt.com")
    assert [(m.slug, m.via) for m in mentions] == [("bt", "handle"), ("sky", "hashtag"), ("bt", "domain")]
    assert "@BTCare #SkyDown see bt.com"[mentions[2].start:mentions[2].end] == "bt.com"
