"""The backend a request runs on: loaded once per configuration, its errors turned into infill's.

Everything infill asks of a model goes through here and ``engine.api`` (the request and result
types, and what a backend declares it can do: ``Capabilities``).
"""

from __future__ import annotations

from engine.api import Backend, InfillRequest, InfillResult
from engine.backends import load_backend
from engine.errors import EngineError, RequestCancelled

from .config import InfillOptions
from .errors import Cancelled, InfillError

_BACKENDS: dict[tuple, Backend] = {}


def get_backend(options: InfillOptions) -> Backend:
    """Load (once per model, thread count and backend options) the backend the options name."""
    extra = options.backend_options()
    key = (options.model, options.threads, *sorted(extra.items()))
    if key not in _BACKENDS:
        try:
            _BACKENDS[key] = load_backend(options.model, threads=options.threads, **extra)
        except EngineError as exc:
            raise InfillError(str(exc)) from exc
    return _BACKENDS[key]


def forget_backends() -> None:
    """Drop every loaded backend (tests start from none)."""
    _BACKENDS.clear()


def run_backend(backend: Backend, request: InfillRequest) -> InfillResult:
    """``backend.infill`` with engine errors turned into infill's: ``Cancelled`` or ``InfillError``."""
    try:
        return backend.infill(request)
    except RequestCancelled as exc:
        raise Cancelled(str(exc)) from exc
    except EngineError as exc:
        raise InfillError(str(exc)) from exc
