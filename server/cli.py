"""Command-line interface: ``flask --app server <command>``. Command names are fixed;
other tools call them. Each command is one transaction, committed at its end."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from functools import wraps
from typing import Callable

import click
from flask import Flask
from flask_migrate import upgrade

from server.adapters.tabular import ImportLimits, Table, read_table
from server.domain.access import Role, Scope
from server.domain.places import AREA_COLUMNS
from server.errors import LastmeterError
from server.extensions import db


def init_app(app: Flask) -> None:
    for command in (init_db, import_areas, create_user, load_demo, publish_forms, collect_settings, reissue_token,
                    revoke_token, import_cases, erase_case, set_visit_interval, plaque, report, import_stations,
                    import_projects,
                    import_staff, jobs_worker, jobs_ping, outbox_pump, backup, restore, sweep_media, hash_photos,
                    volunteer_certificate):
        app.cli.add_command(command)


def in_transaction(fn: Callable) -> Callable:
    """Run a command body as one transaction; a LastmeterError rolls back and exits 1 with its message."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except LastmeterError as error:
            db.session.rollback()
            click.echo(f"错误 [{error.code}]: {error.message('zh')}", err=True)
            click.echo(f"Error [{error.code}]: {error.message('en')}", err=True)
            sys.exit(1)

    return wrapper


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    upgrade()
    click.echo("数据库已就绪 / database schema is up to date")


def _read(file: str, required: tuple[str, ...]) -> Table:
    """An imported file's rows, within the configured import limits."""
    from flask import current_app

    return read_table(file, required, ImportLimits.from_config(current_app.config))


@click.command("import-areas")
@click.argument("file", type=click.Path(dir_okay=False))
@in_transaction
def import_areas(file: str) -> None:
    """Import administrative areas from a CSV/XLSX with columns code,name,parent_code,level."""
    from server.services.places import import_areas as run_import

    table = _read(file, AREA_COLUMNS)
    summary = run_import(table.rows, first_line=table.first_line)
    click.echo(f"新增 {summary.created}，更名 {summary.updated}，未变 {summary.unchanged} / "
               f"created {summary.created}, renamed {summary.updated}, unchanged {summary.unchanged}")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--scope", "scope_code", required=True, help="Area code: city, county or station (township) code.")
@click.option("--password", required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@in_transaction
def create_user(username: str, role: str, scope_code: str, password: str, display_name: str) -> None:
    """Create a user with one role and one scope."""
    from server.services.accounts import create_user as run_create

    user = run_create(username, role, scope_code, password, display_name)
    click.echo(f"已创建用户 / created user {user.username} ({user.role}, {user.scope_code})")


@click.command("load-demo")
@in_transaction
def load_demo() -> None:
    """Load demo Kunming data: areas, stations with staff, one user per role (idempotent)."""
    from server.services.demo import load_demo as run_load

    report = run_load()
    for line in report.lines():
        click.echo(line)


@click.command("publish-forms")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, exists=True))
@in_transaction
def publish_forms(files: tuple[str, ...]) -> None:
    """Convert XLSForms with ODK Validate and publish them (default: every form in forms/).

    All or nothing: if one form is refused, none of them is published.
    """
    from flask import current_app

    from server.services.forms import publish_form, xlsform_files

    paths = [Path(f) for f in files] or xlsform_files(current_app.config["FORMS_DIR"])
    if not paths:
        click.echo("没有可发布的表单 / no forms to publish")
        return
    for path in paths:
        result = publish_form(path.read_bytes(), path.name)
        click.echo(f"{result.xml_form_id} {result.version} {result.outcome}: {result.title}")
        for warning in result.warnings:
            click.echo(f"  警告 / warning: {warning}")


def _station_user(username: str):
    from server.errors import NotFound
    from server.queries.accounts import get_user_by_username

    user = get_user_by_username(username.strip().lower())
    if user is None:
        raise NotFound(what="用户", key=username)
    return user


