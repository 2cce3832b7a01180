"""Register forms; every message in Chinese."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from aid.students.models import CLASS_LEVELS, ENTRY_POINTS, HOUSEHOLDS, STUDY_MODES

TRAINING_LEVELS = ("中级工", "高级工", "预备技师(技师)")


def _yuan_to_fen(text: str | None) -> int | None:
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError("请输入金额（元），如 2400 或 2400.00") from None
    if value < 0 or value > 1000000 or value != value.quantize(Decimal("0.01")):
        raise ValidationError("金额应为0至100万元之间、最多两位小数")
    return int(value * 100)


class MajorForm(FlaskForm):
    code = StringField("专业代码", validators=[DataRequired("请填写专业代码"), Length(max=20, message="专业代码不能超过20位"),
                                           Regexp(r"^[0-9A-Za-z-]+$", message="专业代码只能包含字母、数字和连字符")])
    name = StringField("专业名称", validators=[DataRequired("请填写专业名称"), Length(max=100, message="专业名称不能超过100字")])
    training_level = SelectField("培养层次", choices=[(v, v) for v in TRAINING_LEVELS])
    agriculture_related = BooleanField("涉农专业")
    opera_performance = BooleanField("戏曲表演专业")
    other_performing_arts = BooleanField("其他表演类专业")
    tuition_yuan = StringField("学费标准（元/年）", validators=[DataRequired("请填写学费标准")])
    public_tuition_yuan = StringField("同类公办学校学费标准（元/年，民办学校填写）", validators=[Optional()])

    def validate_tuition_yuan(self, field):
        self.tuition_fen = _yuan_to_fen(field.data)

    def validate_public_tuition_yuan(self, field):
        self.public_tuition_fen = _yuan_to_fen(field.data)

    def values(self) -> dict:
        return {"code": self.code.data.strip(), "name": self.name.data.strip(),
                "training_level": self.training_level.data,
                "agriculture_related": self.agriculture_related.data,
                "opera_performance": self.opera_performance.data,
                "other_performing_arts": self.other_performing_arts.data,
                "tuition_fen_per_year": _yuan_to_fen(self.tuition_yuan.data) or 0,
                "public_tuition_fen_per_year": _yuan_to_fen(self.public_tuition_yuan.data)}


class ClassForm(FlaskForm):
    name = StringField("班级名称", validators=[DataRequired("请填写班级名称"), Length(max=100, message="班级名称不能超过100字")])
    major_id = SelectField("专业", coerce=int, validators=[InputRequired("请选择专业")])
    intake_date = DateField("入学年月（日）", validators=[InputRequired("请填写入学日期")],
                            render_kw={"type": "date"})
    level = SelectField("层次", choices=[(v, v) for v in CLASS_LEVELS])
    entry_point = SelectField("招生起点", choices=[(v, v) for v in ENTRY_POINTS])
    programme_years = IntegerField("学制（年）", validators=[InputRequired("请填写学制"),
                                                        NumberRange(1, 6, message="学制应为1至6年")])
    study_mode = SelectField("学习形式", choices=list(STUDY_MODES.items()))

    def values(self) -> dict:
        return {"name": self.name.data.strip(), "major_id": self.major_id.data, "intake_date": self.intake_date.data,
                "level": self.level.data, "entry_point": self.entry_point.data,
                "programme_years": self.programme_years.data, "study_mode": self.study_mode.data}


class StudentForm(FlaskForm):
    version = HiddenField()
    register_no = StringField("学籍号", validators=[DataRequired("请填写学籍号"), Length(max=40, message="学籍号不能超过40位")])
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=50, message="姓名不能超过50字")])
    id_number = StringField("身份证号码", validators=[DataRequired("请填写身份证号码")])
    gender = SelectField("性别", choices=[("", "按身份证号码"), ("男", "男"), ("女", "女")], validators=[Optional()])
    birth_date = DateField("出生日期", validators=[Optional()], render_kw={"type": "date"})
    ethnicity = StringField("民族", default="汉族", validators=[Length(max=20, message="民族不能超过20字")])
    household = SelectField("户口性质", choices=list(HOUSEHOLDS.items()))
    class_id = SelectField("班级", coerce=int, validators=[InputRequired("请选择班级")])
    enrolment_date = DateField("入学日期（默认班级入学日期）", validators=[Optional()], render_kw={"type": "date"})
    aid_card_kind = SelectField("卡类别", choices=[("aid_card", "中职学生资助卡（银行卡）"),
                                                ("social_security", "社会保障卡")])
    aid_card = StringField("卡号", validators=[Optional(), Length(max=30, message="卡号不能超过30位")])
    phone = StringField("联系电话", validators=[Optional(), Length(max=20, message="联系电话不能超过20位")])
    address = StringField("家庭住址", validators=[Optional(), Length(max=200, message="家庭住址不能超过200字")])

    def values(self) -> dict:
        return {k: (getattr(self, k).data.strip() if isinstance(getattr(self, k).data, str) else getattr(self, k).data)
                for k in ("register_no", "name", "id_number", "gender", "birth_date", "ethnicity", "household",
                          "class_id", "enrolment_date", "aid_card_kind", "aid_card", "phone", "address")}


class StudyModeForm(FlaskForm):
    class_id = SelectField("转入班级（另一学习形式）", coerce=int, validators=[InputRequired("请选择班级")])
    reason = TextAreaField("变更原因", validators=[DataRequired("请填写变更原因"), Length(max=500, message="原因不能超过500字")])


class ReturnForm(FlaskForm):
    reason = TextAreaField("退回原因", validators=[DataRequired("请填写退回原因"), Length(max=500, message="原因不能超过500字")])


class UploadForm(FlaskForm):
    file = FileField("学生名册（.xlsx，不超过10 MB）")
