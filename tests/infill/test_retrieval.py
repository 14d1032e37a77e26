"""Drafts from the code around the gap, the chunk index, the ring of edits and the bounded
workspace read (infill.retrieval)."""

from __future__ import annotations

import os
import textwrap
import time

import pytest

from infill.retrieval import ChunkIndex, ChunkRing, find_drafts, prompt_block, read_workspace
from infill.retrieval.chunks import Chunk, chunk_text, identifiers

DOC = textwrap.dedent('''
    def load(path):
        with open(path) as f:
            rows = parse_rows(f.read(), strict=True)
        return rows


    def save(path, rows):
        text = render(rows)
        with open(path, "w") as f:
            f.write(text)


    def reload(path):
        with open(path) as f:
            rows = GAP
        return rows
''')


def gap(doc: str, marker: str = "GAP") -> tuple[str, int]:
    at = doc.index(marker)
    return doc[:at] + doc[at + len(marker):], at


def test_rest_of_a_line_comes_from_a_line_that_starts_the_same():
    text, at = gap(DOC)
    drafts = find_drafts(text, at, "    ", 1)
    assert drafts[0].text == "parse_rows(f.read(), strict=True)"
    assert drafts[0].source == "" and drafts[0].line == 3 and drafts[0].remask == ()
    assert 0 < drafts[0].score <= 1


def test_a_draft_starts_at_a_token_boundary():
    text, at = gap("def f(x):\n    returned = x + 1\n    return GAP\n")
    assert [d.text for d in find_drafts(text, at, "    ")] == []      # not "d = x + 1"


def test_the_rest_of_the_line_after_the_cursor_is_cut_from_the_draft():
    text, at = gap("total = 0\na = run(items, 3)\nprint(a)\ntotal = 0\nc = run(GAP)\nprint(c)\n")
    assert find_drafts(text, at, "")[0].text == "items, 3"


def test_whole_lines_come_from_between_lines_like_those_around_the_gap():
    doc = textwrap.dedent('''
        def first(self):
            start = self.clock()
            self.events.append(("first", start))
            return self.finish(start)


        def second(self):
            start = self.clock()
        GAP
            return self.finish(start)
    ''').replace("GAP", "    ")
    at = doc.index("\n    \n") + 5
    drafts = find_drafts(doc, at, "    ", 1)
    assert drafts[0].text == 'self.events.append(("first", start))'
    # At column 0 of an empty line the draft brings its indentation and ends the line.
    col0 = doc[:at - 4] + doc[at:]
    assert find_drafts(col0, at - 4, "    ", 3)[0].text == '    self.events.append(("first", start))\n'


def test_drafts_from_other_sources_mark_names_the_document_lacks():
    other = Chunk("lib/other.py", 10, ("def helper(path):", "    with open(path) as f:",
                                        "        rows = decode_rows(f.read(), limit)", "    return rows"))
    text, at = gap(DOC.replace("parse_rows(f.read(), strict=True)", "[]"))
    drafts = find_drafts(text, at, "    ", 1, chunks=[other])
    got = next(d for d in drafts if d.source == "lib/other.py")
    assert got.text == "decode_rows(f.read(), limit)" and got.line == 12
    assert [got.text[a:b] for a, b in got.remask] == ["decode_rows", "limit"]


def test_no_drafts_before_text_on_the_cursor_line():
    text = DOC
    at = text.index("text = render")
    assert find_drafts(text, at, "    ") == []


def test_the_index_finds_chunks_by_their_names_and_leaves_out_the_document():
    index = ChunkIndex()
    index.set_source("a.py", "def parse_header(line):\n    return line.split(':')\n")
    index.set_source("b.py", "def render_page(page):\n    return page.title\n")
    index.set_source("self.py", "def parse_header(x):\n    pass\n")
    assert index.search(["parse_header"]) == []          # nothing until the tables are built
    index.refresh()
    found = index.search(identifiers("value = parse_header(line)"), exclude="self.py")
    assert [c.source for c in found] == ["a.py"]


