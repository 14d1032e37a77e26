"""Typed errors of the engine; the message is a complete, user-facing sentence."""


class EngineError(Exception):
    """Base class of engine errors."""


class ModelLoadError(EngineError):
    """A model folder is missing, incomplete or corrupt."""


class BackendError(EngineError):
    """A backend failed to produce a result (bad request, remote failure)."""


class RequestCancelled(BackendError):
    """The request's ``cancelled`` callback said stop (a newer request, or the client cancelled)."""
