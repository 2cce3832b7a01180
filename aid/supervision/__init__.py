"""Supervision (监督检查): roll calls and spot checks, red flags, measures against schools, inspections."""
