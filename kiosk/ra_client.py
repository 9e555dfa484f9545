"""The RA desk's calls to the unlock service (docs/api.md "The RA desk").

Beside `kiosk.service_client`, on the same plumbing (`ServiceHttp`: retries, one
Idempotency-Key per logical call, refusals as `ServiceRejected` with the problem
code). Answers are read into the contract's own models (`contract/ra_wire.py`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, TypeVar

from pydantic import ValidationError

from contract.ra_wire import (
    AssistedUnlockOut,
    HolderStateOut,
    RaSessionOut,
    ReportOut,
)
from kiosk.proof_body import CardProofValue, card_proof_json
from kiosk.service_http import ServiceError, ServiceHttpClient


class RaClient(ServiceHttpClient):
    """Async client for the RA endpoints, as an RA-desk kiosk (`ServiceHttpClient`'s
    arguments; in the kiosk, `ServiceClient.ra_client` shares its connection)."""

    async def new_nonce(self) -> bytes:
        """POST /v1/nonces: a nonce for a card proof."""
        body = await self._service.json("POST", "/v1/nonces")
        return bytes.fromhex(str(body["nonce"]))

    async def sign_in(
        self, serial: bytes | str, uuid: str, nonce: bytes, proof: CardProofValue
    ) -> RaSessionOut:
        """POST /v1/ra/sessions with the RA card's holder-key MAC (passcode verified)."""
        body = await self._service.json(
            "POST", "/v1/ra/sessions", json=card_proof_json(serial, uuid, nonce, proof)
        )
        return _read(RaSessionOut, body)

    async def sign_out(
        self, session_id: str, reason: Literal["card_removed", "signed_out", "idle"]
    ) -> None:
        """POST /v1/ra/sessions/{id}/end."""
        await self._service.call(
            "POST", f"/v1/ra/sessions/{session_id}/end", json={"reason": reason}
        )

    async def holder_card(
        self, session_id: str, serial: bytes | str, uuid: str, nonce: bytes, proof: CardProofValue
    ) -> HolderStateOut:
        """POST /v1/ra/sessions/{id}/holder with the holder card's card-key MAC."""
        body = await self._service.json(
            "POST",
            f"/v1/ra/sessions/{session_id}/holder",
            json=card_proof_json(serial, uuid, nonce, proof),
        )
        return _read(HolderStateOut, body)

    async def holder_state(self, session_id: str) -> HolderStateOut:
        """GET /v1/ra/sessions/{id}/holder."""
        body = await self._service.json("GET", f"/v1/ra/sessions/{session_id}/holder")
        return _read(HolderStateOut, body)

    async def clear_lock(self, session_id: str) -> HolderStateOut:
        """POST /v1/ra/sessions/{id}/clear-lock."""
        body = await self._service.json("POST", f"/v1/ra/sessions/{session_id}/clear-lock")
        return _read(HolderStateOut, body)

    async def change_contacts(self, session_id: str, email: str, mobile: str) -> HolderStateOut:
        """POST /v1/ra/sessions/{id}/contacts."""
        body = await self._service.json(
            "POST",
            f"/v1/ra/sessions/{session_id}/contacts",
            json={"email": email, "mobile": mobile},
        )
        return _read(HolderStateOut, body)

    async def start_assisted_unlock(
        self, session_id: str, serial: bytes | str, uuid: str, nonce: bytes, proof: CardProofValue
    ) -> AssistedUnlockOut:
        """POST /v1/ra/sessions/{id}/unlocks: the RA's word given, the holder's card proved."""
        body = await self._service.json(
            "POST",
            f"/v1/ra/sessions/{session_id}/unlocks",
            json={
                **card_proof_json(serial, uuid, nonce, proof),
                "holder_present": True,
                "photo_matches": True,
            },
        )
        return _read(AssistedUnlockOut, body)

    async def assisted_cryptogram(
        self,
        session_id: str,
        unlock_id: str,
        challenge: bytes,
        *,
        idempotency_key: str | None = None,
    ) -> bytes:
        """POST .../unlocks/{uid}/cryptogram: the 16 bytes for RESET RETRY COUNTER."""
        body = await self._service.json(
            "POST",
            f"/v1/ra/sessions/{session_id}/unlocks/{unlock_id}/cryptogram",
            json={"challenge": challenge.hex()},
            idempotency_key=idempotency_key,
        )
        return bytes.fromhex(str(body["cryptogram"]))

    async def assisted_result(
        self,
        session_id: str,
        unlock_id: str,
        outcome: Literal["unlocked", "card_error"],
        status_word: int,
        *,
        idempotency_key: str | None = None,
    ) -> None:
        """POST .../unlocks/{uid}/result with what the card answered."""
        await self._service.call(
            "POST",
            f"/v1/ra/sessions/{session_id}/unlocks/{unlock_id}/result",
            json={"outcome": outcome, "status_word": f"{status_word:04X}"},
            idempotency_key=idempotency_key,
        )

    async def report(self, session_id: str, since: date, until: date) -> ReportOut:
        """GET /v1/ra/sessions/{id}/report (an RA manager's session)."""
        query = f"since={since.isoformat()}&until={until.isoformat()}"
        body = await self._service.json("GET", f"/v1/ra/sessions/{session_id}/report?{query}")
        return _read(ReportOut, body)


M = TypeVar("M", RaSessionOut, HolderStateOut, AssistedUnlockOut, ReportOut)


def _read(model: type[M], body: dict[str, object]) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ServiceError("unexpected answer from the service") from exc