@click.command("collect-settings")
@click.argument("username")
@click.option("--qr", "qr_file", type=click.Path(dir_okay=False), help="Also write the settings QR code (PNG).")
@in_transaction
def collect_settings(username: str, qr_file: str | None) -> None:
    """Print a worker's ODK Collect settings JSON (and write it as a settings QR code)."""
    from server.domain.collect_settings import settings_json
    from server.services.onboarding import collect_settings_for, collect_settings_qr

    user = _station_user(username)
    click.echo(settings_json(collect_settings_for(user)))
    if qr_file:
        Path(qr_file).write_bytes(collect_settings_qr(user))
        click.echo(f"二维码已写入 / QR code written to {qr_file}", err=True)


@click.command("reissue-token")
@click.argument("username")
@in_transaction
def reissue_token(username: str) -> None:
    """Give a worker a new Collect token; the old one (and its QR code) stops working at once."""
    from server.services.accounts import issue_collect_token

    token = issue_collect_token(_station_user(username))
    click.echo(f"已签发新令牌 / new token issued for {username}: {token.token}")


@click.command("revoke-token")
@click.argument("username")
@in_transaction
def revoke_token(username: str) -> None:
    """Revoke a worker's Collect token (a lost phone): their token URL answers 403 from now on."""
    from server.services.accounts import revoke_collect_tokens

    count = revoke_collect_tokens(_station_user(username))
    click.echo(f"已撤销 {count} 个令牌 / revoked {count} token(s) of {username}")


@click.command("import-cases")
@click.argument("file", type=click.Path(dir_okay=False))
@in_transaction
def import_cases(file: str) -> None:
    """Import a register of people served (CSV/XLSX); every bad row is reported and nothing is imported."""
    from server.domain.access import Scope
    from server.services.case_import import import_cases as run_import

    table = _read(file, ())
    everything = Scope(role=Role.ADMIN, area_code="", area_path="/")
    with click.progressbar(length=len(table.rows), label="导入 / importing", file=sys.stderr) as bar:
        created = run_import(table, everything, None, progress=bar.update)
    click.echo(f"已导入 {created} 名服务对象 / imported {created} case(s)")


@click.command("set-visit-interval")
@click.argument("category")
@click.argument("days", type=int)
@in_transaction
def set_visit_interval(category: str, days: int) -> None:
    """Change the days between visits for a category (e.g. destitute 30); open cases are rescheduled."""
    from server.services.cases import set_visit_interval as run_set

    moved = run_set(category, days)
    click.echo(f"{category}: {days} 天，{moved} 个对象已重新排期 / {days} days, {moved} case(s) rescheduled")


@click.command("erase-case")
@click.argument("case_id")
@click.option("--reason", default="本人申请 / on the person's request", show_default=True,
              help="Why (e.g. the date and reference of the person's request); kept in the audit log.")
@in_transaction
def erase_case(case_id: str, reason: str) -> None:
    """Erase a case's personal data and media on request (and its household members'); the counts of past
    indicators stay. Files are deleted from media storage once the change is committed."""
    from server.media import media_storage
    from server.services.erasure import erase_case as run_erase

    done = run_erase(case_id, reason, media_storage())
    click.echo(f"已删除 {len(done.case_ids)} 名服务对象的个人信息、{done.submissions} 份记录的内容、"
               f"{len(done.files)} 个文件 / erased {len(done.case_ids)} case(s), {done.submissions} "
               f"submission(s), {len(done.files)} file(s)")


