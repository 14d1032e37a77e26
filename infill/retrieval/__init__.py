"""Code around the gap that the completion can copy: chunks of other files and drafts.

retrieval knows text: lines, identifiers, chunks of files and how alike two stretches of code
are. It knows nothing about the model, the Language Server Protocol or the editor; the caller
(``infill.complete``) turns its drafts into starting canvases and ranks them with the model's
own samples.

- ``chunks``: ``Chunk`` (a few lines of one source), ``ChunkIndex`` (BM25 over the chunks of
  several sources, rebuilt off the request path), ``ChunkRing`` (recently edited chunks,
  bounded, evicted by age and near-duplication), ``read_workspace`` (a folder's files, bounded
  in files and bytes, binary and unreadable files skipped);
- ``drafts``: ``find_drafts`` (candidate middles for a gap from the same document and from
  retrieved chunks: lines whose surroundings look like the gap's), ``prompt_block`` (the
  retrieved chunks as a marked block before the prefix).
"""

from .chunks import Chunk, ChunkIndex, ChunkRing, read_workspace
from .drafts import Draft, find_drafts, prompt_block

__all__ = ["Chunk", "ChunkIndex", "ChunkRing", "Draft", "find_drafts", "prompt_block", "read_workspace"]
