"""The backends, chosen by configuration: ``load_backend(...)`` picks one.


- ``endpoint`` set: ``remote.RemoteBackend`` (OpenAI-compatible completions / chat, or a
  Mercury-style ``/v1/fim/completions``); ``model`` is then the served model's name;
- ``model`` a folder: ``transformers_local.load_local`` dispatches on its ``model_type``
  (our canvas denoiser, DiffusionGemma, LLaDA / Dream / DiffuCoder / DreamOn / Open-dCoder /
  CoDA by architecture, masked LMs; a folder's own modeling code only with ``trust_remote_code``);
- neither: the embedded model (``embedded.EmbeddedBackend``).

With ``fallback_to_embedded`` a backend that fails to load, or a request that fails, is served
by the embedded model instead (``FallbackBackend``), which is what the language server wants.
This package knows nothing about editors, tree-sitter or post-processing.
"""

from __future__ import annotations

import logging

from ..errors import EngineError, RequestCancelled

log = logging.getLogger(__name__)


def load_backend(model: str | None = None, threads: int | None = None, *, endpoint: str | None = None,
           api: str = "completions", api_key_env: str = "OPENAI_API_KEY", device: str = "auto",
           dtype: str = "auto", timeout_s: float = 30.0, fallback_to_embedded: bool = False,
           family: str = "auto", fim_format: str = "auto", trust_remote_code: bool = False):
    def primary():
        if endpoint:
            from .remote import RemoteBackend
            return RemoteBackend(endpoint, model or "", api=api, api_key_env=api_key_env, timeout_s=timeout_s,
                                 fim_format=fim_format)
        if model:
            from .transformers_local import load_local
            return load_local(model, device=device, dtype=dtype, family=family, threads=threads,
                              trust_remote_code=trust_remote_code)
        return _embedded(threads)

    if not fallback_to_embedded or (not endpoint and not model):
        return primary()
    try:
        backend = primary()
    except EngineError as exc:
        log.warning("falling back to the embedded model: %s", exc)
        embedded = _embedded(threads)
        embedded.fallback_reason = str(exc)     # describe() says it: the user configured another model
        return embedded
    return FallbackBackend(backend, lambda: _embedded(threads))


def _embedded(threads: int | None):
    from .embedded import EmbeddedBackend
    return EmbeddedBackend(None, threads=threads)


class FallbackBackend:
    """Serve with ``primary``; when a request fails, serve it with the embedded model."""

    def __init__(self, primary, make_fallback):
        self.primary, self._make_fallback, self._fallback = primary, make_fallback, None
        self.name = primary.name
        self.capabilities = primary.capabilities    # the fallback serves the requests those allow
        self.last_error: str | None = None          # why the last request fell back, if it did

    def count_tokens(self, text: str) -> int:
        return self.primary.count_tokens(text)

    def describe(self) -> dict:
        return {**self.primary.describe(), "fallback": "embedded"}

    def infill(self, request, **kw):
        try:
            return self.primary.infill(request, **kw)
        except EngineError as exc:
            if isinstance(exc, RequestCancelled) or not self._fallback_serves(request):
                raise
            self.last_error = str(exc)
            log.warning("falling back to the embedded model for this request: %s", exc)
            if self._fallback is None:
                self._fallback = self._make_fallback()
            return self._fallback.infill(request)

    def _fallback_serves(self, request) -> bool:
        """The embedded model serves only the languages its card lists: a request in another one
        fails with the primary's error rather than get a guess."""
        if request.language is None:
            return True
        if self._fallback is None:
            self._fallback = self._make_fallback()
        languages = self._fallback.capabilities.languages
        return languages is None or request.language in languages
