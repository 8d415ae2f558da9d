"""Generic forms built from the FieldSpecs in :mod:`accountdesk.domain.schema`."""

from .editors import ChoiceEditor, DateEditor, DateTimeEditor, Editor, MultiChoiceEditor
from .lookups import Lookups
from .record_form import RecordDialog, RecordForm, confirm_delete, visible_fields

__all__ = [
    "ChoiceEditor",
    "DateEditor",
    "DateTimeEditor",
    "Editor",
    "Lookups",
    "MultiChoiceEditor",
    "RecordDialog",
    "RecordForm",
    "confirm_delete",
    "visible_fields",
]
