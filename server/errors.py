"""The one error hierarchy of Lastmeter, with stable codes.

Errors are raised low (services, adapters, pure modules) and rendered at the edge:
OpenRosa XML for ODK Collect, JSON for the REST API, a page for people, a line on
the terminal for the CLI. Each class carries a stable ``code`` ("<http status>.<n>",
as ODK Central does) and a message template in Simplified Chinese and English,
filled from keyword details. This module imports neither Flask nor the database.
"""
from __future__ import annotations

from typing import Any, ClassVar


class LastmeterError(Exception):
    """Base of every error the application raises on purpose."""

    code: ClassVar[str] = "500.1"
    zh: ClassVar[str] = "服务器内部错误。"
    en: ClassVar[str] = "Internal server error."

    def __init__(self, **details: Any) -> None:
        self.details = details
        super().__init__(self.message("en"))

    @property
    def http_status(self) -> int:
        return int(self.code.split(".")[0])

    def message(self, lang: str = "zh") -> str:
        template = self.zh if lang.startswith("zh") else self.en
        try:
            return template.format(**self.details)
        except (KeyError, IndexError):
            return template

    def bilingual(self) -> str:
        return f"{self.message('zh')} ({self.message('en')})"

    def http_headers(self) -> dict[str, str]:
        """Headers every rendering of this error carries (JSON, OpenRosa XML or a page)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message("zh"),
            "message_en": self.message("en"),
            "details": {k: v for k, v in self.details.items() if _json_safe(v)},
        }


class RetryLater(LastmeterError):
    """An error worth trying again later: every rendering carries ``Retry-After`` (``retry_after`` seconds, from
    the details or the class's default), which ODK Collect and load balancers read."""

    retry_after: ClassVar[int] = 30

    def __init__(self, **details: Any) -> None:
        super().__init__(**{"retry_after": self.retry_after, **details})

    def http_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.details["retry_after"])}


def _json_safe(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict))


# --- configuration (raised at start-up) -------------------------------------------------

class ConfigError(LastmeterError):
    code = "500.2"
    zh = "配置错误：{setting} {reason}"
    en = "Configuration error: {setting} {reason}"


# --- 400: the request or file is wrong ----------------------------------------------------

class BadRequest(LastmeterError):
    code = "400.1"
    zh = "请求无效：{reason}"
    en = "Invalid request: {reason}"


class InvalidRows(LastmeterError):
    """A file of rows (CSV/XLSX) with one or more bad rows; nothing was imported."""

    code = "400.2"
    zh = "文件有 {count} 处错误，未导入任何数据：\n{lines}"
    en = "The file has {count} problem(s); nothing was imported:\n{lines}"

    def __init__(self, problems: list["RowProblem"]) -> None:
        self.problems = problems
        super().__init__(
            count=len(problems),
            lines="\n".join(p.render() for p in problems),
            problems=[p.as_dict() for p in problems],
        )

    def message(self, lang: str = "zh") -> str:
        lines = "\n".join(p.render(lang) for p in self.problems)
        template = self.zh if lang.startswith("zh") else self.en
        return template.format(count=len(self.problems), lines=lines)


class RowProblem:
    """One problem in one row of an imported file (line numbers count the header as 1)."""

    def __init__(self, line: int, zh: str, en: str, column: str | None = None) -> None:
        self.line, self.zh, self.en, self.column = line, zh, en, column

    def render(self, lang: str = "zh") -> str:
        text = self.zh if lang.startswith("zh") else self.en
        where = f"第 {self.line} 行" if lang.startswith("zh") else f"line {self.line}"
        return f"{where}: {text}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.zh, "message_en": self.en}


class InvalidForm(LastmeterError):
    """An XLSForm that pyxform or ODK Validate (JavaRosa) rejects."""

    code = "400.3"
    zh = "表单“{source}”无法发布：{reason}"
    en = "The form '{source}' cannot be published: {reason}"


