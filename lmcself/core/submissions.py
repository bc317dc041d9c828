"""A finished assessment in one typed, immutable shape: `Submission`.

Every way in builds one through a named constructor: the no-JavaScript form (`from_form`), the
JSON API (`from_payload`), a bundle or pushed line (`from_line`), the owner's downloaded answers
file (`from_answers_file`) and a stored row (`from_row`). Every way out is a method: `to_row`
(storage), `to_line` (bundles and pushes), `to_phone` (the API's answer). Checking happens once,
in `_checked`, so every way in gives the same error for the same fault; the server always scores
the answers itself and never reads a client's score.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from lmcself.core.instrument import CONTEXT_KEYS, VERSIONS, Instrument, instrument_for
from lmcself.core.locales import LOCALES, parse_locale
from lmcself.core.plan import normalize_reentry, reentry_code
from lmcself.core.scoring import Result, ScoringError, score

WORKSHOP_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,19}$")
EARLIEST = date(2020, 1, 1)  # no submission is older than the questionnaire
# What was answered: a retry on another day (created_on) or a new score for it still matches.
CONTENT_FIELDS = (
    "instrument_version",
    "locale",
    *CONTEXT_KEYS,
    "workshop",
    "answers",
    "scores",
    "overall",
    "level",
)


class InvalidSubmission(ValueError):
    """The submission does not fit this server's questionnaire; `field` says where."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def new_id() -> str:
    return str(uuid.uuid4())


def normalize_workshop(code: object) -> str | None:
    """Workshop codes are case-insensitive on input and stored upper-case; None when absent or invalid."""
    if not isinstance(code, str) or not code:
        return None
    code = code.strip().upper()
    return code if WORKSHOP_RE.match(code) else None


@dataclass(frozen=True, slots=True)
class Submission:
    """One owner's finished, server-scored assessment. Frozen: a re-assessment is a new one."""

    id: str
    instrument_version: str
    locale: str  # the URL code (core/locales.py)
    context: Mapping[str, str]
    answers: Mapping[str, str]
    workshop: str | None
    created_on: date
    result: Result
    # The re-entry code of the owner's previous check, when they came back with it: the one link
    # between two checks (core/progress.py), never a person.
    follows: str | None = None

    # Ways in -------------------------------------------------------------------------------

    @classmethod
    def from_form(
        cls, instrument: Instrument, state: Mapping[str, object], locale: str, today: date
    ) -> Submission:
        """The no-JavaScript flow's session state ({id, workshop, context, answers})."""
        return _checked(
            instrument,
            submission_id=state.get("id"),
            version=instrument.version,
            locale=locale,
            context=state.get("context"),
            answers=state.get("answers"),
            workshop=state.get("workshop"),
            created_on=today,
            latest=today,
            follows=state.get("follows"),
        )

    @classmethod
    def from_payload(cls, instrument: Instrument, payload: object, today: date) -> Submission:
        """The JSON the phone posts to the API; it is dated by the server."""
        return _from_fields(instrument, _object(payload, "submission"), today, today)

    @classmethod
    def from_line(cls, instrument: Instrument, line: object, latest: date) -> Submission:
        """A bundle line or a pushed line (`to_line`): the original date is kept."""
        item = _object(line, "submission")
        return _from_fields(instrument, item, _date(item.get("created_on"), "created_on"), latest)

    @classmethod
    def from_answers_file(cls, instrument: Instrument, data: object, latest: date) -> Submission:
        """The file an owner downloads on the phone ("Download your answers"): the payload the
        phone would have posted, the phone's result (not read) and the date it was finished."""
        item = _object(data, "answers file")
        payload = _object(item.get("payload"), "payload")
        return _from_fields(instrument, payload, _date(item.get("date"), "date"), latest)

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Submission:
        """A stored row, trusted as stored: its scores are those it was stored with, so a result
        keeps the questionnaire version that scored it."""
        return cls(
            id=str(row["id"]),
            instrument_version=str(row["instrument_version"]),
            locale=parse_locale(row["locale"]) or str(row["locale"]),
            context=MappingProxyType({k: str(row[k]) for k in CONTEXT_KEYS}),
            answers=MappingProxyType(_json_object(row["answers"])),
            workshop=str(row["workshop"]) if row.get("workshop") else None,
            created_on=date.fromisoformat(str(row["created_on"])),
            result=Result.from_dict(_json_object(row["scores"])),
            follows=str(row["follows"]) if row.get("follows") else None,
        )

    # Ways out ------------------------------------------------------------------------------

    @property
    def reentry(self) -> str:
        """The re-entry code printed on the plan, made from the id."""
        return reentry_code(self.id)

    @property
    def scores(self) -> dict:
        return self.result.as_dict()

    def to_row(self) -> dict[str, object]:
        """The `submissions` row: answers and scores as JSON, a content hash that tells a retry
        (same id, same content) from a conflict, and the re-entry code."""
        row: dict[str, object] = {
            "id": self.id,
            "instrument_version": self.instrument_version,
            "locale": self.locale,
            **self.context,
            "workshop": self.workshop,
            "answers": json.dumps(dict(self.answers), sort_keys=True, ensure_ascii=False),
            "scores": json.dumps(self.scores, sort_keys=True, ensure_ascii=False),
            "overall": self.result.overall,
            "level": self.result.level,
            # The date only: a time of day would help to identify a respondent.
            "created_on": self.created_on.isoformat(),
        }
        row["content_hash"] = content_hash(row)
        row["reentry"] = self.reentry
        if self.follows:  # the check this one follows (storage keeps NULL for a first check)
            row["follows"] = self.follows
        return row

    def to_line(self) -> dict[str, object]:
        """A bundle or push line: what was answered, not the scores (the receiver scores again)."""
        return _line(
            self.id,
            self.instrument_version,
            self.locale,
            dict(self.context),
            dict(self.answers),
            self.workshop,
            self.created_on.isoformat(),
            self.follows,
        )

    @staticmethod
    def line_of_row(row: Mapping[str, object]) -> dict[str, object]:
        """A stored row's line, as `from_row(row).to_line()` gives it, without reading the
        scores a line does not carry: an export reads every row (a third of its time)."""
        return _line(
            str(row["id"]),
            str(row["instrument_version"]),
            parse_locale(row["locale"]) or str(row["locale"]),
            {k: str(row[k]) for k in CONTEXT_KEYS},
            _json_object(row["answers"]),
            str(row["workshop"]) if row.get("workshop") else None,
            date.fromisoformat(str(row["created_on"])).isoformat(),
            str(row["follows"]) if row.get("follows") else None,
        )

    def to_phone(self) -> dict[str, object]:
        """What the API answers the phone: the id and the server's scores."""
        return {"id": self.id, "scores": self.scores}


