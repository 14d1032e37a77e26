"""Typed errors raised by the infill library and caught once at the boundary (CLI, LSP)."""


class InfillError(Exception):
    """Base class: the message is a complete, user-facing sentence."""


class UsageError(InfillError):
    """The command or its options are malformed (``FILE:LINE:COL`` without numbers, an option
    out of range). The CLI exits with 2, as argparse does for its own usage errors."""


class UnknownLanguageError(InfillError):
    """The file's language has no grammar or no support here."""


class ModelLanguageError(InfillError):
    """The configured model was not trained on the document's language (the embedded model
    completes Python only): the user must configure another backend. Shown, never guessed at."""


class ParseTimeout(InfillError):
    """A grammar did not finish parsing a text within ``languages.PARSE_TIMEOUT_S`` (a
    tree-sitter grammar looped on it: TSX did on 300 characters of garbage)."""


class PositionError(InfillError):
    """A cursor or range lies outside the document."""


class InputFileError(InfillError):
    """A file cannot be read as text: missing, binary or not UTF-8."""


class TaskError(InfillError):
    """A batch or eval task is malformed."""


class Cancelled(InfillError):
    """The request was cancelled (superseded by a newer one, or by the client) before it finished."""


class RepositoryError(InfillError):
    """A repository cannot be tested or patched: not Python, no tests, tests that fail to
    import, pytest missing, a dirty working tree for ``--apply``. The CLI exits with 2."""
