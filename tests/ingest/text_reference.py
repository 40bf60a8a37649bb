"""The matcher's rules stated plainly, without its shortcuts: the full path the fast one must equal.

No regex gate, no tag memo, every word of the post tokenised, links worked out before anything else
and the checks in the order the rules read. Slow; only tests use it. It reads the matcher's tables,
so it follows the catalogue and ``matching.json``; a change to the rules themselves belongs here too.
"""

from __future__ import annotations

from ingest.text.matcher import _TAG, Mention, ServiceMatcher, _links, _words


def reference_tags(matcher: ServiceMatcher, lower: str) -> list[Mention]:
    found = []
    for hit in _TAG.finditer(lower):
        body = hit.group(1)
        if hit.group().startswith("@"):
            slug = matcher._handles.get(body) or matcher._folded_lookup(matcher._handle_form, body)
            via = "handle"
        else:
            slug = matcher._folded_lookup(matcher._hashtag_form, body)
            via = "hashtag"
        if slug is not None:
            found.append(Mention(slug, hit.start(), hit.end(), via))
    return found


def reference_find(matcher: ServiceMatcher, text: str) -> list[Mention]:
    rules = matcher.rules
    lower = text.lower()
    found = reference_tags(matcher, lower) if "#" in text or "@" in text else []
    strong_slugs = {mention.slug for mention in found}
    strong_spans = [(mention.start, mention.end) for mention in found]
    words = _words(lower)
    links = _links(lower)
    for hit in matcher._terms.finditer(lower):
        start, end = hit.span()
        if any(s <= start < e for s, e in strong_spans):
            continue
        term = hit.group()
        slug = matcher._owner[term]
        link = next((span for span in links if span[0] <= start < span[2]), None)
        if link is not None and not _names_front_door(matcher, lower, link, end, term):
            continue
        if term in matcher._domains:
            if not matcher._link_only(lower, start, end):
                found.append(Mention(slug, start, end, "domain"))
            continue
        if term in rules.strict_case and not text[start:end].isupper():
            continue
        if term in rules.ambiguous and slug not in strong_slugs and not _in_context(matcher, text, start, end,
                                                                                    words):
            continue
        found.append(Mention(slug, start, end, "name"))
    found.sort(key=lambda mention: mention.start)
    return found


def _names_front_door(matcher: ServiceMatcher, lower: str, link: tuple[int, int, int], end: int,
                      term: str) -> bool:
    link_start, host_end, link_end = link
    host = lower[link_start:host_end].split("://")[-1]
    if term not in matcher._domains or end != host_end or not (host == term or host.endswith("." + term)):
        return False
    rest = lower[host_end:link_end].strip("/")
    return rest == "" or (rest.isalpha() and rest in matcher.rules.context)


def _in_context(matcher: ServiceMatcher, text: str, start: int, end: int,
                words: list[tuple[int, int, str]]) -> bool:
    rules = matcher.rules
    before = [word for _, word_end, word in words if word_end <= start]
    after = [word for word_start, _, word in words if word_start >= end]
    capitalised = text[start].isupper()
    if not capitalised and before and before[-1] in rules.other_sense_before:
        return False
    if after and after[0] in rules.other_sense_after:
        return False
    reach = 6 if capitalised else 2
    return any(word in rules.context for word in before[-reach:] + after[:reach])
