"""Local fake upstream servers that speak the real wire formats (Reddit, Mastodon, Jetstream,
Statuspage/RSS, plain websites), with scriptable failure modes. Reusable by any test."""
