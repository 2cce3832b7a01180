"""The pages and partials the benchmark measures: (name, role, path, htmx).
Areas append their list and queue pages here."""
PAGES = [
    ("首页 province", "province_admin", "/home", False),
    ("首页 bureau", "bureau_officer", "/home", False),
    ("首页 school", "school_officer", "/home", False),
    ("学校列表", "province_admin", "/org/schools", False),
    ("学校搜索 partial", "province_admin", "/org/schools?q=%E5%9F%BA%E5%87%86%E7%AC%AC1", True),
    ("用户列表", "province_admin", "/org/users", False),
    ("审计日志", "province_admin", "/audit/", False),
]
THROUGHPUT_PAGE = ("首页 school", "school_officer", "/home")
