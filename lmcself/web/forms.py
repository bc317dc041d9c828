"""Flask-WTF forms for the no-JavaScript flow, built from the instrument data."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from lmcself.core.instrument import Question
from lmcself.core.plan import normalize_reentry
from lmcself.core.submissions import WORKSHOP_RE
from lmcself.core.text import clean_line
from lmcself.storage.workshops import NAME_MAX as WORKSHOP_NAME_MAX

ANSWER_REQUIRED = _l("Please choose an answer.")
NOT_AN_OPTION = _l("Please choose one of the answers shown.")


class StartForm(FlaskForm):
    consent = BooleanField(
        _l(
            "I agree that my answers, without my name or contact details, are used for this assessment."
        ),
        validators=[InputRequired(message=_l("Please tick the box to agree before you start."))],
    )
    workshop = HiddenField()


def _radio(question: Question) -> RadioField:
    # Texts from the instrument go through gettext like any other text: the YAML extractor
    # puts them into the catalogs.
    return RadioField(
        _l(question.text),
        choices=[SelectChoice(o.key, _l(o.label)) for o in question.options],
        validators=[InputRequired(message=ANSWER_REQUIRED)],
        validate_choice=True,
        invalid_choice_message=NOT_AN_OPTION,
        description=_l(question.help) if question.help else "",
    )


@cache
def questions_form(questions: tuple[Question, ...]) -> type[FlaskForm]:
    """A form class with one radio group per question, built once per group of questions."""
    attrs = {q.key: _radio(q) for q in questions}
    form_class = type("QuestionsForm", (FlaskForm,), attrs)
    return form_class


def valid_answers(form: FlaskForm, questions: tuple[Question, ...]) -> dict[str, str]:
    """The answers of a submitted form that are real options, even if others are missing."""
    out = {}
    for q in questions:
        value = form[q.key].data
        if value and q.option(value) is not None:
            out[q.key] = value
    return out


NAME_MAX = 80


def clean_name(value: str | None) -> str:
    """A name typed into a form, as core/text.py cleans every line people type."""
    return clean_line(value)


class PlanForm(FlaskForm):
    """The business name printed on the PDF: optional, never stored."""

    business_name = StringField(
        filters=[clean_name],
        validators=[
            Length(
                max=NAME_MAX,
                message=_l("Please use at most %(max)d characters.", max=NAME_MAX),
            )
        ],
    )


def _canonical_code(value: str | None) -> str | None:
    return normalize_reentry(value) or value if value else value


class ReentryForm(FlaskForm):
    code = StringField(
        filters=[_canonical_code],
        validators=[InputRequired(message=_l("Please type the code from your plan."))],
    )

    def validate_code(self, field) -> None:
        if normalize_reentry(field.data or "") is None:
            raise ValidationError(
                _l("A code has 12 letters and digits, for example 7K2D-9QXM-4BT1.")
            )


class LoginForm(FlaskForm):
    name = StringField(validators=[InputRequired(message=_l("Please type your user name."))])
    password = PasswordField(validators=[InputRequired(message=_l("Please type your password."))])


class WorkshopForm(FlaskForm):
    code = StringField(
        filters=[lambda v: (v or "").strip().upper()],
        validators=[InputRequired(message=_l("Please type a code for the workshop."))],
    )
    name = StringField(
        filters=[clean_name],
        validators=[
            InputRequired(message=_l("Please type a name for the workshop.")),
            Length(max=WORKSHOP_NAME_MAX, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    country = SelectField(validators=[InputRequired()])
    held_on = DateField(validators=[InputRequired(message=_l("Please give the date."))])

    def validate_code(self, field) -> None:
        if not WORKSHOP_RE.match(field.data or ""):
            raise ValidationError(
                _l("A code has 3 to 20 letters, digits or dashes, for example PHNOMPENH-1.")
            )


class ImportForm(FlaskForm):
    """Answers files from owners' phones, or bundles from other laptops."""

    files = MultipleFileField(
        validators=[FileRequired(message=_l("Please choose one or more files."))]
    )