@click.command("volunteer-certificate")
@click.argument("station_code")
@click.option("--volunteer", required=True, help="The volunteer's name (or staff record id) at that station.")
@click.option("--from", "date_from", default="", help="First day, YYYY-MM-DD (default: 1 January this year).")
@click.option("--to", "date_to", default="", help="Last day, YYYY-MM-DD (default: today).")
@click.option("--out", required=True, type=click.Path(), help="FILE.pdf")
@click.option("--revoke", "revoke_number", default="", help="Instead: revoke this certificate number (with --reason).")
@click.option("--reason", default="", help="With --revoke: why; the verification page shows it.")
@in_transaction
def volunteer_certificate(station_code: str, volunteer: str, date_from: str, date_to: str, out: str,
                          revoke_number: str, reason: str) -> None:
    """Issue a 志愿服务证明 PDF of a volunteer's counted hours over a period (numbered, with a QR code that opens
    its public verification page), or revoke one (docs/volunteers.md)."""
    from datetime import date

    from server.domain.clock import parse_day, today_in_china
    from server.errors import NotFound
    from server.queries import places as place_queries
    from server.queries import volunteers as volunteer_queries
    from server.services import certificates

    station = place_queries.get_station_by_code(station_code)
    if station is None:
        raise NotFound(what="社工站", key=station_code)
    if revoke_number:
        certificate = volunteer_queries.get_certificate(revoke_number)
        if certificate is None or certificate.station_code != station.code:
            raise NotFound(what="志愿服务证明", key=revoke_number)
        certificates.revoke(certificate, reason, None)
        click.echo(f"已撤销 {certificate.number} / revoked")
        return
    member = (volunteer_queries.get_volunteer(station.code, int(volunteer)) if re.fullmatch(r"[0-9]{1,9}", volunteer)
              else volunteer_queries.find_volunteer_by_name(station.code, volunteer.strip()))
    if member is None:
        raise NotFound(what="志愿者", key=volunteer)
    today = today_in_china()
    start = parse_day(date_from, "--from") or date(today.year, 1, 1)
    end = parse_day(date_to, "--to") or today
    certificate = certificates.issue(station, member, start, end, None)
    Path(out).write_bytes(certificates.render(certificate).content)
    click.echo(f"{certificate.number}：{certificates.verify_url(certificate)}")


@click.command("plaque")
@click.argument("station_code", required=False)
@click.option("--county", "county_code", help="Every station of this county, into the folder --out.")
@click.option("--out", "out", required=True, type=click.Path(), help="FILE.png|FILE.pdf, or a folder with --county.")
@click.option("--format", "fmt", type=click.Choice(["png", "pdf"]), default=None, help="With --county (default pdf).")
@click.option("--new-link", is_flag=True, help="A stolen or defaced plaque: revoke its link first (audited).")
@click.option("--reason", default="", help="With --new-link: why, kept in the audit log.")
@in_transaction
def plaque(station_code: str | None, county_code: str | None, out: str, fmt: str | None, new_link: bool,
           reason: str) -> None:
    """Render a station's plaque (50 × 70 cm, PNG at 150 dpi or vector PDF) with its feedback QR code."""
    from server.domain.access import Scope
    from server.errors import BadRequest, NotFound
    from server.queries import places as place_queries
    from server.services.feedback import reissue_station_link
    from server.services.plaques import render_plaque

    if county_code and new_link:
        raise BadRequest(reason="--new-link 只用于一个社工站 / --new-link is for one station at a time")
    if county_code:
        county = place_queries.get_area_by_code(county_code)
        if county is None:
            raise NotFound(what="县（市、区）", key=county_code)
        stations = place_queries.list_stations_in_scope(Scope(Role.COUNTY, county.code, county.path))
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        with click.progressbar(stations, label="门牌 / plaques", file=sys.stderr) as bar:
            for station in bar:
                made = render_plaque(station, fmt or "pdf")
                (folder / f"{station.code}.{fmt or 'pdf'}").write_bytes(made.content)
        click.echo(f"已生成 {len(stations)} 块门牌 / {len(stations)} plaque(s) written to {folder}")
        return
    if not station_code:
        raise BadRequest(reason="请给出社工站代码或 --county / give a station code or --county")
    station = place_queries.get_station_by_code(station_code)
    if station is None:
        raise NotFound(what="社工站", key=station_code)
    if new_link:
        reissue_station_link(station, reason)
    made = render_plaque(station, Path(out).suffix.lstrip(".").lower())
    Path(out).write_bytes(made.content)
    click.echo(f"{made.official_name}: {out} ({made.url})")


