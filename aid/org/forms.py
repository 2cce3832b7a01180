from flask_wtf import FlaskForm
from stdnum.cn import uscc
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from aid.auth.models import ROLES
from aid.org.models import AUTHORITY_LEVELS, OWNERSHIPS, SCHOOL_KINDS


class AuthorityForm(FlaskForm):
    name = StringField("名称", validators=[DataRequired("请填写名称"), Length(max=100, message="名称不能超过100字")])
    level = SelectField("级别", choices=[(k, v) for k, v in AUTHORITY_LEVELS.items() if k != "province"])
    parent_id = SelectField("上级部门", coerce=int)


class SchoolForm(FlaskForm):
    code = StringField("学校代码", validators=[DataRequired("请填写学校代码"), Length(max=20, message="学校代码不能超过20位"),
                                           Regexp(r"^[0-9A-Za-z]+$", message="学校代码只能包含字母和数字")])
    name = StringField("学校名称", validators=[DataRequired("请填写学校名称"), Length(max=100, message="学校名称不能超过100字")])
    kind = SelectField("类别", choices=[(k, k) for k in SCHOOL_KINDS])
    ownership = SelectField("举办性质", choices=list(OWNERSHIPS.items()))
    authority_id = SelectField("主管部门", coerce=int)
    address = StringField("地址", validators=[Optional(), Length(max=200, message="地址不能超过200字")])
    credit_code = StringField("统一社会信用代码", validators=[Optional(), Length(max=18, message="统一社会信用代码为18位")])
    legal_representative = StringField("法定代表人", validators=[Optional(), Length(max=50, message="不能超过50字")])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=30, message="不能超过30字")])
    ethnic_minority_area = BooleanField("民族地区")
    contiguous_poverty_area = BooleanField("“11+3”集中连片特困地区")

    def validate_credit_code(self, field):
        value = (field.data or "").strip().upper()
        if value and not uscc.is_valid(value):
            raise ValidationError("统一社会信用代码无效（长度或校验位不正确）")
        field.data = value


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(min=3, max=64, message="用户名为3–64个字符"),
                                             Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能包含字母、数字、下划线、点和连字符")])
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=50, message="姓名不能超过50字")])
    role = SelectField("角色", choices=[(k, v) for k, v in ROLES.items() if k != "student"])
    school_id = SelectField("所属学校", coerce=int, validators=[Optional()])
    authority_id = SelectField("所属部门", coerce=int, validators=[Optional()])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("搜索", validators=[Optional(), Length(max=50, message="搜索内容过长")])
