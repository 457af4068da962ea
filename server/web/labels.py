"""Words pages show through ``_(value)`` — enum values, event kinds, service choices — listed here so that
`scripts/i18n update` finds them (it only sees literal strings) and keeps their translations."""


def N_(message: str) -> str:
    """Mark a string for translation without translating it here."""
    return message


def refusal(error) -> str:
    """Why a change was refused (a ``LastmeterError`` whose reason reads "中文 / English"), in the page's language
    only: people read no field names or codes."""
    from flask_babel import get_locale

    zh, _slash, en = str(error.details.get("reason", "")).partition(" / ")
    return en if en and str(get_locale()).startswith("en") else zh


def in_page_language(zh: dict, en: dict) -> dict:
    """One of two dictionaries of names (Chinese, English) by the page's language."""
    from flask_babel import get_locale

    return en if str(get_locale()).startswith("en") else zh


DYNAMIC_LABELS = (
    N_('alert'),
    N_('alert.raised'),
    N_('subscription'),
    N_('subscription.create'),
    N_('subscription.delete'),
    N_('subscription.pause'),
    N_('subscription.resend'),
    N_('subscription.resume'),
    N_('subscription.test'),
    N_('approved'),
    N_('bachelor'),
    N_('basic_pass'),
    N_('case'),
    N_('case.close'),
    N_('case.close_proposal'),
    N_('case.close_proposal_dismissed'),
    N_('case.erase'),
    N_('case.import'),
    N_('case.reopen'),
    N_('case.view'),
    N_('close_proposed'),
    N_('closed'),
    N_('college'),
    N_('comment'),
    N_('conflict'),
    N_('created'),
    N_('deputy_head'),
    N_('edited'),
    N_('export'),
    N_('failed'),
    N_('government'),
    N_('has_issues'),
    N_('head'),
    N_('import'),
    N_('imported'),
    N_('junior_middle'),
    N_('media'),
    N_('media.view'),
    N_('not_inspected'),
    N_('open'),
    N_('operating'),
    N_('passed'),
    N_('planned'),
    N_('postgraduate'),
    N_('proposal_dismissed'),
    N_('primary'),
    N_('purchased'),
    N_('received'),
    N_('rejected'),
    N_('reopened'),
    N_('report'),
    N_('report.download'),
    N_('report.print'),
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
    N_('submission'),
    N_('submission.comment'),
    N_('submission.exclude'),
    N_('submission.return'),
    N_('submission.review'),
    N_('submission.view'),
    N_('suspended'),
    N_('visited'),
    N_('volunteer'),
)
