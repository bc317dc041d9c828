"""A finished assessment as a storable record: checked, scored by the server, anonymized."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date

from lmcself.core.instrument import CONTEXT_KEYS, Instrument
from lmcself.core.scoring import score

WORKSHOP_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,19}$")


class InvalidSubmission(ValueError):
    """The submission does not fit the instrument; the message says which field."""


def new_id() -> str:
    return str(uuid.uuid4())


def normalize_workshop(code: str | None) -> str | None:
    """Workshop codes are case-insensitive on input and stored upper-case; None when absent or invalid."""
    if not code:
        return None
    code = code.strip().upper()
    return code if WORKSHOP_RE.match(code) else None


def build_record(
    instrument: Instrument,
    submission_id: str,
    locale: str,
    context: Mapping[str, str],
    answers: Mapping[str, str],
    workshop: str | None = None,
    today: date | None = None,
) -> dict:
    """Check the context and answers, score them here (never trusting a client's score)."""
    try:
        submission_id = str(uuid.UUID(submission_id))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidSubmission("id: not a UUID") from exc
    record: dict = {"id": submission_id, "locale": locale, "workshop": workshop}
    for key in CONTEXT_KEYS:
        question = instrument.context_question(key)
        value = context.get(key)
        if question.option(value) is None:
            raise InvalidSubmission(f"context.{key}: missing or not one of the options")
        record[key] = value
    try:
        result = score(instrument, answers)
    except ValueError as exc:
        raise InvalidSubmission(f"answers: {exc}") from exc
    record.update(
        instrument_version=instrument.version,
        answers=dict(answers),
        scores=result.as_dict(),
        overall=result.overall,
        level=result.level,
        # The date only: a time of day would help to identify a respondent.
        created_on=(today or date.today()).isoformat(),
    )
    return record
