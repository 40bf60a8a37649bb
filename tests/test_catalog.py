"""The service catalog: the bundled file's content, the loader's validation, and user overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from downwatch.catalog import CATEGORIES, Catalog, load_catalog, parse_services
from downwatch.errors import ConfigError, InputError, NotFound
from downwatch.records import Service

VALID_ENTRY = """
[[service]]
slug = "acme-fibre"
name = "Acme Fibre"
aliases = ["Acme Broadband"]
domains = ["acmefibre.example"]
handles = ["AcmeFibreHelp"]
status_page = "https://status.acmefibre.example"
country = "GB"
category = "broadband"
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_catalog_is_immutable_sorted_and_answers_lookups(catalog: Catalog) -> None:
    slugs = [service.slug for service in catalog]
    assert slugs == sorted(slugs) == list(catalog.slugs)
    assert len(catalog) == len(slugs)
    assert "github" in catalog and "no-such-service" not in catalog
    github = catalog.require("github")
    assert isinstance(github, Service)
    assert github.status_page == "https://www.githubstatus.com"
    assert catalog.get("no-such-service") is None
    with pytest.raises(AttributeError):
        catalog._by_slug = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        catalog._by_slug["x"] = github  # type: ignore[index]


def test_require_names_the_closest_slugs(catalog: Catalog) -> None:
    with pytest.raises(NotFound) as caught:
        catalog.require("githib")
    assert caught.value.status == 404
    assert caught.value.extra["closest"][0] == "github"
    assert "github" in caught.value.detail


def test_by_category_filters_and_rejects_unknown_categories(catalog: Catalog) -> None:
    developer = catalog.by_category("developer")
    assert developer and all(service.category == "developer" for service in developer)
    assert "github" in {service.slug for service in developer}
    with pytest.raises(InputError, match="unknown category 'rockets'"):
        catalog.by_category("rockets")


def test_override_adds_replaces_field_by_field_and_removes(tmp_path: Path, catalog: Catalog) -> None:
    override = write(tmp_path, VALID_ENTRY + """
[[service]]
slug = "github"
name = "GitHub Enterprise"
aliases = ["GHE"]

[[service]]
slug = "bt"
remove = true
""")
    merged = load_catalog(override)
    assert len(merged) == len(catalog)  # one added, one removed
    added = merged.require("acme-fibre")
    assert added == Service(slug="acme-fibre", name="Acme Fibre", country="GB", category="broadband",
                            aliases=("Acme Broadband",), domains=("acmefibre.example",),
                            handles=("AcmeFibreHelp",), status_page="https://status.acmefibre.example")
    github = merged.require("github")
    bundled = catalog.require("github")
    assert github.name == "GitHub Enterprise"
    assert github.aliases == ("GHE",)  # a given list replaces the bundled list
    assert github.domains == bundled.domains and github.status_page == bundled.status_page
    assert "bt" not in merged and "bt" in catalog
    assert [service.slug for service in merged] == sorted(service.slug for service in merged)


def test_empty_override_file_changes_nothing(tmp_path: Path, catalog: Catalog) -> None:
    assert load_catalog(write(tmp_path, "# nothing yet\n")) == catalog


