from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

MAX_LEVELS = 4


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _yuan(label):
    return DecimalField(label, places=2, validators=[Optional(), NumberRange(min=0, max=1000000, message="金额须在0到100万元之间")])


class VersionForm(FlaskForm):
    """A new version of a programme's rules, valid from a semester onward."""

    valid_from = SelectField("自学期起施行")
    note = StringField("调整说明（文件依据）", validators=[DataRequired("请填写调整说明或文件依据"), Length(max=500, message="不能超过500字")])
    years_of_study = MultiCheckboxField("资助年级", coerce=int, choices=[(y, f"{y}年级") for y in range(1, 7)])
    min_year = IntegerField("最低年级", default=1, validators=[NumberRange(min=1, max=6, message="最低年级为1–6")])
    include_rural = BooleanField("农村（含县镇）户籍学生")
    include_urban_agriculture = BooleanField("城镇户籍涉农专业学生")
    include_agriculture_major = BooleanField("涉农专业学生")
    include_hardship = BooleanField("家庭经济困难学生")
    include_ethnic_minority_area_school = BooleanField("民族地区学校学生")
    include_opera = BooleanField("戏曲表演专业学生")
    include_poverty_area_rural = BooleanField("“11+3”连片特困地区学校农村学生")
    exclude_other_performing_arts = BooleanField("其他文艺类表演专业除外")
    require_hardship = BooleanField("必须认定为家庭经济困难")
    require_excellence = BooleanField("必须学习成绩和专业技能特别优秀")
    fixed_annual_yuan = _yuan("每生每年金额（元）")
    policy_average_yuan = _yuan("政策平均标准（元/年）")
    quota = IntegerField("默认每校名额", validators=[Optional(), NumberRange(min=0, max=100000, message="名额须为0–100000")])
    payment_schedule = SelectField("发放方式", choices=[("semester", "按学期发放（每学期一半）"), ("monthly", "按月发放")])
    level_name_0 = StringField("档次一名称", validators=[Optional(), Length(max=20)])
    level_yuan_0 = _yuan("档次一金额（元/年）")
    level_weight_0 = IntegerField("档次一预计人数", validators=[Optional(), NumberRange(min=0, max=10**7, message="人数不能为负")])
    level_name_1 = StringField("档次二名称", validators=[Optional(), Length(max=20)])
    level_yuan_1 = _yuan("档次二金额（元/年）")
    level_weight_1 = IntegerField("档次二预计人数", validators=[Optional(), NumberRange(min=0, max=10**7, message="人数不能为负")])
    level_name_2 = StringField("档次三名称", validators=[Optional(), Length(max=20)])
    level_yuan_2 = _yuan("档次三金额（元/年）")
    level_weight_2 = IntegerField("档次三预计人数", validators=[Optional(), NumberRange(min=0, max=10**7, message="人数不能为负")])
    level_name_3 = StringField("档次四名称", validators=[Optional(), Length(max=20)])
    level_yuan_3 = _yuan("档次四金额（元/年）")
    level_weight_3 = IntegerField("档次四预计人数", validators=[Optional(), NumberRange(min=0, max=10**7, message="人数不能为负")])


class LocalProgrammeForm(FlaskForm):
    code = StringField("项目代码", validators=[DataRequired("请填写项目代码"), Length(max=40),
                                           Regexp(r"^[a-z0-9_]+$", message="项目代码只能包含小写字母、数字和下划线")])
    name = StringField("项目名称", validators=[DataRequired("请填写项目名称"), Length(max=100, message="不能超过100字")])
    school_id = SelectField("适用范围", coerce=int)

