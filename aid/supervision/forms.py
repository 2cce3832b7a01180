from flask_wtf import FlaskForm
from wtforms import DateField, FormField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, \
    StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from aid.supervision.models import INSPECTION_RESULTS, MEASURE_KINDS, ROLLCALL_KINDS, ROLLCALL_RESULTS


class CnDateField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("日期格式不正确，请按“年-月-日”填写") from exc


class CnIntegerField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("请填写整数") from exc


def int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _school_field():
    # the service checks the jurisdiction and answers in Chinese
    return SelectField("学校", coerce=int_or_zero, validate_choice=False, validators=[DataRequired("请选择学校")])


class DrawForm(FlaskForm):
    school_id = _school_field()
    kind = SelectField("方式", choices=list(ROLLCALL_KINDS.items()), validate_choice=False)
    size = CnIntegerField("抽样人数", validators=[InputRequired("请填写抽样人数"),
                                            NumberRange(min=1, max=500, message="抽样人数须在1到500之间")])
    note = StringField("说明", validators=[Optional(), Length(max=500, message="说明不能超过500字")])


class ResultForm(FlaskForm):
    result = RadioField("结果", choices=list(ROLLCALL_RESULTS.items()), validate_choice=False, validators=[DataRequired("请选择点名结果")])
    note = StringField("备注", validators=[Optional(), Length(max=500, message="备注不能超过500字")])


class ReviewForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=260)])
    note = StringField("复核意见", validators=[DataRequired("请填写复核意见"), Length(max=1000, message="复核意见不能超过1000字")])


class MeasureForm(FlaskForm):
    school_id = _school_field()
    kind = SelectField("措施", choices=list(MEASURE_KINDS.items()), validate_choice=False)
    reason = TextAreaField("原因", validators=[DataRequired("请填写采取措施的原因"), Length(max=2000, message="原因不能超过2000字")])
    deadline = CnDateField("整改期限（工作日）", validators=[InputRequired("请填写整改期限")])
    finding_ids = SelectMultipleField("关联的问题", coerce=int_or_zero, validate_choice=False, validators=[Optional()])


class RespondForm(FlaskForm):
    version = HiddenField()
    response = TextAreaField("整改情况", validators=[DataRequired("请填写整改情况"), Length(max=4000, message="整改情况不能超过4000字")])


class CloseForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField("关闭意见", validators=[Optional(), Length(max=2000)])


class ReopenForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("要求继续整改的原因", validators=[DataRequired("请填写原因"), Length(max=1000, message="原因不能超过1000字")])


class PointForm(FlaskForm):
    class Meta:
        csrf = False

    result = RadioField("结果", choices=list(INSPECTION_RESULTS.items()), validate_choice=False, validators=[DataRequired("请选择结果")])
    note = StringField("说明", validators=[Optional(), Length(max=1000, message="说明不能超过1000字")])


class InspectionForm(FlaskForm):
    school_id = _school_field()
    visit_date = CnDateField("检查日期", validators=[InputRequired("请填写检查日期")])
    inspectors = StringField("检查人员", validators=[DataRequired("请填写检查人员"), Length(max=200)])
    point_rules = FormField(PointForm)
    point_data = FormField(PointForm)
    point_tiering = FormField(PointForm)
    point_payment = FormField(PointForm)
    point_archives = FormField(PointForm)
    findings_text = TextAreaField("发现的问题", validators=[Optional(), Length(max=4000)])
    follow_up = TextAreaField("整改跟踪", validators=[Optional(), Length(max=4000)])


class FollowUpForm(FlaskForm):
    follow_up = TextAreaField("整改跟踪", validators=[DataRequired("请填写整改跟踪情况"), Length(max=4000)])
