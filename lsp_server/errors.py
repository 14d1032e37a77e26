"""The server's error policy, in one place: what the client gets, what the log gets, what the user sees.

- **Bad input from the user's editor** (a position outside the document, an unsupported
  language, a superseded request: ``QUIET_ERRORS``): a null result, nothing shown, nothing logged.
- **Protocol noise** (a body that is not JSON, params that do not fit the method, a request for
  a method we do not serve, a notification with bad params): the request gets its JSON-RPC error
  (Parse error -32700 with a null id, Invalid Params -32602, Method Not Found -32601), the log
  gets one line, and the user sees nothing. pygls alone would log whole tracebacks and pop up
  "Error in server: ..." in the editor for each.
- **A request without ``params``** (JSON-RPC allows it) is read as ``params: null``: a method
  whose params are optional is answered as usual, one that needs them gets Invalid Params
  (pygls answered Internal Error).
- **After ``shutdown``** a request gets Invalid Request (-32600), as the specification asks
  (pygls dropped it unanswered, and a client waiting on it hung); ``exit`` then ends the
  process with 0, an ``exit`` without ``shutdown`` with 1 (``Protocol.exit_code``; pygls's
  ``sys.exit`` in a callback was swallowed and every exit gave 0).
- **Errors the user must act on** (a model that does not load, invalid settings) are shown once
  with ``window/showMessage`` by the server (``InfillServer.show_once``), not here.

With ``--log-level DEBUG`` the log keeps pygls's full tracebacks.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    FeatureNotificationError,
    FeatureRequestError,
    JsonRpcException,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import RPCRequest

from infill.errors import Cancelled, PositionError, UnknownLanguageError

log = logging.getLogger("lsp_server")

QUIET_ERRORS = (PositionError, UnknownLanguageError, Cancelled)   # bad input: null, no message

# pygls's loggers that log a traceback for each malformed message.
PYGLS_LOGGERS = ("pygls.protocol.json_rpc", "pygls.protocol.language_server", "pygls.server", "pygls.io_",
                 "pygls.feature_manager", "pygls.lsp.server")


class BadMessage(JsonRpcException):
    """A message that could not be read; a request among them has been answered with its error."""

    def __init__(self, method: str, reason: str, answered: bool):
        super().__init__(message=f"{method}: {reason}")
        self.answered = answered


class Protocol(LanguageServerProtocol):
    """pygls's protocol with the policy above for messages that cannot be read, and for the
    messages after ``shutdown``."""

    exit_seen = False

    def exit_code(self) -> int:
        """The process's exit status once the server stopped: 1 after an ``exit`` without ``shutdown``."""
        return 1 if self.exit_seen and not self._shutdown else 0

    def handle_message(self, message):
        method = getattr(message, "method", "")
        if method == types.EXIT:
            self.exit_seen = True
        elif self._shutdown and isinstance(message, RPCRequest):
            self._send_response(message.id, error=JsonRpcInvalidRequest(
                f"{method}: the server is shutting down (only exit is accepted)").to_response_error())
            return
        super().handle_message(message)

    def structure_message(self, data: dict[str, Any]):
        if isinstance(data, dict) and "jsonrpc" in data and "method" in data and "params" not in data:
            data = {**data, "params": None}
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not (isinstance(data, dict) and isinstance(data.get("method"), str)):
                raise
            request = "id" in data
            if request:
                self._send_response(data["id"], error=exc.to_response_error())
            raise BadMessage(data["method"], exc.message, request) from exc


def report(server, error: Exception, source: Any) -> None:
    """``LanguageServer.report_server_error``: answer what can still be answered, log one line,
    show the user nothing."""
    if isinstance(error, BadMessage):
        log.warning("%s with bad params (%s)%s", "a request" if error.answered else "a notification", error.message,
                    ", answered with an error" if error.answered else ", ignored")
    elif isinstance(error, json.JSONDecodeError):
        log.warning("a message that is not JSON was answered with a parse error: %s", error)
        # JSON-RPC: a parse error is answered with a null id (lsprotocol's message drops a None id).
        server.protocol._send_data({"jsonrpc": "2.0", "id": None,
                                    "error": {"code": JsonRpcParseError.CODE, "message": f"Parse error: {error}"}})
    elif source is FeatureRequestError:
        pass                                   # pygls has answered the request with the error
    elif source is FeatureNotificationError:
        log.warning("a notification failed: %s", _one_line(error))
    else:
        log.warning("a message could not be handled: %s", _one_line(error))


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


# pygls's own records of a message it could not read: ``report`` logs its one line instead.
_REPORTED = ("Unable to deserialize message", "Unable to handle message")


class OneLine(logging.Filter):
    """Shortens pygls's records to one line without the traceback, and drops those ``report``
    says in its own words (unless DEBUG logging is on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            return True
        if str(record.msg).startswith(_REPORTED):
            return False
        if record.exc_info or "\n" in str(record.msg):
            message = record.getMessage().split("\n", 1)[0]
            cause = record.exc_info[1] if record.exc_info else None
            if cause is not None:
                message = f"{message}: {type(cause).__name__}: {_one_line(cause)}"
            record.msg, record.args, record.exc_info, record.exc_text = message, (), None, None
        return True


def install_log_policy() -> None:
    """Put ``OneLine`` on pygls's loggers (idempotent)."""
    for name in PYGLS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLine) for f in logger.filters):
            logger.addFilter(OneLine())
