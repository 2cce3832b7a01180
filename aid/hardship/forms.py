from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DecimalField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from aid.programmes.forms import MultiCheckboxField


class MemberForm(Form):
    relation = StringField("关系", validators=[Optional(), Length(max=10, message="关系不能超过10字")])
    name = StringField("姓名", validators=[Optional(), Length(max=30, message="姓名不能超过30字")])
    age = IntegerField("年龄", validators=[Optional(), NumberRange(min=0, max=120, message="年龄须为0–120")])
    occupation = StringField("职业或工作单位", validators=[Optional(), Length(max=50, message="不能超过50字")])
    income_yuan = DecimalField("年收入（元）", places=2, validators=[Optional(), NumberRange(min=0, max=10**8, message="年收入须为非负数")])


class HardshipForm(FlaskForm):
    register_no = StringField("学籍号", validators=[Optional(), Length(max=40)])
    semester = SelectField("认定学期")
    categories = MultiCheckboxField("困难类别（可多选）")
    members = FieldList(FormField(MemberForm), min_entries=5, max_entries=8)
    circumstances = TextAreaField("家庭经济困难情况说明", validators=[DataRequired("请填写家庭经济困难情况说明"),
                                                             Length(max=2000, message="情况说明不能超过2000字")])
    declaration = BooleanField("本人承诺以上所填信息及提交的证明材料真实、准确、完整，如有虚假，愿意承担相应责任，退还已获资助资金（诚信承诺）")
    version = HiddenField()


class ActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version = HiddenField()
    reason = TextAreaField("原因", validators=[Optional(), Length(max=1000, message="不能超过1000字")])
    opinion = TextAreaField("班级评议意见", validators=[Optional(), Length(max=1000, message="不能超过1000字")])
    level = SelectField("认定等级", validators=[Optional()], validate_choice=False)
    level_reason = TextAreaField("认定理由（重点保障群体认定为不困难时必填）", validators=[Optional(), Length(max=1000, message="不能超过1000字")])


class EvidenceForm(FlaskForm):
    file = FileField("证明材料（JPEG、PNG 或 PDF，不超过10MB）")


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    semester = SelectField("学期", validators=[Optional()])
    state = SelectField("状态", validators=[Optional()])
    class_id = SelectField("班级", coerce=int, validators=[Optional()])