BROKEN_FILES = [
    pytest.param("[[service]\nslug = 'x'", r"is not valid TOML .*; fix the syntax", id="invalid-toml"),
    pytest.param("[service]\nslug = 'x'", r"'service' must be a list of \[\[service\]\] tables",
                 id="single-table"),
    pytest.param("title = 'mine'\n", r"unknown top-level key 'title'", id="unknown-top-level-key"),
    pytest.param("[[service]]\nname = 'Acme'\ncountry = 'GB'\ncategory = 'bank'\n",
                 r"service #1: missing required key 'slug'", id="missing-slug"),
    pytest.param("[[service]]\nslug = 'acme'\ncountry = 'GB'\ncategory = 'bank'\n",
                 r"service #1 \(acme\): missing required key 'name'", id="missing-name"),
    pytest.param("[[service]]\nslug = 'acme'\nname = 'Acme'\ncategory = 'bank'\n",
                 r"service #1 \(acme\): missing required key 'country'", id="missing-country"),
    pytest.param("[[service]]\nslug = 'acme'\nname = 'Acme'\ncountry = 'GB'\n",
                 r"service #1 \(acme\): missing required key 'category'", id="missing-category"),
    pytest.param(VALID_ENTRY.replace('"acme-fibre"', '"Acme Fibre"'),
                 r"slug = 'Acme Fibre' is not a valid slug; use lower-case letters", id="bad-slug"),
    pytest.param(VALID_ENTRY.replace('"acme-fibre"', '"acme--fibre"'), r"is not a valid slug",
                 id="double-hyphen-slug"),
    pytest.param(VALID_ENTRY.replace('aliases = ["Acme Broadband"]', 'aliases = "Acme Broadband"'),
                 r"\(acme-fibre\): aliases = 'Acme Broadband' must be a list of non-empty strings",
                 id="aliases-not-a-list"),
    pytest.param(VALID_ENTRY.replace('aliases = ["Acme Broadband"]', 'aliases = ["Acme", 7]'),
                 r"aliases = \['Acme', 7\] must be a list of non-empty strings", id="alias-not-a-string"),
    pytest.param(VALID_ENTRY.replace('name = "Acme Fibre"', "name = 3"),
                 r"\(acme-fibre\): name = 3 must be a string", id="name-not-a-string"),
    pytest.param(VALID_ENTRY + "colour = 'red'\n",
                 r"\(acme-fibre\): unknown key 'colour'; allowed keys are slug, name", id="unknown-key"),
    pytest.param(VALID_ENTRY + VALID_ENTRY.replace("Acme", "Acne"),
                 r"service #2 \(acme-fibre\): duplicate slug", id="duplicate-slug"),
    pytest.param(VALID_ENTRY.replace('"broadband"', '"rockets"'),
                 r"category = 'rockets' is not a known category; use one of broadband, mobile",
                 id="unknown-category"),
    pytest.param(VALID_ENTRY.replace('"https://status.acmefibre.example"', '"status.acmefibre.example"'),
                 r"status_page = 'status.acmefibre.example' is not an http\(s\) URL", id="status-not-url"),
    pytest.param(VALID_ENTRY.replace('"https://status.acmefibre.example"', '"ftp://acmefibre.example"'),
                 r"is not an http\(s\) URL", id="status-ftp"),
    pytest.param(VALID_ENTRY.replace('"GB"', '"UK1"'), r"country = 'UK1' is not a country; use an ISO",
                 id="bad-country"),
    pytest.param(VALID_ENTRY.replace('"acmefibre.example"]', '"https://acmefibre.example/"]'),
                 r"domains = .* is not a lower-case domain", id="domain-with-scheme"),
    pytest.param(VALID_ENTRY.replace('"AcmeFibreHelp"', '"@AcmeFibreHelp"'),
                 r"handles = .* write it without @", id="handle-with-at"),
    pytest.param("[[service]]\nslug = 'no-such-thing'\nremove = true\n",
                 r"\(no-such-thing\): cannot remove it: no such service", id="remove-unknown"),
    pytest.param("[[service]]\nslug = 'github'\nremove = false\n",
                 r"\(github\): remove = False is not valid; write remove = true", id="remove-false"),
    pytest.param("[[service]]\nslug = 'github'\nremove = true\nname = 'Hub'\n",
                 r"\(github\): remove = true takes only a slug", id="remove-with-fields"),
    pytest.param(VALID_ENTRY.replace('["Acme Broadband"]', '["acme broadband", "GitHub"]'),
                 r"name or alias 'github' belongs to both acme-fibre and github",
                 id="alias-clashes-with-bundled-name"),
    pytest.param(VALID_ENTRY + 'parent = "acme"\n', r"acme-fibre: parent 'acme' is not in the catalog",
                 id="parent-unknown"),
    pytest.param(VALID_ENTRY + 'parent = "acme-fibre"\n', r"acme-fibre: parent is the service itself",
                 id="parent-self"),
    pytest.param(VALID_ENTRY + 'parent = "google-pay"\n',
                 r"acme-fibre: parent google-pay has a parent itself \(google\); name google",
                 id="parent-two-levels"),
    pytest.param(VALID_ENTRY + 'parent = "Not A Slug"\n', r"parent = 'Not A Slug' is not a slug",
                 id="parent-not-a-slug"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN_FILES)
def test_broken_override_file_gives_one_line_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_catalog(path)
    detail = caught.value.detail
    assert "\n" not in detail
    assert str(path) in detail
    assert re.search(message, detail), detail


def test_missing_override_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"catalog file .*nope\.toml not found"):
        load_catalog(tmp_path / "nope.toml")


def test_parse_services_rejects_remove_outside_override_files() -> None:
    with pytest.raises(ConfigError, match=r"'remove' is only allowed in an override file"):
        parse_services("[[service]]\nslug = 'github'\nremove = true\n", "test file")


def test_categories_are_a_documented_tuple() -> None:
    assert isinstance(CATEGORIES, tuple) and len(set(CATEGORIES)) == len(CATEGORIES)
    for required in ("broadband", "mobile", "bank", "payments", "government", "social", "messaging",
                     "email", "productivity", "cloud", "developer", "streaming", "gaming", "shopping",
                     "transport", "delivery", "ai", "search", "news", "energy", "travel"):
        assert required in CATEGORIES


