"""Time helpers: stored in UTC (naive), shown in China Standard Time."""
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc).astimezone(CST)


def local_today() -> date:
    return datetime.now(CST).date()


def format_date_cn(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def format_datetime(dt: datetime | None) -> str:
    local = to_local(dt)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""