def _line(
    submission_id: str,
    version: str,
    locale: str,
    context: dict[str, str],
    answers: dict[str, str],
    workshop: str | None,
    created_on: str,
    follows: str | None,
) -> dict[str, object]:
    """A bundle or push line's one shape (Submission.to_line, Submission.line_of_row)."""
    line: dict[str, object] = {
        "id": submission_id,
        "instrument_version": version,
        "locale": locale,
        "context": context,
        "answers": answers,
        "workshop": workshop,
        "created_on": created_on,
    }
    if follows:  # only when set: a line of a first check is as it always was
        line["follows"] = follows
    return line


def content_hash(row: Mapping[str, object]) -> str:
    canonical = json.dumps([row.get(c) for c in CONTENT_FIELDS], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _json_object(value: object) -> dict:
    """A stored JSON column (text), or the object itself."""
    return json.loads(value) if isinstance(value, str) else dict(value)  # type: ignore[call-overload]


def _object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise InvalidSubmission(what, "must be a JSON object")
    return value


def _date(value: object, field: str) -> date:
    """An ISO date no earlier than EARLIEST (a laptop whose clock was never set says 1970)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None and day >= EARLIEST:
            return day
    raise InvalidSubmission(field, f"not a date (YYYY-MM-DD) from {EARLIEST} on")


def _from_fields(
    instrument: Instrument, item: Mapping[str, object], created_on: date, latest: date
) -> Submission:
    """A submission from the fields the API, bundles, pushes and answers files share."""
    return _checked(
        instrument,
        submission_id=item.get("id"),
        version=item.get("instrument_version"),
        locale=item.get("locale"),
        context=item.get("context"),
        answers=item.get("answers"),
        workshop=item.get("workshop"),
        created_on=created_on,
        latest=latest,
        follows=item.get("follows"),
    )


def _instrument_of(instrument: Instrument, version: object) -> Instrument:
    """The instrument that scores a submission of `version`: the server's own, or another
    version it knows (a result or a questionnaire begun on an older version keeps its version);
    an unknown version is refused."""
    if version == instrument.version:
        return instrument
    if isinstance(version, str) and version in VERSIONS:
        return instrument_for(version)
    known = sorted({instrument.version, *VERSIONS})
    raise InvalidSubmission(
        "instrument_version",
        f"this server scores questionnaire version {' or '.join(map(repr, known))}, "
        f"not {version!r}",
    )


def _checked(
    instrument: Instrument,
    *,
    submission_id: object,
    version: object,
    locale: object,
    context: object,
    answers: object,
    workshop: object,
    created_on: date,
    latest: date,
    follows: object = None,
) -> Submission:
    """The one place a submission is checked and scored; every constructor but from_row ends here."""
    try:
        canonical_id = str(uuid.UUID(submission_id)) if isinstance(submission_id, str) else None
    except ValueError:
        canonical_id = None
    if canonical_id is None:
        raise InvalidSubmission("id", "not a UUID")
    instrument = _instrument_of(instrument, version)
    code = parse_locale(locale)
    if code is None:
        raise InvalidSubmission("locale", f"{locale!r} is not one of {', '.join(LOCALES)}")
    if not isinstance(context, dict):
        raise InvalidSubmission("context", "must be a JSON object")
    checked_context = {}
    for key in CONTEXT_KEYS:
        value = context.get(key)
        if not isinstance(value, str) or instrument.context_question(key).option(value) is None:
            raise InvalidSubmission(f"context.{key}", "missing or not one of the options")
        checked_context[key] = value
    if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
        raise InvalidSubmission("answers", "must be a JSON object of texts")
    if workshop is None:
        code_w = None
    else:
        code_w = normalize_workshop(workshop)
        if code_w is None:
            raise InvalidSubmission("workshop", "not a valid workshop code")
    if created_on > latest:
        raise InvalidSubmission("created_on", f"{created_on} is in the future")
    previous = None
    if follows is not None:
        previous = normalize_reentry(follows) if isinstance(follows, str) else None
        if previous is None or previous == reentry_code(canonical_id):
            raise InvalidSubmission("follows", "not the re-entry code of another check")
    try:
        result = score(instrument, answers, checked_context)
    except ScoringError as exc:
        raise InvalidSubmission("answers", str(exc)) from exc
    answers = instrument.shown(checked_context, answers)  # answers to hidden questions dropped
    return Submission(
        id=canonical_id,
        instrument_version=instrument.version,
        locale=code,
        context=MappingProxyType(checked_context),
        answers=MappingProxyType(dict(answers)),
        workshop=code_w,
        created_on=created_on,
        result=result,
        follows=previous,
    )
