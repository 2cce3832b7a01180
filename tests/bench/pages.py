"""The pages and partials the benchmark measures: (name, role, path, htmx[, form]).

A fifth element makes it a POST of that form (the CSRF token is added); "{name}",
"{register_no}" and "{id_number}" in paths and forms are filled from a sample student
of the school officer's school (tests/bench/inprocess.py: sample). Every list and queue page is
measured for each role that has it, plus its HTMX partial (a filter or page 2)."""
P, B, O, L = "province_admin", "bureau_officer", "school_officer", "school_leader"
STAFF = (P, B, O, L)
SHORT = {P: "province", B: "bureau", O: "officer", L: "leader"}


def _each(label, path, roles=STAFF, partial=None):
    rows = []
    for role in roles:
        rows.append((f"{label} {SHORT[role]}", role, path, False))
        if partial:
            rows.append((f"{label} partial {SHORT[role]}", role, partial, True))
    return rows


PAGES = [
    # dashboards (the province home page carries the red-flag counts)
    ("首页 province", P, "/home", False),
    ("首页 bureau", B, "/home", False),
    ("首页 school officer", O, "/home", False),
    ("首页 school leader", L, "/home", False),
    ("首页 student", "student", "/home", False),
    ("学校列表", P, "/org/schools", False),
    ("学校搜索 partial", P, "/org/schools?q=%E5%9F%BA%E5%87%86%E7%AC%AC1", True),
    ("用户列表", P, "/org/users", False),
    ("审计日志", P, "/audit/", False),
    # students
    *_each("学生列表", "/students/", partial="/students/?page=20"),
    ("学生 非全日制 partial officer", O, "/students/?mode=part_time&reg=submitted&sort=name", True),
    ("学生 搜索姓名 partial province", P, "/students/", True, {"q": "{name}"}),
    ("学生 搜索姓名 partial officer", O, "/students/", True, {"q": "{name}"}),
    ("学生 搜索学籍号 partial province", P, "/students/", True, {"q": "{register_no}"}),
    ("学生 搜索身份证 partial province", P, "/students/", True, {"q": "{id_number}"}),
    ("学生 搜索身份证 partial officer", O, "/students/", True, {"q": "{id_number}"}),
    *_each("专业班级", "/students/classes", roles=(P, O)),
    *_each("电子注册", "/students/registration", roles=(P, B, O)),
    *_each("数据质量", "/students/quality", roles=(P, O)),
    # aid
    *_each("资助审批队列", "/applications/queue", partial="/applications/queue?state=submitted&page=2"),
    ("资助名单 officer", O, "/applications/proposals", False),
    *_each("困难认定", "/hardship/", partial="/hardship/?state=filed&page=2"),
    *_each("应助尽助", "/hardship/coverage", roles=(P, B, O)),
    *_each("资助项目", "/programmes/", roles=(P, O)),
    # status changes
    *_each("学籍异动队列", "/changes/", partial="/changes/?todo=y"),
    ("异动待办数 partial officer", O, "/changes/todo-count", True),
    *_each("异动及时率", "/changes/timeliness", roles=(P, B)),
    # notices
    *_each("公示列表", "/notices", partial="/notices?state=posted"),
    ("公开公示列表 (public)", P, "/public/notices", False),
    ("我的资助 student", "student", "/applications/mine", False),
    # funds
    *_each("资金下达", "/funds/allocations", roles=(P, B, O)),
    *_each("资金下达汇总", "/funds/allocations/totals", roles=(P, B)),
    *_each("发放批次", "/funds/batches"),
    *_each("发放批次明细", "/funds/batches/{batch_id}", roles=(O, L)),
    *_each("学期结算", "/funds/settlements", roles=(P, B, O)),
    *_each("资金追回", "/funds/recovery", roles=(P, B, O)),
    *_each("学费减免台账", "/funds/waivers", roles=(P, O)),
    ("我的发放 student", "student", "/funds/my", False),
    # supervision and reports
    *_each("点名抽验", "/supervision/rollcalls", roles=(P, B)),
    *_each("实地检查", "/supervision/inspections", roles=(P, B)),
    *_each("监督检查总览", "/supervision/", roles=(P, B)),
    *_each("红旗清单", "/supervision/flags", roles=(P, B)),
    *_each("红旗 超时异动", "/supervision/flags/overdue_changes", roles=(P, B)),
    ("整改措施 officer", O, "/supervision/measures", False),
    *_each("统计报表", "/reports/", roles=(P, B, O), partial="/reports/"),
]
THROUGHPUT_PAGE = ("资助审批队列 officer", O, "/applications/queue")