class InvalidFields(LastmeterError):
    """A page's form (or a JSON body) with one or more invalid fields; nothing was saved. ``fields`` maps
    each field to its message, so a page can show it next to the field."""

    code = "400.10"
    zh = "有 {count} 项填写有误，未保存：{lines}"
    en = "{count} field(s) are invalid; nothing was saved: {lines}"

    def __init__(self, problems: list["RowProblem"]) -> None:
        self.problems = problems
        super().__init__(count=len(problems), lines="；".join(p.zh for p in problems),
                         fields={p.column: p.zh for p in problems if p.column})

    def message(self, lang: str = "zh") -> str:
        if lang.startswith("zh"):
            return self.zh.format(count=len(self.problems), lines="；".join(p.zh for p in self.problems))
        return self.en.format(count=len(self.problems), lines="; ".join(p.en for p in self.problems))

    def field_messages(self, lang: str = "zh") -> dict[str, str]:
        return {p.column: (p.zh if lang.startswith("zh") else p.en) for p in self.problems if p.column}


class InvalidValue(LastmeterError):
    code = "400.4"
    zh = "{field} 无效：{reason}"
    en = "{field} is invalid: {reason}"


class FileTooLarge(LastmeterError):
    """An imported file past one of the documented import limits (README, "Configuration"); nothing imported."""

    code = "413.1"
    zh = "文件超出导入限制：{what}超过 {limit}{unit}，未导入任何数据。请把文件拆成几份分批导入。"
    en = "The file is over an import limit: {what_en} over {limit}{unit_en}; nothing was imported. Split it and import the parts one by one."


class BodyTooLarge(LastmeterError):
    code = "413.2"
    zh = "请求内容超过 {limit} 字节的上限。"
    en = "The request body is over the limit of {limit} bytes."


# --- 401 / 403: who you are ---------------------------------------------------------------

class AuthenticationRequired(LastmeterError):
    code = "401.1"
    zh = "请先登录。"
    en = "Please sign in."


class InvalidCredentials(LastmeterError):
    code = "401.2"
    zh = "用户名或密码不正确。"
    en = "Wrong username or password."


class Forbidden(LastmeterError):
    code = "403.1"
    zh = "您没有权限执行此操作。"
    en = "You are not allowed to do this."


class ReviewNotAllowed(LastmeterError):
    """A review action the caller's role may not take on this submission (``server/domain/review.py``)."""

    code = "403.2"
    zh = "{reason}"
    en = "{reason_en}"


class TooManyAttempts(RetryLater):
    """Too many failed sign-ins (or unknown Collect token URLs) lately from this address or for this account."""

    code = "429.1"
    zh = "登录失败次数过多，请 {retry_after} 秒后再试。"
    en = "Too many failed sign-in attempts. Try again in {retry_after} seconds."
    retry_after = 60


# --- 503: a part the app depends on is away for now ---------------------------------------

class DatabaseUnavailable(RetryLater):
    """The database cannot be reached (restarting, failing over, overloaded): nothing of the request was kept,
    and a phone keeps its submission and sends it again after ``Retry-After`` seconds."""

    code = "503.1"
    zh = "服务器暂时无法访问数据库，本次提交未保存，请 {retry_after} 秒后重试（手机会保留已填写的表单）。"
    en = ("The server cannot reach its database just now; nothing was saved. Try again in {retry_after} seconds "
          "(the phone keeps the filled form).")


# --- 404: not there (or not yours) --------------------------------------------------------

class NotFound(LastmeterError):
    code = "404.1"
    zh = "找不到{what}：{key}"
    en = "Not found: {what} {key}"


# --- 409: conflicts with what is stored ---------------------------------------------------

class Conflict(LastmeterError):
    code = "409.1"
    zh = "冲突：{reason}"
    en = "Conflict: {reason}"


class NothingToReturn(LastmeterError):
    """Return to worker on a submission without a case: no phone would show it, so nothing would happen."""

    code = "409.6"
    zh = "这条记录没有关联服务对象（例如居民评价），不能退回社工：社工手机上没有可重访的对象。请改用评论。"
    en = ("This submission has no case (resident feedback, for one), so it cannot be returned to a worker: "
          "no phone would have anything to visit again. Add a comment instead.")


class NothingToJudge(LastmeterError):
    """A verdict on a visit no authenticity check flagged: there is nothing to answer."""

    code = "409.8"
    zh = "这条走访记录没有核实提示（照片重复、离家过远、时间过短等），无需给出核实结论。"
    en = "This visit has no authenticity flag (a reused photo, far from home, too short…): there is no verdict to give."


class FormVersionConflict(LastmeterError):
    code = "409.3"
    zh = "表单“{xml_form_id}”的版本 {version} 已发布，但内容不同。修改表单后请提高 version 再发布。"
    en = ("Version {version} of form '{xml_form_id}' is already published with different content. "
          "Increase the version in the settings sheet and publish again.")
