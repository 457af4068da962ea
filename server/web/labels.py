"""Words pages show through ``_(value)`` — enum values, event kinds, service choices — listed here so that
`scripts/i18n update` finds them (it only sees literal strings) and keeps their translations."""


def N_(message: str) -> str:
    """Mark a string for translation without translating it here."""
    return message


DYNAMIC_LABELS = (
    N_('approved'),
    N_('bachelor'),
    N_('basic_pass'),
    N_('closed'),
    N_('college'),
    N_('comment'),
    N_('conflict'),
    N_('created'),
    N_('deputy_head'),
    N_('edited'),
    N_('failed'),
    N_('government'),
    N_('has_issues'),
    N_('head'),
    N_('imported'),
    N_('junior_middle'),
    N_('not_inspected'),
    N_('open'),
    N_('operating'),
    N_('passed'),
    N_('planned'),
    N_('postgraduate'),
    N_('primary'),
    N_('purchased'),
    N_('received'),
    N_('rejected'),
    N_('reopened'),
    N_('returned'),
    N_('review'),
    N_('risk_low'),
    N_('risk_medium'),
    N_('senior_middle'),
    N_('service_children'),
    N_('service_community_governance'),
    N_('service_elderly'),
    N_('service_emergency'),
    N_('service_none'),
    N_('service_social_affairs'),
    N_('service_social_assistance'),
    N_('service_volunteering'),
    N_('staff'),
    N_('suspended'),
    N_('visited'),
    N_('volunteer'),
)