def test_drafts_come_from_sources_of_the_documents_language(tmp_path):
    from infill.drafting import neighbour_chunks

    index = ChunkIndex()
    index.set_source("file:///w/api.ts", "export function parseHeader(line: string) {\n  return line.split(':');\n}\n")
    index.set_source("/w/api.py", "def parseHeader(line):\n    return line.split(':')\n")
    index.set_source("untitled:Untitled-1", "parseHeader(line)\n")
    index.refresh()
    text = "const value = parseHeader(line);\n"
    assert {c.source for c in neighbour_chunks(text, 14, index, "/w/main.ts")} == \
        {"file:///w/api.ts", "/w/api.py", "untitled:Untitled-1"}
    assert [c.source for c in neighbour_chunks(text, 14, index, "/w/main.ts", "typescript")] == ["file:///w/api.ts"]
    assert [c.source for c in neighbour_chunks("value = parseHeader(line)\n", 8, index, "m.py", "python")] == \
        ["/w/api.py"]


def wait_for(predicate, seconds: float) -> None:
    """Poll ``predicate`` every 20 ms until it holds or ``seconds`` pass (the caller asserts)."""
    deadline = time.time() + seconds
    while not predicate() and time.time() < deadline:
        time.sleep(0.02)


def test_updates_are_chunked_off_the_request_path():
    index = ChunkIndex()
    index.update("doc.py", "alpha = beta_gamma()\n")
    assert len(index) == 0                                # not chunked yet: the update cost nothing
    index.refresh(wait=False)
    wait_for(lambda: index.stats()["current"], 5)
    assert [c.source for c in index.search(["beta_gamma"])] == ["doc.py"]


def test_the_index_is_bounded_and_drops_the_oldest_source():
    index = ChunkIndex(max_chunks=10)
    index.set_source("old.py", "x = 1\n" * 80)        # 10 chunks
    index.set_source("new.py", "y = 2\n" * 40)        # 5 more: old.py goes
    assert index.sources() == ["new.py"] and len(index) <= 10


def test_the_ring_keeps_the_newest_chunks_and_replaces_near_duplicates():
    ring = ChunkRing(size=3, lines=4)
    text = "\n".join(f"value_{i} = compute_{i}(arg_{i})" for i in range(40))
    for line in (0, 10, 20, 30):
        ring.add("doc.py", text, line)
    assert len(ring) == 3 and [c.line for c in ring.chunks] == [8, 18, 28]
    ring.add("doc.py", text, 30)                         # the same place again: replaced, not added
    assert [c.line for c in ring.chunks] == [8, 18, 28]
    assert ring.add("doc.py", "\n\n\n", 1) is None        # blank: nothing kept


def test_chunks_overlap_and_skip_blank_runs():
    chunks = chunk_text("f.py", "\n".join(f"line_{i}" for i in range(40)) + "\n" * 40)
    assert [c.line for c in chunks][:3] == [0, 8, 16]
    assert all(any(r.strip() for r in c.lines) for c in chunks)


