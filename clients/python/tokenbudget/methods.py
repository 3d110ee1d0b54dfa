"""One Python method per protocol method, keyword arguments in snake_case (docs/protocol.md).

Shared by :class:`~tokenbudget.Client` (each method returns the result dict) and
:class:`~tokenbudget.AsyncClient` (each returns an awaitable of it). An argument left at None is not
sent, so the engine's default applies; ``summary_set(text=None)`` is the exception: it sends ``null``,
which removes the summary.
"""

from __future__ import annotations

from typing import Any, Dict, Generic, Mapping, Optional, TypeVar, Union

R = TypeVar("R")
Params = Mapping[str, Any]


def _present(**params: Any) -> Dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


class ProtocolMethods(Generic[R]):
    """The protocol's methods on top of :meth:`request`, which each client implements."""

    def request(self, method: str, params: Optional[Params] = None, *, timeout: Optional[float] = None) -> R:
        """Sends ``method`` with ``params`` (wire names) and returns its result; errors raise."""
        raise NotImplementedError

    def call(self, method: str, /, **params: Any) -> R:
        """Any method by its wire name, params by their wire names: ``call("session.ping", session="a")``."""
        return self.request(method, params)

    # MARK: - Sessions

    def session_open(self, *, session: str, script: Optional[str] = None, script_file: Optional[str] = None,
                     provider: Optional[str] = None, model: Optional[str] = None,
                     provider_policy: Optional[Params] = None, encoding: Optional[str] = None,
                     window: Optional[int] = None, reserve: Optional[int] = None,
                     policy: Union[str, Params, None] = None, renderer: Optional[str] = None,
                     business: Optional[str] = None, location: Optional[str] = None, user: Optional[str] = None,
                     metadata: Optional[Params] = None) -> R:
        """``session.open``: a new conversation with its pinned script (``script`` or ``script_file``).

        With ``provider`` (``gemini-live``, ``openai-realtime``) the result carries ``provider`` and
        ``send``, the messages that open the provider's connection (docs/providers.md).
        """
        return self.request("session.open", _present(
            session=session, script=script, scriptFile=script_file, provider=provider, model=model,
            providerPolicy=provider_policy, encoding=encoding, window=window, reserve=reserve, policy=policy,
            renderer=renderer, business=business, location=location, user=user, metadata=metadata))

    def session_ping(self, *, session: str) -> R:
        """``session.ping``: keeps an active session from being abandoned."""
        return self.request("session.ping", {"session": session})

    def session_close(self, *, session: str, status: Optional[str] = None) -> R:
        """``session.close``: ends the session, ``status`` ``closed`` (default) or ``resolved``."""
        return self.request("session.close", _present(session=session, status=status))

    def session_resume(self, *, session: str) -> R:
        """``session.resume``: the session rebuilt from the store (after a restart, or abandoned)."""
        return self.request("session.resume", {"session": session})

    # MARK: - Context events

    def turn_append(self, *, session: str, role: str, text: str, final: Optional[bool] = None,
                    metadata: Optional[Params] = None, audio_ms: Optional[int] = None,
                    provider_item_id: Optional[str] = None) -> R:
        """``turn.append``: a ``user`` or ``model`` turn; ``final=False`` for a partial transcript chunk.

        ``audio_ms``: the turn was spoken, this long so far; ``provider_item_id``: the provider's id of it.
        """
        return self.request("turn.append", _present(
            session=session, role=role, text=text, final=final, metadata=metadata, audioMs=audio_ms,
            providerItemId=provider_item_id))

    def instruction_push(self, *, session: str, text: str) -> R:
        """``instruction.push``: a manager instruction, pending until the client starts speaking."""
        return self.request("instruction.push", {"session": session, "text": text})

    def client_speech_started(self, *, session: str) -> R:
        """``client.speechStarted``: the pending instruction becomes active."""
        return self.request("client.speechStarted", {"session": session})

    def model_turn_complete(self, *, session: str) -> R:
        """``model.turnComplete``: the model's turn is final; the active instruction is stripped."""
        return self.request("model.turnComplete", {"session": session})

    def summary_set(self, *, session: str, text: Optional[str]) -> R:
        """``summary.set``: the summary of evicted history; ``text=None`` removes it."""
        return self.request("summary.set", {"session": session, "text": text})

    def context_snapshot(self, *, session: str, renderer: Optional[str] = None) -> R:
        """``context.snapshot``: the compacted context, in ``renderer`` or the session's own."""
        return self.request("context.snapshot", _present(session=session, renderer=renderer))

    # MARK: - Provider connections

    def resume_update(self, *, session: str, handle: Optional[str] = None, resumable: Optional[bool] = None) -> R:
        """``resume.update``: the latest resumption handle (Gemini's ``sessionResumptionUpdate``)."""
        return self.request("resume.update", _present(session=session, handle=handle, resumable=resumable))

    def resume_go_away(self, *, session: str, time_left_ms: Optional[int] = None) -> R:
        """``resume.goAway``: the connection is ending; the result's ``action`` is the plan."""
        return self.request("resume.goAway", _present(session=session, timeLeftMs=time_left_ms))

    def resume_connected(self, *, session: str, reseeded: Optional[bool] = None) -> R:
        """``resume.connected``: the new connection is up (``reseeded=True``: the re-seed plan was carried out)."""
        return self.request("resume.connected", _present(session=session, reseeded=reseeded))

    def usage_report(self, *, session: str, usage_metadata: Optional[Params] = None,
                     usage: Optional[Params] = None, input_tokens: Optional[int] = None,
                     audio_tokens: Optional[int] = None) -> R:
        """``usage.report``: what the provider reported (Gemini ``usageMetadata``, OpenAI ``usage``, or a count
        with, optionally, how many of its tokens were audio)."""
        return self.request("usage.report", _present(
            session=session, usageMetadata=usage_metadata, usage=usage, inputTokens=input_tokens,
            audioTokens=audio_tokens))

    # MARK: - Stored sessions

    def session_get(self, *, session: str) -> R:
        """``session.get``: the stored record with the live usage and hash."""
        return self.request("session.get", {"session": session})

    def session_messages(self, *, session: str, limit: Optional[int] = None) -> R:
        """``session.messages``: the transcript in order (``limit`` default 50, at most 500)."""
        return self.request("session.messages", _present(session=session, limit=limit))

    def sessions_active(self, *, business: Optional[str] = None, user: Optional[str] = None) -> R:
        """``sessions.active``: ``{"session": …}``, the newest active session of a business and user, or None."""
        return self.request("sessions.active", _present(business=business, user=user))

    def sessions_history(self, *, business: Optional[str] = None, user: Optional[str] = None,
                         limit: Optional[int] = None) -> R:
        """``sessions.history``: sessions newest first (``limit`` default 20, at most 100)."""
        return self.request("sessions.history", _present(business=business, user=user, limit=limit))

    def sessions_stats(self) -> R:
        """``sessions.stats``: per status, count, average duration and average messages."""
        return self.request("sessions.stats", {})
