from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from aid.notices.service import NOTICE_KINDS, OBJECTION_CHANNELS


class NoticeForm(FlaskForm):
    kind = SelectField("公示类别", choices=list(NOTICE_KINDS.items()))
    semester = SelectField("学期")
    title = StringField("公示标题", validators=[Optional(), Length(max=200, message="标题不能超过200字")])
    first_day = DateField("公示开始日期", validators=[InputRequired("请填写公示开始日期")],
                          format="%Y-%m-%d")
    end_day = DateField("公示结束日期", validators=[InputRequired("请填写公示结束日期")], format="%Y-%m-%d")
    contact = StringField("异议受理联系方式", validators=[Optional(), Length(max=200, message="联系方式不能超过200字")])


class PeriodForm(FlaskForm):
    first_day = DateField("公示开始日期", validators=[InputRequired("请填写公示开始日期")], format="%Y-%m-%d")
    end_day = DateField("公示结束日期", validators=[InputRequired("请填写公示结束日期")], format="%Y-%m-%d")


class ActionForm(FlaskForm):
    version = IntegerField(validators=[Optional()])
    reason = TextAreaField("原因", validators=[Optional(), Length(max=1000, message="原因不能超过1000字")])


class ObjectionForm(FlaskForm):
    item_id = SelectField("针对学生", coerce=int)
    received_on = DateField("受理日期", validators=[InputRequired("请填写受理日期")], format="%Y-%m-%d")
    received_by = StringField("受理人", validators=[DataRequired("请填写受理人"), Length(max=50, message="受理人不能超过50字")])
    channel = SelectField("受理方式", choices=[(c, c) for c in OBJECTION_CHANNELS])
    content = TextAreaField("异议内容", validators=[DataRequired("请填写异议内容"),
                                                Length(max=2000, message="异议内容不能超过2000字")])


class ResolveForm(FlaskForm):
    outcome = TextAreaField("处理结果", validators=[DataRequired("请填写处理结果"),
                                                Length(max=2000, message="处理结果不能超过2000字")])
    withdraw_item = BooleanField("异议成立，将该学生撤出公示")


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField("状态", validate_choice=False)
    kind = SelectField("类别", validate_choice=False)

