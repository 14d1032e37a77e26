"""The backend a request runs on: loaded once per configuration, its errors turned into infill's.

Everything infill asks of a model goes through here and ``engine.api`` (the request and result
types, and what a backend declares it can do: ``Capabilities``).
"""

from __future__ import annotations

from engine.api import Backend, InfillRequest, InfillResult
from engine.backends import load_backend
from engine.errors import EngineError, RequestCancelled

from .config import InfillOptions
from .errors import Cancelled, InfillError, ModelLanguageError
from .languages import LANGUAGES, spec_of

_BACKENDS: dict[tuple, Backend] = {}


def get_backend(options: InfillOptions) -> Backend:
    """Load (once per model, thread count and backend options) the backend the options name."""
    extra = options.backend_options()
    key = (options.model, options.threads, *sorted(extra.items()))   # as loaded_backend reads it
    if key not in _BACKENDS:
        try:
            _BACKENDS[key] = load_backend(options.model, threads=options.threads, **extra)
        except EngineError as exc:
            raise InfillError(str(exc)) from exc
    return _BACKENDS[key]


def loaded_backend(options: InfillOptions) -> Backend | None:
    """The backend the options name if it is loaded already (None: not yet); never loads one."""
    extra = options.backend_options()
    return _BACKENDS.get((options.model, options.threads, *sorted(extra.items())))


def serves(backend: Backend, language: str) -> bool:
    """Whether the backend's model completes ``language`` (its card lists it, or lists none)."""
    served = backend.capabilities.languages
    return served is None or language in served


def check_language(backend: Backend, language: str) -> None:
    """Raise ``ModelLanguageError`` when the backend's model card lists the languages it was
    trained on (``Capabilities.languages``) and the document's is not among them."""
    if serves(backend, language):
        return
    served = backend.capabilities.languages or ()
    titles = " and ".join(spec_of(name).title if name in LANGUAGES else name for name in served)
    failed = backend.describe().get("fallback_reason")
    why = f"; the configured backend did not load: {failed}" if failed else ""
    raise ModelLanguageError(f"the {backend.name} model completes {titles} only; configure a backend to complete "
                             f"{spec_of(language).title} (--endpoint URL --model NAME, or --model DIR){why}")


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
