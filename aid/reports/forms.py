from flask_wtf import FlaskForm
from wtforms import SelectField


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    semester = SelectField("学期")
    school_id = SelectField("学校", coerce=int)
