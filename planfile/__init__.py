"""Reading plan files: YAML with line numbers, checked against the schema and the rules."""

from planfile.loader import PlanReport, load_plan, require_valid

__all__ = ["PlanReport", "load_plan", "require_valid"]