@click.command("report")
@click.option("--area", "area_code", required=True, help="City, county or township code.")
@click.option("--period", "period_key", required=True, help="A month (2026-10), quarter (2026-Q3) or half-year (2026-H2).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="FILE.xlsx")
@in_transaction
def report(area_code: str, period_key: str, out: str) -> None:
    """Write the report pack of an area for a period: summary, stations, compliance, overdue cases, comments."""
    import os
    import tempfile

    from server.domain.access import Scope
    from server.domain.clock import today_in_china
    from server.domain.periods import parse_period
    from server.errors import BadRequest, NotFound
    from server.queries import places as place_queries
    from server.services.reports import build_report, write_report_xlsx

    period = parse_period(period_key)
    area = place_queries.get_area_by_code(area_code)
    if area is None:
        raise NotFound(what="区划", key=area_code)
    if not out.lower().endswith(".xlsx"):
        raise BadRequest(reason=f"报告包请存为 .xlsx / the report pack is an .xlsx file: {out}")
    today = today_in_china()
    pack = build_report(Scope(Role.ADMIN, area.code, area.path), area, period, today)
    target = Path(out).resolve()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".report-", suffix=".xlsx")
    try:
        with os.fdopen(handle, "wb") as stream:
            write_report_xlsx(pack, stream, today)
        os.replace(temporary, target)  # never a half-written report under the asked name
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    from server.services import audit

    audit.record("report.download", "report", area.code, {"period": period.key, "file": str(target)})
    coverage, satisfaction = pack.summary["coverage"], pack.summary["satisfaction"]
    click.echo(f"{area.name} {period.key}: 覆盖 {coverage['numerator']}/{coverage['denominator']}，"
               f"满意 {satisfaction['satisfied']}/{satisfaction['responses']}，{len(pack.stations)} 个社工站 → {out}")


def _whole_tree() -> Scope:
    """The command line acts as an admin of the whole tree."""
    return Scope(role=Role.ADMIN, area_code="", area_path="/")


@click.command("import-projects")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as-user", "username", required=True, help="the county user or admin the projects are imported as")
@in_transaction
def import_projects(file: str, username: str) -> None:
    """Create or update purchased-service projects from a CSV/XLSX, one row per budget line (docs/money.md)."""
    from server.queries.accounts import get_user_by_username
    from server.services import accounts as account_service
    from server.services.money import import_projects as run_import

    user = get_user_by_username(username)
    if user is None:
        raise click.ClickException(f"没有用户 {username} / no such user")
    summary = run_import(_read(file, ()), account_service.scope_of(user), user)
    click.echo(f"项目新增 {summary.created}，更新 {summary.updated} / projects created {summary.created}, "
               f"updated {summary.updated}")


@click.command("import-stations")
@click.argument("file", type=click.Path(dir_okay=False))
@in_transaction
def import_stations(file: str) -> None:
    """Create or update station records from a CSV/XLSX (code, mode, status, …); all or nothing.

    Blank cells leave a stored station's values as they are (docs/indicators.md).
    """
    from server.domain.station_rows import STATION_REQUIRED_COLUMNS
    from server.services.station_import import import_stations as run_import

    table = _read(file, STATION_REQUIRED_COLUMNS)
    summary = run_import(table.rows, _whole_tree(), table.first_line)
    click.echo(f"社工站新增 {summary.created}，更新 {summary.updated}，未变 {summary.unchanged} / "
               f"stations created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}")


@click.command("import-staff")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--keep-unlisted", is_flag=True, help="Keep staff the file does not list (only add and update).")
@in_transaction
def import_staff(file: str, keep_unlisted: bool) -> None:
    """Make a CSV/XLSX (station_code, name, role, origin, …) the staff list of each station it names; all or nothing."""
    from server.domain.station_rows import STAFF_REQUIRED_COLUMNS
    from server.services.station_import import import_staff as run_import

    table = _read(file, STAFF_REQUIRED_COLUMNS)
    summary = run_import(table.rows, _whole_tree(), table.first_line, replace=not keep_unlisted)
    click.echo(f"工作人员新增 {summary.created}，更新 {summary.updated}，未变 {summary.unchanged}，"
               f"移除 {summary.removed} / staff created {summary.created}, updated {summary.updated}, "
               f"unchanged {summary.unchanged}, removed {summary.removed}")


