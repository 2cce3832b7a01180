"""Student register: route arguments for the route × role matrix and the records
each test-world school gets (an import job of its officer)."""
from aid.extensions import db
from aid.printing.models import Job


def build_world(w, key, objs):
    if key == "A1b":
        return
    creator = w.users["school_officer"] if key == "A1" else None
    job = Job(kind="student_import_preview", school_id=objs.school.id, created_by=creator.id if creator else None,
              status="queued", total=10, params='{"token": "x", "phase": "preview"}')
    db.session.add(job)
    db.session.flush()
    objs.import_job = job


def _job(w, key):
    return w.obj["A1" if key == "A1b" else key].import_job


ROUTE_ARGS = {
    "students.detail": lambda w, k: {"student_id": w.obj[k].student.id},
    "students.edit": lambda w, k: {"student_id": w.obj[k].student.id},
    "students.study_mode": lambda w, k: {"student_id": w.obj[k].student.id},
    "students.reveal": lambda w, k: {"student_id": w.obj[k].student.id, "field": "id_number"},
    "students.archive": lambda w, k: {"student_id": w.obj[k].student.id},
    "students.major_edit": lambda w, k: {"major_id": w.obj[k].major.id},
    "students.major_delete": lambda w, k: {"major_id": w.obj[k].major.id},
    "students.class_edit": lambda w, k: {"class_id": w.obj[k].school_class.id},
    "students.class_delete": lambda w, k: {"class_id": w.obj[k].school_class.id},
    "students.import_job": lambda w, k: {"job_id": _job(w, k).id},
}
