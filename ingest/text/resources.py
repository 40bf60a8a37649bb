"""Read the data files bundled in ``ingest/data``."""

from __future__ import annotations

import json
from importlib import resources
from importlib.abc import Traversable
from typing import Any


def data_file(name: str) -> Traversable:
    return resources.files("ingest").joinpath("data", name)


def load_json(name: str) -> Any:
    return json.loads(data_file(name).read_text(encoding="utf-8"))
