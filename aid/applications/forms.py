from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    semester = SelectField("学期", validators=[Optional()])
    state = SelectField("状态", validators=[Optional()])
    school_id = SelectField("学校", coerce=int, validators=[Optional()])
    class_id = SelectField("班级", coerce=int, validators=[Optional()])
    programme_id = SelectField("项目", coerce=int, validators=[Optional()])
    level = SelectField("档次", validators=[Optional()])


class ProposalForm(FlaskForm):
    semester = SelectField("学期")
    programme_id = SelectField("项目", coerce=int)
    school_id = SelectField("学校", coerce=int)


class NewApplicationForm(FlaskForm):
    register_no = StringField("学籍号", validators=[DataRequired("请填写学籍号"), Length(max=40)])
    programme_id = SelectField("项目", coerce=int)
    semester = SelectField("学期")
    level = SelectField("档次（助学金；不选则按困难认定等级）", validators=[Optional()], validate_choice=False)
    note = TextAreaField("推荐理由 / 备注（国家奖学金必填）", validators=[Optional(), Length(max=1000, message="不能超过1000字")])


class ActForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version = HiddenField()
    reason = TextAreaField("原因", validators=[Optional(), Length(max=1000, message="不能超过1000字")])


class ApplyForm(FlaskForm):
    programme_id = HiddenField(validators=[DataRequired()])
    semester = HiddenField(validators=[DataRequired()])
