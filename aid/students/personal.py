"""Writing personal data onto a student: validated, sealed, masked — in one place."""
from __future__ import annotations

from aid.core.identity import id_number_problem, mask_card, mask_id, mask_phone
from aid.core.protected import open_sealed, seal


def set_id_number(student, number: str) -> None:
    """Seal the ID number; set the student's birth date and gender first (they are checked against it)."""
    student.id_number_enc, student.id_number_hash = seal(number)
    student.id_number_masked = mask_id(number)
    check_id_number(student, number)


def check_id_number(student, number: str | None = None) -> None:
    """Store what is wrong with the ID number against the record's birth date and gender (None: nothing).
    Call after any change of the ID, birth date or gender; `number` saves decrypting it again."""
    if number is None:
        number = open_sealed(student.id_number_enc)
    student.id_number_problem = id_number_problem(number, student.birth_date, student.gender)


def set_aid_card(student, number: str | None, kind: str = "aid_card") -> None:
    if not number:
        student.aid_card_enc = student.aid_card_hash = None
        student.aid_card_masked, student.aid_card_kind = "", ""
        return
    student.aid_card_enc, student.aid_card_hash = seal(number)
    student.aid_card_masked = mask_card(number)
    student.aid_card_kind = kind


def set_phone(student, number: str | None) -> None:
    if not number:
        student.phone_enc, student.phone_masked = None, ""
        return
    student.phone_enc, _ = seal(number)
    student.phone_masked = mask_phone(number)


def reveal(student, field: str) -> str:
    """The full value; callers must audit the reveal (students.service.reveal_field)."""
    blob = {"id_number": student.id_number_enc, "aid_card": student.aid_card_enc, "phone": student.phone_enc}[field]
    return open_sealed(blob)
