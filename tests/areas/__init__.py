"""Per-area test registrations, discovered by name: each module may define
ROUTE_ARGS (endpoint → (world, key) → URL kwargs), OWN_STATUS (endpoint →
allowed statuses) and build_world(world, key, objs) (adds that area's records
to every school of the test world)."""
import importlib
import pkgutil


def area_modules():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        yield importlib.import_module(f"{__name__}.{info.name}")
