"""Varied posts for equivalence tests of the text fast path: the shipped corpus, everyday chatter,
and every catalogue name, alias, domain, handle and hashtag in many surroundings."""

from __future__ import annotations

import random
from collections.abc import Iterable

from downwatch.records import Service
from ingest.text.match_rules import MatchRules
from ingest.text.matcher import fold
from ingest.text.train import read_corpus

CHATTER_WORDS = ("my", "cat", "the", "bus", "is", "was", "so", "slow", "today", "down", "2-0", "lol",
                 "three", "of", "us", "sky", "blue", "steam", "out", "x", "ee", "by", "gum", "tbh",
                 "amazing", "broken", "again", "not", "working", "can't", "won't", "it's", "O'Neill",
                 "rain", "queue", "post", "box", "hours", "ago", "app", "login", "and", "then")
ODDITIES = ("😂", "🔥🔥", "İstanbul", "straße", "ﬁne", "naïve", "Ⅻ", "é", "’", "…", "—", "_", "__init__",
            "#", "@", "&", "+", "'", "''", "\n", "\t", " ", "https://example.org/x", "www.", "a.b/c",
            "t.co/xyz", "#mondays", "@mate", "ǅ", "ſ", "K")
SHAPES = ("{t}", "{t} is down", "is {t} down?", "{t} not working for anyone else", "the {t}",
          "{T} down again", "{U} OUTAGE", "{t}'s app won't load", "o'{t} down", "x{t} down", "{t}x down",
          "({t}) broken", "{t}!! crashing", "{t}.", "love {t} today", "{t} of us", "three {t} hours",
          "#{f}down", "#is{f}down", "#{f}", "@{f}", "@{f}_uk help", "https://{t}/login down",
          "https://www.{t}/ down", "{t}/status broken", "see https://example.org/{t} lol",
          "😂{t}😂 down", "İ {t} down", "ß{t} no signal", "{t}’s down", "_{t}_ down", "{t}_down",
          "my {t} app keeps crashing but {o} is fine", "{o} works, {t} is dead")


def catalogue_terms(services: Iterable[Service]) -> list[str]:
    terms = []
    for service in services:
        terms.extend((service.name, service.slug, *service.aliases, *service.domains, *service.handles))
    return terms


def term_posts(terms: list[str], rng: random.Random) -> list[str]:
    """Every term in every shape, with a random second term for the two-service shapes."""
    posts = []
    for term in terms:
        for shape in SHAPES:
            posts.append(shape.format(t=term, T=term.capitalize(), U=term.upper(), f=fold(term),
                                      o=rng.choice(terms)))
    return posts


def salad(words: list[str], rng: random.Random, count: int) -> list[str]:
    """Random runs of words and oddities, joined by spaces, punctuation or nothing."""
    joints = (" ", " ", " ", "", ", ", ". ", "-", "/", "'", "#", "@", "\n")
    posts = []
    for _ in range(count):
        pieces = [rng.choice(words) for _ in range(rng.randint(1, 9))]
        text = pieces[0]
        for piece in pieces[1:]:
            text += rng.choice(joints) + piece
        posts.append(text.upper() if rng.random() < 0.05 else text)
    return posts


def varied_posts(services: Iterable[Service], rules: MatchRules, seed: int = 13,
                 salad_count: int = 30_000) -> list[str]:
    rng = random.Random(seed)
    catalogue = list(services)
    terms = catalogue_terms(catalogue)
    rule_words = sorted(rules.ambiguous | rules.context | rules.other_sense_before | rules.other_sense_after)
    words = [*terms, *rule_words, *CHATTER_WORDS, *ODDITIES]
    corpus = [row["text"] for row in read_corpus()]
    handles = [f"{shape} @{handle} {tail}" for service in catalogue for handle in service.handles
               for shape, tail in (("", "down?"), ("hey", "help"), ("(cc", ")"))]
    return [*corpus, *term_posts(terms, rng), *handles, *salad(words, rng, salad_count)]
