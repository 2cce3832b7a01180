from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from wtforms.i18n import get_translations

from aid.changes.models import CHANGE_KINDS
from aid.changes.workflow import CHANGE_STATES

_ZH = get_translations(["zh"])


class ChineseForm(FlaskForm):
    """WTForms' own messages (e.g. an unparsable date) in Chinese."""

    class Meta:
        def get_translations(self, form):
            return _ZH


class ChangeForm(ChineseForm):
    register_no = StringField("学籍号", validators=[DataRequired("请填写学生的学籍号"),
                                                 Length(max=40, message="学籍号不能超过40位")])
    kind = SelectField("异动类型", choices=list(CHANGE_KINDS.items()))
    happened_on = DateField("异动发生日期", validators=[InputRequired("请填写异动发生日期")],
                            format="%Y-%m-%d")
    reason = TextAreaField("异动原因", validators=[DataRequired("请填写异动原因"),
                                               Length(max=1000, message="异动原因不能超过1000字")])
    target_school_id = SelectField("转入学校（转学）", coerce=int, validators=[Optional()], validate_choice=False)
    target_class_id = SelectField("新班级（留级、转专业/转班）", coerce=int, validators=[Optional()], validate_choice=False)
    files = MultipleFileField("证明材料（JPEG、PNG 或 PDF）")


class ResubmitForm(ChineseForm):
    happened_on = DateField("异动发生日期", validators=[InputRequired("请填写异动发生日期")], format="%Y-%m-%d")
    reason = TextAreaField("异动原因", validators=[DataRequired("请填写异动原因"),
                                               Length(max=1000, message="异动原因不能超过1000字")])
    target_school_id = SelectField("转入学校（转学）", coerce=int, validators=[Optional()], validate_choice=False)
    target_class_id = SelectField("新班级", coerce=int, validators=[Optional()], validate_choice=False)
    files = MultipleFileField("补充证明材料")
    version = HiddenField()


class ActionForm(ChineseForm):
    """One workflow step; the reason is typed here (never hx-prompt)."""
    action = HiddenField(validators=[DataRequired("缺少操作")])
    version = HiddenField()
    reason = TextAreaField("原因", validators=[Optional(), Length(max=1000, message="原因不能超过1000字")])
    target_class_id = SelectField("转入班级", coerce=int, validators=[Optional()], validate_choice=False)


class EvidenceForm(ChineseForm):
    files = MultipleFileField("证明材料（JPEG、PNG 或 PDF）")


class BulkForm(ChineseForm):
    action = HiddenField(validators=[DataRequired("缺少操作")])


class QueueFilterForm(ChineseForm):
    class Meta:
        csrf = False

    kind = SelectField("类型", choices=[("", "全部类型")] + list(CHANGE_KINDS.items()), validators=[Optional()])
    state = SelectField("状态", choices=[("", "全部状态")] + [(k, v) for k, v in CHANGE_STATES.items() if k != "new"],
                        validators=[Optional()])
    school_id = SelectField("学校", coerce=int, validators=[Optional()], validate_choice=False)
    q = StringField("学生", validators=[Optional(), Length(max=40, message="搜索内容过长")])
    todo = BooleanField("只看待我处理")


class CalendarDayForm(ChineseForm):
    day = DateField("日期", validators=[InputRequired("请填写日期")], format="%Y-%m-%d")
    is_workday = SelectField("类别", choices=[("0", "休息日（法定节假日）"), ("1", "工作日（调休上班）")])
    note = StringField("说明", validators=[Optional(), Length(max=200, message="说明不能超过200字")])


class CalendarYearForm(ChineseForm):
    year = IntegerField("年份", validators=[InputRequired("请填写年份"),
                                          NumberRange(2000, 2100, message="年份必须在2000年到2100年之间")])
    note = StringField("说明（如依据的国务院办公厅通知）", validators=[Optional(), Length(max=200, message="说明不能超过200字")])