@click.command("jobs-worker")
@click.option("--threads", default=2, show_default=True, help="Jobs run at once in this process.")
def jobs_worker(threads: int) -> None:
    """Run background jobs (thumbnails…) from LASTMETER_JOBS_URL and the events pump (webhooks, chat alerts)
    until stopped; run one per machine or more."""
    from flask import current_app

    from server import jobs

    click.echo(f"jobs-worker: {threads} thread(s) on {_redacted(str(current_app.config['JOBS_URL']))}", err=True)
    jobs.work(current_app._get_current_object(), threads)


@click.command("outbox-pump")
@click.option("--once", is_flag=True, help="Run one round (number, alert, fan out, deliver what is due) and exit.")
def outbox_pump(once: bool) -> None:
    """Number new events, raise alerts and deliver webhooks and chat messages; `jobs-worker` runs this too, in a
    thread (docs/events.md). Without --once it runs until stopped."""
    import threading

    from flask import current_app

    from server.pump import Pump, run_forever

    app = current_app._get_current_object()
    if once:
        done = Pump(app).run_once()
        click.echo(" ".join(f"{name}={count}" for name, count in done.items()))
        return
    stop = threading.Event()
    try:
        run_forever(app, stop)
    except KeyboardInterrupt:
        stop.set()


@click.command("jobs-ping")
@click.option("--wait", default=30, show_default=True, help="Seconds to wait for a worker to run it.")
def jobs_ping(wait: int) -> None:
    """Check that a worker is running: queue a ping and wait for its answer."""
    import time
    import uuid

    from flask import current_app

    tag = uuid.uuid4().hex[:8]
    marker = Path(current_app.instance_path) / "jobs-ping.log"
    result = current_app.extensions["job_tasks"]["ping"](str(marker), tag)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if result.get() == tag:
            click.echo(f"jobs: a worker ran ping {tag}")
            return
        time.sleep(0.2)
    click.echo(f"jobs: no worker ran ping {tag} within {wait} s — is `flask --app server jobs-worker` running?",
               err=True)
    sys.exit(1)


def _redacted(url: str) -> str:
    """A URL without its password, for messages."""
    import re

    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="A new or empty folder.")
@in_transaction
def backup(out: str) -> None:
    """Copy the database (consistently, while the app serves) and every stored file into a folder."""
    from server.media import media_storage
    from server.services.backup import backup as run_backup

    summary = run_backup(Path(out), media_storage())
    click.echo(f"备份完成 / backup written: {out} — {summary.database}, {summary.submissions} submission(s), "
               f"{summary.blobs} file(s), {summary.bytes / 2**20:.1f} MB")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@in_transaction
def restore(source: str) -> None:
    """Restore a backup folder into this configuration's new, empty database and storage."""
    from server.media import media_storage
    from server.services.backup import restore as run_restore

    summary = run_restore(Path(source), media_storage())
    upgrade()  # a backup of an older release catches up
    click.echo(f"恢复完成 / restored: {summary.database}, {summary.submissions} submission(s), {summary.blobs} file(s)")


@click.command("hash-photos")
@in_transaction
def hash_photos() -> None:
    """Hash the photos stored before near-copy checks began, and check each against its station's photos."""
    from server.media import media_storage
    from server.services.media import hash_old_photos

    hashed = hash_old_photos(media_storage())
    click.echo(f"已计算 {hashed} 张照片的感知哈希并完成近似照片比对 / hashed {hashed} photo(s) and compared each "
               "with its station's photos")


@click.command("sweep-media")
@click.option("--older-than", "older_than", default=3600, show_default=True, type=click.IntRange(min=0),
              help="Grace period in seconds: younger files may belong to a request still in flight.")
@in_transaction
def sweep_media(older_than: int) -> None:
    """Remove what killed processes left in media storage: blobs no row names, and abandoned uploads."""
    from server.media import media_storage
    from server.services.media import sweep_orphan_blobs

    storage = media_storage()
    removed = sweep_orphan_blobs(storage, older_than_seconds=older_than)
    for sha256 in removed:
        click.echo(f"已删除孤立文件 / removed orphan blob {sha256}")
    spooled = storage.sweep_temporary(older_than_seconds=older_than)
    click.echo(f"孤立文件 {len(removed)} 个，未完成的上传 {spooled} 个已删除 / "
               f"removed {len(removed)} orphan blob(s) and {spooled} abandoned upload(s)")
