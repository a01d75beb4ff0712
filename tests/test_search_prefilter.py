"""The word-index filter: pruning drops only patterns another one covers."""

from __future__ import annotations

from search_support import WATCHLISTS
from sourcewatch.matching.watchlist import load_watchlists
from sourcewatch.search import prefilter
from sourcewatch.search.query import parse_search


def test_pruning_drops_only_covered_patterns() -> None:
    entities = load_watchlists(WATCHLISTS).entities
    spec = prefilter.build(parse_search("@wagner NEAR/5 (Гао OR Gao)").node, entities)
    full, pruned = prefilter.tsquery(spec), prefilter.tsquery(prefilter.pruned(spec))
    assert "'wagner':*" in pruned and "'вагнер':*" in pruned and "'gao':*" in pruned
    assert "'wagner' & 'group':*" in full and "'group'" not in pruned
    assert "'вагнеров'" in full and "'вагнеров'" not in pruned
    # nothing that no other pattern covers is dropped
    kept = prefilter.pruned(prefilter.Any_((prefilter.Pattern(("pmc", "wag")),)))
    assert kept == prefilter.Any_((prefilter.Pattern(("pmc", "wag")),))


def test_a_clitic_form_becomes_the_bare_word_where_the_index_strips_clitics() -> None:
    spec = prefilter.build(parse_search("طالبان AND بدخشان").node, {})
    full, stemmed = prefilter.tsquery(spec), prefilter.tsquery(prefilter.stemmed(spec))
    assert "'وطالبان':*" in full and "'بالطالبان':*" in full
    assert stemmed == "((('طالبان':*)) & (('بدخشان':*)))"
    # a phrase keeps its other words; ل + ال (لل) keeps its pattern: without it, للجيش
    # would leave جيش, a word of its own
    phrase = prefilter.stemmed(prefilter.build(parse_search('"الجيش المالي"').node, {}))
    assert isinstance(phrase, prefilter.Any_)
    assert {p.words for p in phrase.patterns} == {
        ("الجيش", "المالي"),
        ("للجيش", "المالي"),
        ("وللجيش", "المالي"),
        ("فللجيش", "المالي"),
    }
