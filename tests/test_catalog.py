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
                 r"name or alias 'github' belongs to both", id="alias-clashes-with-bundled-name"),
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
