"""Station compliance rules, each named by its clause of the Kunming plan."""
from datetime import date

from server.domain.compliance import StaffFact, StationFact, age_on, check_station
from server.domain.stations import Certificate, Education, StaffOrigin, StaffRole, StationMode

TODAY = date(2026, 11, 28)


def person(role, origin=StaffOrigin.OPERATOR, born=date(1990, 1, 1), education=Education.BACHELOR,
           certificate=Certificate.NONE, name="某"):
    return StaffFact(name, role, origin, born, education, certificate)


def good_purchased(**overrides) -> StationFact:
    staff = (person(StaffRole.HEAD, StaffOrigin.TOWNSHIP, born=date(1970, 1, 1), education=Education.BACHELOR),
             person(StaffRole.DEPUTY_HEAD, certificate=Certificate.INTERMEDIATE),
             person(StaffRole.STAFF), person(StaffRole.STAFF),
             *[person(StaffRole.VOLUNTEER, StaffOrigin.VOLUNTEER) for _ in range(30)])
    values = dict(mode=StationMode.PURCHASED, operator_registration_no="52530100MJ1234567",
                  operator_inspection_passed=True, setup_funding_yuan=20_000, plaque_issued=True,
                  flagship_projects=2, staff=staff)
    values.update(overrides)
    return StationFact(**values)


def results(station) -> dict:
    return {c.rule: c.passed for c in check_station(station, TODAY)}


def test_a_station_meeting_every_rule_passes_all_checks():
    checks = check_station(good_purchased(), TODAY)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert {c.clause for c in checks} == {"§4.4", "§4.5", "§4.6", "A2"}


def test_29_volunteers_fail_30_pass():
    station = good_purchased()
    fewer = StationFact(**{**station.__dict__, "staff": station.staff[:-1]})
    assert results(fewer)["volunteers"] is False and results(station)["volunteers"] is True


def test_operator_staff_must_be_under_45_with_college():
    staff = good_purchased().staff[:2] + (person(StaffRole.STAFF, born=date(1981, 11, 28), name="老张"),
                                          person(StaffRole.STAFF, education=Education.SENIOR_MIDDLE, name="小李"))
    checks = {c.rule: c for c in check_station(StationFact(**{**good_purchased().__dict__, "staff": staff}), TODAY)}
    assert checks["operator_staff_profile"].passed is False
    assert "老张" in checks["operator_staff_profile"].detail and "小李" in checks["operator_staff_profile"].detail


def test_converted_clerks_under_50_with_junior_middle_school():
    clerk = person(StaffRole.STAFF, StaffOrigin.CONVERTED_CLERK, born=date(1977, 1, 1), education=Education.JUNIOR_MIDDLE)
    old = person(StaffRole.STAFF, StaffOrigin.CONVERTED_CLERK, born=date(1976, 1, 1), education=Education.JUNIOR_MIDDLE)
    base = good_purchased(mode=StationMode.GOVERNMENT)
    assert results(StationFact(**{**base.__dict__, "staff": base.staff + (clerk,)}))["converted_staff_profile"]
    assert results(StationFact(**{**base.__dict__, "staff": base.staff + (old,)}))["converted_staff_profile"] is False


def test_purchased_service_needs_registration_inspection_and_a_certified_worker():
    uncertified = tuple(person(s.role, s.origin, s.birth_date, s.education) for s in good_purchased().staff)
    checks = results(good_purchased(operator_registration_no=None, operator_inspection_passed=False,
                                    staff=uncertified))
    assert checks["operator_registered"] is False and checks["operator_inspection"] is False
    assert checks["certified_social_worker"] is False
    assert results(good_purchased(operator_inspection_passed=None))["operator_inspection"] is None


def test_government_run_needs_a_team_of_four():
    station = good_purchased(mode=StationMode.GOVERNMENT)
    assert results(station)["government_team"] is True
    smaller = StationFact(**{**station.__dict__, "staff": station.staff[:3]})
    assert results(smaller)["government_team"] is False
    assert "operator_registered" not in results(station)


def test_funding_plaque_and_projects():
    assert results(good_purchased(setup_funding_yuan=19_999))["setup_funding"] is False
    assert results(good_purchased(setup_funding_yuan=None))["setup_funding"] is None
    assert results(good_purchased(plaque_issued=False))["plaque"] is False
    assert results(good_purchased(flagship_projects=1))["two_plus_n"] is False


def test_age_on_a_birthday():
    assert age_on(date(1981, 11, 28), TODAY) == 45 and age_on(date(1981, 11, 29), TODAY) == 44


def test_active_volunteers_are_measured_once_the_station_records_service():
    from dataclasses import replace

    listed = good_purchased()
    assert "active_volunteers" not in results(listed)  # no service recorded yet: only the list is counted
    recording = replace(listed, records_volunteering=True)
    assert results(replace(recording, active_volunteers=29))["active_volunteers"] is False
    assert results(replace(recording, active_volunteers=30))["active_volunteers"] is True
    assert results(recording)["active_volunteers"] is False  # none active this year: it does not go away
