"""Bearer tokens: every request carries ``Authorization: Bearer <token>`` when tokens are set.

Tokens are compared in constant time (``hmac.compare_digest`` against every configured token,
so neither the position of a match nor a common prefix shows in the timing). A server on
loopback without tokens answers everyone on this machine; ``spark-jobs serve`` refuses to listen
anywhere else without tokens (:func:`spark_jobs.server.settings.check_exposure`).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from spark_jobs.server.errors import Unauthorized


class TokenCheck:
    def __init__(self, tokens: Sequence[str]) -> None:
        self._tokens = [t.encode() for t in tokens]

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    def check(self, authorization: str | None) -> None:
        """Raise :class:`Unauthorized` unless the header carries a configured token."""
        if not self._tokens:
            return
        if not authorization:
            raise Unauthorized("missing Authorization header: send 'Authorization: Bearer <token>'")
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        candidate = given.strip().encode()
        matches = [hmac.compare_digest(candidate, token) for token in self._tokens]
        if not any(matches):
            raise Unauthorized("invalid API token")
