"""`Closing`: a `with` block that closes what it opened, for sessions and profiles."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """Mixin: `with x:` calls `x.close()` on the way out, whatever happened."""

    def close(self) -> None:
        """Release what the object holds."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
