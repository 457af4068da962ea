"""The review rules as plain values (server/domain/review.py): the station judged by the satisfaction rate
cannot touch residents' answers; supervising visits is the station head's job."""
import pytest

from server.domain.review import ReviewAction as A
from server.domain.review import allowed_actions, describe_exclusions, exclusion_reason


@pytest.mark.parametrize(("role", "feedback", "has_case", "expected"), [
    ("worker", False, True, {A.COMMENT}),
    ("worker", True, False, {A.COMMENT}),
    ("station", False, True, {A.APPROVE, A.FLAG, A.REJECT, A.RETURN, A.COMMENT, A.VERDICT}),
    ("station", False, False, {A.APPROVE, A.FLAG, A.REJECT, A.COMMENT, A.VERDICT}),  # no case: nothing to return
    ("station", True, False, {A.COMMENT}),
    ("county", True, False, {A.APPROVE, A.FLAG, A.COMMENT, A.EXCLUDE}),
    ("admin", True, False, {A.APPROVE, A.FLAG, A.COMMENT, A.EXCLUDE}),
    ("county", False, True, {A.APPROVE, A.FLAG, A.REJECT, A.RETURN, A.COMMENT, A.VERDICT}),
])
def test_who_may_do_what(role, feedback, has_case, expected):
    assert allowed_actions(role, feedback, has_case) == expected


def test_only_the_listed_reasons_can_be_chosen():
    assert [exclusion_reason(r) for r in ("spam", "duplicate", "test", "not_about_station")] == \
        ["spam", "duplicate", "test", "not_about_station"]
    assert exclusion_reason("unstated") is None and exclusion_reason("") is None and exclusion_reason("dislike") is None


def test_exclusions_are_described_in_both_languages():
    assert describe_exclusions({"spam": 3, "duplicate": 2}) == "垃圾信息 spam 3；重复提交 duplicate 2"
    assert describe_exclusions({}) == ""