REQUIRED_SLUGS: tuple[str, ...] = (
    "bt", "ee", "virgin-media", "sky", "talktalk", "plusnet", "vodafone", "o2", "three", "barclays",
    "lloyds", "natwest", "hsbc", "santander", "monzo", "starling", "revolut", "nationwide", "halifax",
    "paypal", "hmrc", "gov-uk", "dvla", "nhs-app", "google", "gmail", "youtube", "facebook", "instagram",
    "whatsapp", "x", "reddit", "tiktok", "snapchat", "linkedin", "discord", "telegram", "outlook",
    "microsoft-teams", "zoom", "slack", "github", "aws", "azure", "cloudflare", "icloud", "spotify",
    "netflix", "disney-plus", "amazon", "prime-video", "ebay", "chatgpt", "twitch", "steam",
    "playstation-network", "xbox-live", "fortnite", "roblox", "bbc-iplayer", "uber", "deliveroo",
    "royal-mail", "trainline", "signal", "bluesky", "mastodon-social", "threads", "pinterest", "tumblr",
    "yahoo-mail", "proton-mail", "dropbox", "google-drive", "onedrive", "office-365", "gitlab", "bitbucket",
    "heroku", "vercel", "netlify", "digitalocean", "fastly", "akamai", "stripe", "shopify", "square",
    "wise", "klarna", "visa", "mastercard", "american-express", "tsb", "metro-bank", "first-direct",
    "co-operative-bank", "bank-of-scotland", "rbs", "virgin-money", "chase-uk", "kindle", "audible",
    "apple-music", "apple-tv", "itv-x", "channel-4", "now-tv", "paramount-plus", "dazn", "crunchyroll",
    "hulu", "max", "peacock", "youtube-tv", "nintendo-switch-online", "epic-games", "ea", "battle-net",
    "valorant", "league-of-legends", "call-of-duty", "minecraft", "apex-legends", "gta-online", "uber-eats",
    "just-eat", "tesco", "sainsburys", "asda", "argos", "john-lewis", "asos", "etsy", "vinted", "depop",
    "national-rail", "tfl", "ryanair", "easyjet", "british-airways", "airbnb", "booking-com", "evri", "dpd",
    "dhl", "ups", "fedex", "parcelforce", "octopus-energy", "british-gas", "edf", "ovo", "e-on",
    "universal-credit", "companies-house", "passport-office", "nhs-111", "ucas", "duolingo", "canva",
    "notion", "trello", "jira", "confluence", "asana", "figma", "salesforce", "zendesk", "twilio",
    "sendgrid", "mailchimp", "openai-api", "claude", "gemini", "copilot", "perplexity", "midjourney",
    "bing", "duckduckgo", "wikipedia", "bbc-news", "the-guardian", "tiktok-shop", "hinge", "tinder",
    "bumble", "giffgaff", "id-mobile", "tesco-mobile", "lebara", "lyca-mobile", "smarty",
    "vodafone-broadband", "hyperoptic", "community-fibre", "zen-internet", "starlink", "verizon", "at-t",
    "t-mobile", "comcast-xfinity", "spectrum",
)


def test_bundled_catalog_has_the_required_services(catalog: Catalog) -> None:
    missing = sorted(set(REQUIRED_SLUGS) - set(catalog.slugs))
    assert missing == []
    assert len(catalog) >= 180
    assert {service.country for service in catalog} >= {"GB", "US", "global"}
    assert sum(service.country == "GB" for service in catalog) >= 80  # UK-heavy
    assert {service.category for service in catalog} == set(CATEGORIES)  # every category is used


def test_every_bundled_entry_is_well_formed(catalog: Catalog) -> None:
    for service in catalog:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", service.slug), service.slug
        assert service.name.strip() == service.name and service.name, service.slug
        assert service.category in CATEGORIES, service.slug
        assert service.country == "global" or re.fullmatch(r"[A-Z]{2}", service.country), service.slug
        assert service.status_page is None or service.status_page.startswith("https://"), service.slug
        for handle in service.handles:
            assert not handle.startswith("@"), (service.slug, handle)
        for domain in service.domains:
            assert domain == domain.lower() and "/" not in domain, (service.slug, domain)
        for alias in service.aliases:
            assert alias == alias.strip() and alias, (service.slug, alias)
        assert len({alias.casefold() for alias in service.aliases}) == len(service.aliases), service.slug


