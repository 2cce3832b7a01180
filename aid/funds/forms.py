from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from aid.funds.models import FUND_SOURCES


def id_or_zero(value) -> int:
    """Choice ids are checked by the service (jurisdiction, programme), which answers in
    Chinese; WTForms' own choice errors are English, so a bad id becomes 0 here."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class ChineseDateField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("日期格式不正确，请按 2025-09-15 的格式填写") from None


def _id_select(label: str) -> SelectField:
    return SelectField(label, coerce=id_or_zero, validate_choice=False)


class AllocationForm(FlaskForm):
    school_id = _id_select("学校")
    programme_id = _id_select("资助项目")
    semester = SelectField("学期", validate_choice=False)
    source = SelectField("资金来源", choices=list(FUND_SOURCES.items()), validate_choice=False)
    doc_number = StringField("下达文号", validators=[DataRequired("请填写下达文号"), Length(max=100, message="文号不能超过100字")])
    doc_date = ChineseDateField("下达日期", validators=[DataRequired("请填写正确的下达日期（格式：2025-09-15）")])
    amount = StringField("金额（元）", validators=[DataRequired("请填写金额")])
    note = StringField("备注", validators=[Optional(), Length(max=500, message="备注不能超过500字")])


class BuildForm(FlaskForm):
    programme_id = _id_select("资助项目")
    period = SelectField("发放期次", validate_choice=False)
    note = StringField("备注", validators=[Optional(), Length(max=500, message="备注不能超过500字")])


class VersionForm(FlaskForm):
    """A POST button that carries the version the user saw (optimistic locking)."""
    version = HiddenField()


class ReasonForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("原因", validators=[DataRequired("请填写原因"), Length(max=1000, message="原因不能超过1000字")])


class UploadForm(FlaskForm):
    file = FileField("银行回盘文件（.xlsx）")


class SettlementForm(FlaskForm):
    programme_id = _id_select("资助项目")
    semester = SelectField("学期", validate_choice=False)
    note = TextAreaField("结余处理说明", validators=[Optional(), Length(max=2000, message="说明不能超过2000字")])


class RecoveryForm(FlaskForm):
    note = StringField("追回说明", validators=[DataRequired("请填写追回说明（如退款凭证号、日期）"),
                                           Length(max=500, message="说明不能超过500字")])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    programme_id = SelectField("资助项目", coerce=int, validate_choice=False)
    semester = SelectField("学期", validate_choice=False)
    state = SelectField("状态", validate_choice=False)
