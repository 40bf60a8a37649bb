from __future__ import annotations

from pathlib import Path

import pytest

from downwatch.config import load_settings, markdown_table
from downwatch.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "dw.toml"
    config.write_text('port = 9000\nbucket_seconds = 300\n[sources.reddit]\nsubreddits = ["bt"]\n')
    settings = load_settings(config, environ={"DOWNWATCH_PORT": "9100"})
    assert settings.port == 9100
    assert settings.bucket_seconds == 300
    assert settings.sources == {"reddit": {"subreddits": ["bt"]}}


@pytest.mark.parametrize(("content", "environ", "message"), [
    ("port = 'x'\n", {}, "port = 'x' is not a valid int"),
    ("colour = 1\n", {}, "unknown setting 'colour'"),
    ("port = [\n", {}, "is not valid TOML"),
    ("", {"DOWNWATCH_BUCKET_SECONDS": "7"}, "bucket_seconds must divide a day"),
    ("", {"DOWNWATCH_LOG_LEVEL": "LOUD"}, "log_level must be"),
    ("", {"DOWNWATCH_CATALOG_PATH": "/nonexistent/catalog.toml"}, "does not exist"),
])
def test_bad_settings_are_refused_with_a_clear_message(tmp_path: Path, content: str,
                                                       environ: dict[str, str], message: str) -> None:
    config = tmp_path / "dw.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_settings(config, environ=environ)


def test_missing_config_file_is_named() -> None:
    with pytest.raises(ConfigError, match=r"config file /nope\.toml not found"):
        load_settings("/nope.toml", environ={})


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme


def test_readme_example_config_builds_its_sources(tmp_path: Path) -> None:
    from downwatch.catalog import load_catalog
    from ingest.sources.registry import build_sources

    readme = (ROOT / "README.md").read_text()
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    config = tmp_path / "example.toml"
    config.write_text(example)
    sources = build_sources(load_settings(config, environ={}), load_catalog())
    kinds = {type(source).__name__ for source in sources}
    assert kinds == {"RedditSource", "StatuspageSource", "ProbeSource"}