def test_the_workspace_read_skips_what_it_must(tmp_path):
    (tmp_path / "good.py").write_text("def good():\n    return 1\n")
    (tmp_path / "binary.py").write_bytes(b"x = 1\0\0\0")
    (tmp_path / "latin.py").write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "huge.py").write_text("x = 1\n" * 60_000)
    (tmp_path / "notes.txt").write_text("not python")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "dep.py").write_text("y = 2\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "inner.py").write_text("z = 3\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.py"
    outside.write_text("secret = 1\n")
    (tmp_path / "link.py").symlink_to(outside)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.py").write_text("w = 4\n")
    locked.chmod(0)
    try:
        got = {os.path.relpath(p, tmp_path) for p, _ in read_workspace(tmp_path, (".py",))}
    finally:
        locked.chmod(0o755)
    assert "good.py" in got and os.path.join("sub", "inner.py") in got
    assert not got & {"binary.py", "latin.py", "huge.py", "notes.txt", "link.py", "node_modules/dep.py"}
    skipped = read_workspace(tmp_path, (".py",), skip=tmp_path / "good.py")
    assert all(not p.endswith("good.py") for p, _ in skipped)


def test_a_huge_workspace_is_cut_off_by_the_entry_budget(tmp_path):
    for i in range(300):
        (tmp_path / f"f{i:03}.py").write_text(f"v{i} = {i}\n")
    assert len(read_workspace(tmp_path, (".py",), max_entries=50)) == 50
    assert len(read_workspace(tmp_path, (".py",), max_files=7)) == 7
    assert len(read_workspace(tmp_path, (".py",), max_bytes=40)) <= 5


def test_the_reference_block_is_marked_and_bounded():
    block = prompt_block([Chunk("pkg/a.py", 0, ("x = 1",)), Chunk("pkg/b.py", 0, ("y" * 2000,))])
    assert block.startswith("# Code from other files of this project:\n# --- a.py ---\nx = 1\n")
    assert "b.py" not in block and block.endswith("# --- end ---\n\n")
    assert prompt_block([]) == ""


@pytest.mark.parametrize("junk", ["", "\n\n", "GAP", "\x00\x01", "é" * 50])
def test_odd_documents_give_no_drafts_and_no_error(junk):
    text = junk
    assert isinstance(find_drafts(text, len(text), "", 3), list)


def test_a_fifo_in_the_workspace_is_skipped_not_read(tmp_path):
    (tmp_path / "good.py").write_text("x = 1\n")
    os.mkfifo(tmp_path / "pipe.py")
    got = [os.path.basename(p) for p, _ in read_workspace(tmp_path, (".py",))]   # would block if read
    assert got == ["good.py"]


def test_no_edit_is_lost_and_no_closed_source_comes_back_under_background_rebuilds():
    index = ChunkIndex()
    last: dict[str, int | None] = {}                     # each source's last text (None: dropped)
    for k in range(200):
        index.update(f"doc{k % 7}.py", f"value_{k} = compute_{k}()\n")
        last[f"doc{k % 7}.py"] = k
        if k % 13 == 0:
            index.drop_source(f"doc{(k + 3) % 7}.py")
            last[f"doc{(k + 3) % 7}.py"] = None
        index.refresh(wait=False)
    wait_for(lambda: index.stats()["current"], 10)
    stats = index.stats()
    assert stats["current"] and stats["pending"] == 0
    # The last text of each source is what is indexed; a source dropped last stays out.
    assert sorted(index.sources()) == sorted(name for name, k in last.items() if k is not None)
    for name, k in last.items():
        assert [c.source for c in index.search([f"compute_{k}"])] == ([name] if k is not None else [])


def test_a_background_rebuild_waits_until_the_index_is_left_alone():
    """Typing and the requests between keystrokes run without a rebuild beside them."""
    index = ChunkIndex(quiet_s=1.0, max_wait_s=30.0)
    index.set_source("doc.py", "alpha = 1\n")               # typing in a document already indexed
    index.refresh()
    index.update("doc.py", "alpha = beta_gamma()\n")
    index.refresh(wait=False)
    start = time.monotonic()
    while time.monotonic() - start < 0.5:             # searched every 20 ms: still the old snapshot
        assert index.search(["beta_gamma"]) == []
        time.sleep(0.02)
    wait_for(lambda: index.stats()["current"], 10)
    assert [c.source for c in index.search(["beta_gamma"])] == ["doc.py"]
    # A stream of searches that never pauses waits max_wait_s at most.
    index = ChunkIndex(quiet_s=1.0, max_wait_s=0.3)
    index.set_source("doc.py", "alpha = 1\n")
    index.refresh()
    index.update("doc.py", "alpha = beta_gamma()\n")
    index.refresh(wait=False)
    wait_for(lambda: index.search(["beta_gamma"]), 10)
    assert [c.source for c in index.search(["beta_gamma"])] == ["doc.py"]


def test_the_search_ranks_chunks_as_bm25_plus_does():
    """BM25+ with k1 1.5, b 0.75, delta 1 (rank_bm25's constants), computed here by its formula."""
    import math
    docs = {"a.py": "alpha beta\n", "b.py": "alpha alpha_2 gamma\n", "c.py": "beta delta epsilon zeta\n"}
    index = ChunkIndex()
    for name, text in docs.items():
        index.set_source(name, text)
    index.refresh()
    terms = {name: sorted(set(text.split())) for name, text in docs.items()}
    avg = sum(len(t) for t in terms.values()) / len(terms)

    def score(name, query):
        total = 0.0
        for q in query:
            df = sum(q in t for t in terms.values())
            tf = float(q in terms[name])
            if df:
                total += math.log((len(terms) + 1) / df) * (1 + tf * 2.5 / (1.5 * (0.25 + 0.75 * len(terms[name]) / avg) + tf))
        return total
    for query in (["beta"], ["alpha", "beta"], ["beta", "zeta"], ["gamma", "beta", "alpha"]):
        holding = [n for n in docs if set(query) & set(terms[n])]
        expected = sorted(holding, key=lambda n: -score(n, query))
        assert [c.source for c in index.search(query, k=3)] == expected, query
    assert index.search(["nowhere"]) == []


def test_a_new_source_is_indexed_without_waiting_for_quiet():
    """A workspace read or a document opened while requests go on is searchable at once; only
    re-indexing a source already there waits."""
    index = ChunkIndex(quiet_s=30.0, max_wait_s=30.0)
    index.set_source("old.py", "alpha = 1\n")
    index.refresh()
    index.update("new.py", "beta_gamma = 2\n")
    index.refresh(wait=False)
    wait_for(lambda: index.search(["beta_gamma"]), 5)                    # searching all the while
    assert [c.source for c in index.search(["beta_gamma"])] == ["new.py"]


def test_a_rebuild_after_a_change_maps_only_the_changed_source_to_term_ids():
    """The tables are rebuilt after every settled edit: the sources that did not change keep
    their term ids from the build before, so the rebuild costs the edited document only."""
    index = ChunkIndex()
    index.set_source("a.py", "alpha_one = beta_two\n")
    index.set_source("b.py", "gamma_three = delta_four\n")
    index.refresh()
    kept = index._term_ids["b.py"][1]
    index.update("a.py", "epsilon_five = beta_two\n")
    index.refresh()
    assert index._term_ids["b.py"][1] is kept
    assert [c.source for c in index.search(["epsilon_five"])] == ["a.py"]
    assert index.search(["alpha_one"]) == []
    index.drop_source("b.py")
    index.refresh()
    assert "b.py" not in index._term_ids and index.search(["gamma_three"]) == []


def test_the_term_vocabulary_starts_afresh_past_its_bound(monkeypatch):
    """Terms are remembered across rebuilds; past ``MAX_VOCAB`` a new vocabulary is started
    and every source mapped again, with the same answers."""
    from infill.retrieval import chunks as module
    monkeypatch.setattr(module, "MAX_VOCAB", 4)
    index = ChunkIndex()
    first = index._vocab
    for i in range(6):
        index.set_source(f"m{i}.py", f"name_{i} = shared_term\n")
        index.refresh()
    assert index._vocab is not first
    assert set(index._vocab) <= {"shared_term", *(f"name_{i}" for i in range(6))}
    assert sorted(c.source for c in index.search(["shared_term"], k=10)) == [f"m{i}.py" for i in range(6)]
    assert [c.source for c in index.search(["name_3"])] == ["m3.py"]

