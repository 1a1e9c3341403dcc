"""Who may do what with an evaluation: enterprise users act on their own enterprise, government users read
within their region, operators read everything (the kit's ``Caller.may_see`` is the rule)."""

from __future__ import annotations

import uuid

from carbonid_evaluation.db import Evaluation
from carbonid_kit.auth import Caller
from carbonid_kit.problems import Problem, forbidden


def not_bound(binding_page: str) -> Problem:
    return Problem(
        403,
        "enterprise-not-bound",
        "尚未绑定企业",
        "No enterprise bound",
        "请先通过企业标识前缀绑定企业，再进行碳效评价",
        "Bind your enterprise through its identifier prefix before evaluating",
        extra={"binding_page": binding_page},
    )


def own_enterprise(caller: Caller, binding_page: str) -> uuid.UUID:
    """The enterprise an enterprise user acts for; other roles cannot run an enterprise's evaluation."""
    if caller.role != "enterprise":
        raise forbidden("只有企业用户可以进行本企业的碳效评价", "Only an enterprise's own users run its evaluations")
    if caller.enterprise_id is None:
        raise not_bound(binding_page)
    return caller.enterprise_id


def evaluation_not_found() -> Problem:
    return Problem(404, "evaluation-not-found", "碳效评价不存在", "Evaluation not found")


def check_read(caller: Caller, evaluation: Evaluation | None) -> Evaluation:
    """404 for what does not exist or belongs to another enterprise (not revealed); 403 outside a region."""
    if evaluation is None:
        raise evaluation_not_found()
    if caller.may_see(enterprise_id=evaluation.enterprise_id, region_code=evaluation.region_code):
        return evaluation
    if caller.role == "enterprise":
        raise evaluation_not_found()
    raise forbidden("该评价不在您的管辖地区内", "This evaluation lies outside your region")


def check_owner(caller: Caller, evaluation: Evaluation | None, binding_page: str) -> Evaluation:
    """Only the enterprise's own users change its evaluation."""
    enterprise_id = own_enterprise(caller, binding_page)
    if evaluation is None or evaluation.enterprise_id != enterprise_id:
        raise evaluation_not_found()
    return evaluation


def check_regulator(caller: Caller, evaluation: Evaluation | None) -> Evaluation:
    """Operators, and government users within the evaluation's region."""
    evaluation = check_read(caller, evaluation)
    if caller.role == "enterprise":
        raise forbidden("只有监管部门或运营人员可以复算", "Only regulators and operators may recompute")
    return evaluation
