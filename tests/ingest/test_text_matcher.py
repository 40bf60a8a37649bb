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


@pytest.mark.parametrize("text", [
    "[Joke](http://en.wikipedia.org/wiki/Joke)",
    "http://www.youtube.com/watch?v=vY_Ry8J_jdw",
    "www.youtube.com/watch?v=ISBeBuVKXL0 relevant",
    "https://youtu.be/BVGi7h2NTOg?t=1m19s",
    "this is wild https://t.co/Ab12Cd34",
    "https://i.redd.it/a7xmc3frn52x.gif",
    "It's actually [open-source](https://github.com/reddit) :)",
    "read this https://www.bbc.co.uk/news/technology-12345678",
    "check out my music on open.spotify.com/track/123",
])
def test_links_to_content_and_shortlinks_name_no_service(matcher: ServiceMatcher, text: str) -> None:
    assert matcher.find(text) == []


@pytest.mark.parametrize(("text", "slug"), [
    ("is reddit.com down for anyone?", "reddit"),
    ("www.reddit.com is down", "reddit"),
    ("https://www.paypal.com/ gives me a 503", "paypal"),
    ("https://www.bt.com/login just spins", "bt"),
    ("youtube down?? https://www.youtube.com/watch?v=x won't play", "youtube"),
])
def test_a_domain_as_the_front_door_is_a_mention(matcher: ServiceMatcher, text: str, slug: str) -> None:
    assert matcher.match(text) == slug


@pytest.mark.parametrize(("text", "slug"), [
    ("the gram is down again??", "instagram"),
    ("D+ keeps crashing on the tv", "disney-plus"),
    ("ps store won't load", "playstation-network"),
    ("bought robux and never got them", "roblox"),
    ("us-east-1 is on fire again", "aws"),
    ("S3 returning 503s for everyone", "aws"),
    ("snap keeps crashing when I open the camera", "snapchat"),
])
def test_short_forms_people_use(matcher: ServiceMatcher, text: str, slug: str) -> None:
    assert matcher.match(text) == slug


@pytest.mark.parametrize("text", [
    "oh snap, that was close",
    "a cold snap is coming this weekend",
    "got a D+ on my essay, gutted",
    "three of us went for a walk",
])
def test_everyday_short_forms_need_context(matcher: ServiceMatcher, text: str) -> None:
    assert matcher.match(text) is None