def test_names_and_aliases_point_at_one_service_each(catalog: Catalog) -> None:
    owners: dict[str, set[str]] = {}
    for service in catalog:
        for term in (service.name, *service.aliases):
            owners.setdefault(term.casefold(), set()).add(service.slug)
    shared = {term: slugs for term, slugs in owners.items() if len(slugs) > 1}
    assert shared == {}


def test_domains_and_handles_point_at_one_service_each(catalog: Catalog) -> None:
    for attribute in ("domains", "handles"):
        owners: dict[str, set[str]] = {}
        for service in catalog:
            for value in getattr(service, attribute):
                owners.setdefault(value.casefold(), set()).add(service.slug)
        assert {value: slugs for value, slugs in owners.items() if len(slugs) > 1} == {}, attribute


def test_common_spellings_are_aliases_of_the_right_service(catalog: Catalog) -> None:
    alias_owner = {alias.casefold(): service.slug for service in catalog for alias in service.aliases}
    expected = {
        "virgin": "virgin-media", "virginmedia": "virgin-media", "lloyds": "lloyds",
        "psn": "playstation-network",
        "xbox live": "xbox-live", "ms teams": "microsoft-teams", "teams": "microsoft-teams",
        "iplayer": "bbc-iplayer", "amazon prime": "prime-video", "twitter": "x", "insta": "instagram",
        "ig": "instagram", "fb": "facebook", "yt": "youtube", "gpt": "chatgpt", "hmrc online": "hmrc",
        "disney plus": "disney-plus", "hotmail": "outlook", "british telecom": "bt",
    }
    assert {alias: alias_owner.get(alias) for alias in expected} == expected
    name_owner = {service.name.casefold(): service.slug for service in catalog}
    assert name_owner["gov.uk"] == "gov-uk" and name_owner["royal mail"] == "royal-mail"
    assert name_owner["disney+"] == "disney-plus"


@pytest.mark.parametrize(("typo", "slug"), [
    ("virginmedia", "virgin-media"), ("netflx", "netflix"), ("Virgin Media", "virgin-media"),
    ("playstation", "playstation-network"), ("githb", "github"), ("santandr", "santander"),
    ("Twitter", "x"), ("disney+", "disney-plus"),
])
def test_closest_finds_the_intended_service(catalog: Catalog, typo: str, slug: str) -> None:
    closest = catalog.closest(typo)
    assert closest[0] == slug, closest
    assert len(closest) <= 3 and len(set(closest)) == len(closest)


def test_closest_returns_nothing_for_gibberish(catalog: Catalog) -> None:
    assert catalog.closest("qqqqzzzzxxxx") == []
    assert catalog.closest("") == []
    assert len(catalog.closest("bank", n=2)) <= 2


@pytest.mark.parametrize(("text", "slug"), [
    ("virgin-media", "virgin-media"), ("Virgin Media", "virgin-media"), ("#VirginMedia", "virgin-media"),
    ("VM", "virgin-media"), ("Twitter", "x"), ("@BTCare", "bt"), ("@btcare", "bt"), ("bt.com", "bt"),
    ("https://www.bt.com/broadband", "bt"), ("mail.google.com", "gmail"), ("gmail.com", "gmail"),
    ("www.google.co.uk", "google"), ("Disney+", "disney-plus"), ("MS Teams", "microsoft-teams"),
    ("  PSN  ", "playstation-network"), ("#iplayer", "bbc-iplayer"), ("docs.google.com", "google-drive"),
    ("https://drive.google.com/file/d/1", "google-drive"), ("news.sky.com", "sky-news"), ("sky.com", "sky"),
])
def test_find_resolves_names_aliases_domains_and_handles(catalog: Catalog, text: str, slug: str) -> None:
    found = catalog.find(text)
    assert found is not None and found.slug == slug


@pytest.mark.parametrize("text", ["", "#", "@", "@nobody_at_all", "example.org", "the weather", "netflx"])
def test_find_answers_none_for_what_it_does_not_name(catalog: Catalog, text: str) -> None:
    assert catalog.find(text) is None


def test_products_belong_to_their_parent(catalog: Catalog) -> None:
    parents = catalog.parents()
    assert parents["google-pay"] == "google"
    assert parents["gov-uk-one-login"] == "gov-uk"
    assert parents["vodafone-broadband"] == "vodafone"
    assert "google" not in parents and catalog.require("google").parent is None
    assert all(parent in catalog and parent not in parents for parent in parents.values())


def test_override_sets_and_clears_a_parent(tmp_path: Path) -> None:
    changed = load_catalog(write(tmp_path, VALID_ENTRY + 'parent = "bt"\n'
                                 '[[service]]\nslug = "google-pay"\nparent = ""\n'))
    assert changed.require("acme-fibre").parent == "bt"
    assert changed.require("google-pay").parent is None
