"""Next-edit suggestions: the edit after the one the user just made.

Knows whole-line edits, the user's recent edits and tree-sitter; nothing about LSP. The
path (``suggest.suggest_next_edit``): ``edits`` (the request, a stale edit refused) ->
``propagate`` (the last edit read as token changes by ``tokens``, carried where they fit) ->
``checks`` -> ``confidence`` -> one suggestion or silence, plus jump targets.
"""

from .edits import LineEdit, NextEdit, NextEditRequest
from .suggest import suggest_next_edit

__all__ = ["LineEdit", "NextEdit", "NextEditRequest", "suggest_next_edit"]
