"""Chinese error pages; htmx requests get a short fragment instead."""
from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from aid.extensions import db

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请检查后重试。"),
    401: ("需要登录", "请先登录。"),
    403: ("无权访问", "您的账户没有执行此操作的权限。"),
    404: ("页面不存在", "您访问的页面或记录不存在，或不在您的管辖范围内。"),
    405: ("请求方式不允许", "该地址不支持此请求方式。"),
    413: ("文件过大", "上传的文件超过大小限制。"),
    500: ("服务器错误", "系统出现内部错误，已记录，请稍后重试或联系管理员。"),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, ("出错了", "请求无法完成。"))
    if detail:
        message = detail
    template = "errors/_error.html" if request.headers.get("HX-Request") == "true" else "errors/error.html"
    return render_template(template, code=code, title=title, message=message), code


def init_errors(app: Flask) -> None:
    for code in (400, 401, 403, 404, 405, 413):
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return render_error(400, "表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(500)
    def _server_error(_e):
        db.session.rollback()
        return render_error(500)
