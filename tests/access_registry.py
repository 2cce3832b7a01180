"""Route arguments for the route × role access test.

Every route with URL parameters needs an entry: a function (world, key) →
URL kwargs naming the same kind of record in school `key` ("A1" is the test
users' own school; "A1b" another student of it; "A2", "B1", "Z1" are outside
some or all jurisdictions). Routes without parameters need no entry.
`OWN_STATUS` lists endpoints whose allowed-role GET may answer something other
than 2xx/3xx for a valid reason (e.g. a document not rendered yet).
"""
ROUTE_ARGS = {
    "org.school_detail": lambda w, k: {"school_id": w.obj[k].school.id},
    "org.school_edit": lambda w, k: {"school_id": w.obj[k].school.id},
    "org.user_action": lambda w, k: {"user_id": _school_user(w, k).id, "action": "unlock"},
}

# endpoint → allowed statuses for the allowed role on its own record
OWN_STATUS: dict[str, tuple[int, ...]] = {}


def _collect_areas():
    from tests.areas import area_modules

    for module in area_modules():
        ROUTE_ARGS.update(getattr(module, "ROUTE_ARGS", {}))
        OWN_STATUS.update(getattr(module, "OWN_STATUS", {}))


def _school_user(w, key):
    from aid.auth.models import User
    from aid.extensions import db
    from sqlalchemy import select

    school = w.obj[key].school
    user = db.session.execute(select(User).where(User.school_id == school.id, User.role != "student")).scalars().first()
    if user is None:
        from tests.world import add_user
        user = add_user(w, f"officer_{key}", f"officer_{key.lower()}", "school_officer", school_id=school.id)
        db.session.commit()
    return user


_collect_areas()
