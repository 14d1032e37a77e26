"""Drafts in the completion path: they join the sampled candidates, are checked and ranked by
the same confidence, and those with names the document lacks become seeds of one batch."""

from __future__ import annotations

from dataclasses import replace

from engine.api import Capabilities

from helpers import Scripted
from infill.complete import complete
from infill.config import InfillOptions
from infill.retrieval import ChunkIndex

DOC = ("from tables import parse_rows, decode_rows\n\n\ndef load(path):\n    with open(path) as f:\n        rows = parse_rows(f.read(), strict=True)\n"
       "    return rows\n\n\ndef reload(path):\n    with open(path) as f:\n        rows = \n    return rows\n")
AT = DOC.index("rows = \n") + len("rows = ")
OPTS = InfillOptions(candidates=1, header_bodies=0, repair=0, resample=0, min_confidence=0.0,
                     known_names=False)      # drafts from retrieval alone (tests/infill/test_names.py: known names)


def test_a_draft_from_the_document_wins_over_a_sample_the_checks_reject():
    backend = Scripted("undefined_thing(f)")            # a name bound nowhere: the checks reject it
    done = complete(DOC, AT, "python", OPTS, backend)
    assert done.text == "parse_rows(f.read(), strict=True)" and done.shown
    assert done.retrieved[0] > 0.5 and done.votes[0] == 0
    assert "undefined_thing(f)" in done.candidates and done.confidences[-1] == 0.0


def test_without_retrieval_only_samples_are_candidates():
    done = complete(DOC, AT, "python", replace(OPTS, retrieval=False), Scripted("undefined_thing(f)"))
    assert done.candidates == ["undefined_thing(f)"] and not any(done.retrieved) and not done.shown


def test_a_sample_equal_to_a_draft_is_one_candidate_with_its_vote():
    done = complete(DOC, AT, "python", OPTS, Scripted("parse_rows(f.read(), strict=True)"))
    assert done.candidates.count("parse_rows(f.read(), strict=True)") == 1
    assert done.votes[0] == 1 and done.retrieved[0] > 0.5


def neighbours() -> ChunkIndex:
    index = ChunkIndex()
    index.set_source("lib/table.py", "def read_table(path):\n    with open(path) as f:\n"
                                     "        rows = decode_rows(f.read(), limit)\n    return rows\n")
    index.refresh()
    return index


def test_drafts_with_names_the_document_lacks_are_seeds_of_one_batch():
    doc = DOC.replace("parse_rows(f.read(), strict=True)", "[]")
    backend = Scripted("undefined_thing(f)", fix="parse(f.read())")
    done = complete(doc, doc.index("rows = \n") + 7, "python", OPTS, backend, neighbours=neighbours(),
                    source="app.py")
    seeded = [r for r in backend.requests if r.seeds]
    assert len(seeded) == 1
    seed = seeded[0].seeds[0]
    assert seed.text == "decode_rows(f.read(), limit)"
    assert [seed.text[a:b] for a, b in seed.remask_spans] == ["limit"]     # decode_rows is imported
    assert "decode_rows(f.read(), limit)" in done.candidates     # as it stands, too


def test_a_backend_that_cannot_rewrite_gets_no_seeds():
    doc = DOC.replace("parse_rows(f.read(), strict=True)", "[]")
    backend = Scripted("undefined_thing(f)")
    backend.capabilities = Capabilities(rewrite=False)
    done = complete(doc, doc.index("rows = \n") + 7, "python", OPTS, backend, neighbours=neighbours(),
                    source="app.py")
    assert not any(r.seeds for r in backend.requests)
    assert "decode_rows(f.read(), limit)" in done.candidates


def test_the_documents_own_chunks_are_left_out_of_its_neighbours():
    index = ChunkIndex()
    index.set_source("app.py", DOC)
    index.refresh()
    backend = Scripted("undefined_thing(f)")
    done = complete(DOC, AT, "python", OPTS, backend, neighbours=index, source="app.py")
    assert done.candidates.count("parse_rows(f.read(), strict=True)") == 1   # found once, in the document


class Scoring(Scripted):
    """Scripted, with token scoring: keeps the texts whose likelihood it was asked for."""

    def __init__(self, first: str):
        super().__init__(first)
        self.capabilities = Capabilities(rewrite=True, token_scoring=True)
        self.scored: list[str] = []

    def likelihood(self, prefix: str, suffix: str, texts: list[str]) -> list[float]:
        self.scored += texts
        return [-1.0] * len(texts)


def test_a_draft_the_checks_refuse_gets_no_likelihood_and_each_check_runs_once(monkeypatch):
    import infill.checks
    import infill.complete as complete_module

    draft, calls = "parse_rows(f.read(), strict=True)", []

    def checks(before, text, after, language, refuse=()):
        calls.append(text)
        found = infill.checks.run_checks(before, text, after, language)
        return found + [infill.checks.Check("names", "reject", "test")] if text in refuse else found

    for refuse in ((draft,), ()):
        calls.clear()
        monkeypatch.setattr(complete_module, "run_checks", lambda b, t, a, lang: checks(b, t, a, lang, refuse))
        backend = Scoring("undefined_thing(f)")
        done = complete(DOC, AT, "python", OPTS, backend)
        assert calls.count(draft) == 1                  # before the likelihood, read again by judge
        assert (draft in backend.scored) == (not refuse)
        assert (done.likelihoods[done.candidates.index(draft)] is None) == bool(refuse)
        assert (done.text == draft) == (not refuse)
