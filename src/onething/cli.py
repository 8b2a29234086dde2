"""`onething`: the command line. Each command parses, calls one service, prints."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from onething.config import get_settings
from onething.core.errors import DomainError

app = typer.Typer(help="onething 一体化政务服务平台", no_args_is_help=True)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
catalog_app = typer.Typer(help="事项和一件事目录", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历", no_args_is_help=True)
cases_app = typer.Typer(help="办件", no_args_is_help=True)
policies_app = typer.Typer(help="惠企惠民政策：免申即享与精准推送", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(audit_app, name="audit")
app.add_typer(calendar_app, name="calendar")
app.add_typer(cases_app, name="cases")
app.add_typer(policies_app, name="policies")
hotline_app = typer.Typer(help="12345热线：智能分拨、工单、督办与分析", no_args_is_help=True)
app.add_typer(hotline_app, name="hotline")

console = Console()
err_console = Console(stderr=True)


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[bold red]错误[/]：{exc.message}（{exc.code}）")
    for d in exc.details:
        where = f"{d.location}: " if d.location else (f"{d.field}: " if d.field else "")
        err_console.print(f"  {where}{d.message}", markup=False, highlight=False)
    return typer.Exit(1)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
) -> None:
    """Serve the platform (pages and API)."""
    import uvicorn

    from onething.app import create_app

    settings = get_settings()
    if settings.tick_minutes > 0:
        from onething.cases.tasks import run_tick
        from onething.core.jobs import every

        every(settings.tick_minutes, run_tick, "cases.tick")
        from onething.hotline.deadlines import run_tick as run_hotline_tick

        every(settings.tick_minutes, run_hotline_tick, "hotline.tick")
    if settings.policy_run_minutes > 0:
        from onething.core.jobs import every
        from onething.policies.tasks import run_policies

        every(settings.policy_run_minutes, run_policies, "policies.run")
    import threading

    from onething.hotline.classify import classifier

    # load (or train, the first time) the 12345 classifier before the first call needs it
    threading.Thread(target=classifier, name="hotline.classifier", daemon=True).start()
    uvicorn.run(
        create_app(),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        proxy_headers=True,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the latest schema."""
    from onething.core.migrate import upgrade

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url(), revision=revision)
    console.print(f"数据库已迁移到 {revision}")


@app.command()
def demo() -> None:
    """Load the shipped catalog and create the demo accounts (safe to run again)."""
    from onething.db import transaction
    from onething.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, erqi_department_names, seed_demo

    try:
        with transaction() as session:
            report, _created = seed_demo(session)
            names = erqi_department_names(session)
    except DomainError as exc:
        raise _fail(exc) from exc
    console.print(f"目录：{report.as_dict()}")
    table = Table(title=f"演示账号（密码均为 {DEMO_PASSWORD}）")
    table.add_column("账号")
    table.add_column("姓名/名称")
    table.add_column("身份")
    for acc in DEMO_ACCOUNTS:
        table.add_row(acc.login, acc.name, acc.description(names))
    console.print(table)


@catalog_app.command("check")
def catalog_check(path: Path) -> None:
    """Check YAML files without importing them."""
    from onething.catalog.yamlio import check_path

    cat, errors = check_path(path)
    if errors:
        raise _fail(
            DomainError("catalog_invalid", f"目录数据有 {len(errors)} 处错误", 422, details=errors)
        )
    console.print(f"检查通过：{len(cat.items)} 个事项，{len(cat.bundles)} 件一件事")


@catalog_app.command("import")
def catalog_import(path: Path) -> None:
    """Import a YAML file or directory: all of it, or nothing."""
    from onething.catalog.service import import_catalog
    from onething.core.audit import Actor
    from onething.db import transaction

    try:
        with transaction() as session:
            report = import_catalog(session, Actor(None, "命令行导入"), path)
    except DomainError as exc:
        raise _fail(exc) from exc
    _print_json(report.as_dict())


@catalog_app.command("export")
def catalog_export(out: Path) -> None:
    """Export the catalog as YAML into a directory."""
    from onething.catalog.service import export_catalog
    from onething.db import transaction

    with transaction() as session:
        files = export_catalog(session, out)
    console.print(f"已导出 {len(files)} 个文件到 {out}")


@catalog_app.command("list")
def catalog_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the bundles and their items."""
    from onething.catalog.service import list_bundles
    from onething.db import transaction

    with transaction() as session:
        rows: list[dict[str, Any]] = [
            {
                "code": b.code,
                "name": b.name,
                "target": b.target,
                "theme": b.theme,
                "batch": b.batch,
                "lead_department": b.lead_department.name,
                "items": [
                    {
                        "code": m.item.code,
                        "name": m.item.name,
                        "department": m.item.department.name,
                        "optional": m.optional,
                        "after": list(m.after),
                    }
                    for m in b.members
                ],
            }
            for b in list_bundles(session)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"一件事（{len(rows)}）")
    for col in ("编码", "名称", "对象", "批次", "牵头部门", "事项数"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["code"],
            r["name"],
            "个人" if r["target"] == "person" else "企业",
            r["batch"],
            r["lead_department"],
            str(len(r["items"])),
        )
    console.print(table)


@catalog_app.command("metrics")
def catalog_metrics(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Materials, fields, steps, visits and days: one by one versus as one bundle."""
    from onething.catalog.service import all_metrics
    from onething.db import transaction

    with transaction() as session:
        metrics = all_metrics(session)
    if as_json:
        _print_json([dataclasses.asdict(m) for m in metrics])
        return
    table = Table(title="一件事成效（分别办理 → 一件事）")
    for col in ("一件事", "材料", "字段", "环节", "跑动", "时限(工作日)"):
        table.add_column(col)
    for m in metrics:
        a, b = m.one_by_one, m.as_bundle
        table.add_row(
            m.name,
            f"{a.materials}→{b.materials}",
            f"{a.fields}→{b.fields}",
            f"{a.steps}→{b.steps}",
            f"{a.visits}→{b.visits}",
            f"{a.days}→{b.days}",
        )
    console.print(table)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit trail's hash chain; exits 1 if it was altered."""
    from onething.core.audit import verify_chain
    from onething.db import transaction

    with transaction() as session:
        report = verify_chain(session)
    if report.broken_at is not None:
        err_console.print(f"[bold red]审计链在第 {report.broken_at} 条处断开[/]：{report.reason}")
        raise typer.Exit(1)
    console.print(f"审计链完整：共 {report.checked} 条")


@calendar_app.command("add")
def calendar_add(start: dt.datetime, days: int) -> None:
    """Print the date DAYS working days after START."""
    from onething.core.workdays import load_calendar
    from onething.db import transaction

    with transaction() as session:
        due = load_calendar(session).add_working_days(start.date(), days)
    typer.echo(due.isoformat())


@cases_app.command("tick")
def cases_tick(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Mark tasks and cases yellow or red against their working-day limits and notify."""
    from onething.cases.tasks import run_tick

    report = run_tick()
    if as_json:
        _print_json(report.as_dict())
    else:
        typer.echo(
            f"检查 {report.checked} 个在办子件：新黄牌 {report.yellow}，新红牌 {report.red}，"
            f"超期办件 {report.cases_red}"
        )


def _progress() -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


@policies_app.command("check")
def policies_check(path: Path) -> None:
    """Check policy YAML (conditions against the attribute dictionary) without importing."""
    from onething.policies.service import read_policy_files

    docs, errors = read_policy_files(path)
    if errors:
        raise _fail(
            DomainError("policies_invalid", f"政策数据有 {len(errors)} 处错误", 422, details=errors)
        )
    console.print(f"检查通过：{len(docs)} 项政策")


@policies_app.command("import")
def policies_import(path: Path) -> None:
    """Import policy YAML: all of it or nothing; changed policies keep their old version and
    are matched again."""
    from onething.core.audit import Actor
    from onething.db import transaction
    from onething.policies.service import import_policies

    try:
        with transaction() as session:
            report = import_policies(session, Actor(None, "命令行导入"), path)
    except DomainError as exc:
        raise _fail(exc) from exc
    _print_json(report.as_dict())


@policies_app.command("export")
def policies_export(out: Path) -> None:
    """Export every policy as YAML (one file per target)."""
    from onething.db import transaction
    from onething.policies.service import export_policies

    with transaction() as session:
        files = export_policies(session, out)
    console.print(f"已导出 {len(files)} 个文件到 {out}")


@policies_app.command("run")
def policies_run(
    on: Annotated[dt.datetime | None, typer.Option(help="按哪一天比对（默认今天）")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Match every active policy against every profile: grants and pushes, exactly once."""
    from onething.core.audit import Actor
    from onething.db import transaction
    from onething.policies.matching import run_all

    with _progress() as bar, transaction() as session:
        task = bar.add_task("比对政策", total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=what[:30], completed=done, total=total)

        report = run_all(session, Actor(None, "命令行比对"), on.date() if on else None, progress)
    if as_json:
        _print_json(report.as_dict())
    else:
        console.print(
            f"比对 {report.profiles} 个画像 × {report.policies} 项政策，符合 {report.eligible} 人次"
            f"（新增 {report.newly_eligible}，不再符合 {report.no_longer_eligible}）；"
            f"新认定 {report.grants}，新推送 {report.pushes}；用时 {report.seconds} 秒"
        )


@policies_app.command("match")
def policies_match(
    profiles: Annotated[Path, typer.Option("--profiles", help="画像文件（.parquet 或 .csv）")],
    policies: Annotated[Path, typer.Option("--policies", help="政策文件（YAML 或 JSON）")],
    out: Annotated[Path, typer.Option("--out", help="输出 Parquet：policy_id, profile_id")],
    on: Annotated[dt.datetime | None, typer.Option(help="推算年龄等的日期（默认今天）")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Match policies against profiles in files, without the database."""
    from onething.core.workdays import local_date
    from onething.db import utcnow
    from onething.policies.offline import match_files

    try:
        with _progress() as bar:
            task = bar.add_task("比对政策", total=3)

            def progress(what: str, done: int, total: int) -> None:
                bar.update(task, description=what, completed=done, total=total)

            report = match_files(
                profiles, policies, out, on.date() if on else local_date(utcnow()), progress
            )
    except DomainError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json(report.as_dict())
    else:
        rate = report.as_dict()["checks_per_second"]
        console.print(
            f"{report.profiles} 个画像 × {report.policies} 项政策：{report.pairs} 对符合，"
            f"比对用时 {report.seconds} 秒（每秒 {rate or 0:,} 次），已写入 {out}"
        )


@policies_app.command("list")
def policies_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the policies with their mode and validity."""
    from onething.db import transaction
    from onething.policies.service import dump_doc, list_policies, policy_doc

    with transaction() as session:
        rows = [dump_doc(policy_doc(p)) for p in list_policies(session)]
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"政策（{len(rows)}）")
    for col in ("编码", "名称", "对象", "方式", "有效期"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["code"],
            r["name"],
            r["target"],
            r["mode"],
            f"{r['valid_from']}—{r.get('valid_to') or '长期'}",
        )
    console.print(table)


@policies_app.command("metrics")
def policies_metrics(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Per-policy figures: eligible, pushed, applied, granted, fulfilled and the four rates."""
    from onething.db import transaction
    from onething.policies.outcomes import metrics
    from onething.policies.service import list_policies

    with transaction() as session:
        rows = metrics(session, list_policies(session))
    if as_json:
        _print_json([m.as_dict() for m in rows])
        return

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.0%}"

    table = Table(title="政策兑现情况")
    for col in (
        "政策",
        "方式",
        "符合",
        "推送",
        "申请",
        "认定",
        "兑现",
        "推送率",
        "兑现率",
        "答复率",
    ):
        table.add_column(col)
    for m in rows:
        table.add_row(
            m.name,
            m.mode,
            str(m.eligible),
            str(m.pushed),
            str(m.applied),
            str(m.granted),
            str(m.fulfilled),
            pct(m.push_rate),
            pct(m.fulfilment_rate),
            pct(m.answer_rate),
        )
    console.print(table)


@policies_app.command("for")
def policies_for(
    subject_key: Annotated[str, typer.Argument(help="公民身份号码或统一社会信用代码")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """我能享受哪些政策: what one profile meets, and what it nearly meets and why not."""
    from sqlalchemy import select

    from onething.core.workdays import local_date
    from onething.db import transaction, utcnow
    from onething.policies.service import policies_for_values
    from onething.profiles.attributes import ProfileKind
    from onething.profiles.models import Profile

    with transaction() as session:
        profile = session.scalar(select(Profile).where(Profile.subject_key == subject_key.upper()))
        if profile is None:
            raise _fail(DomainError("not_found", f"未找到画像：{subject_key}", 404))
        found = policies_for_values(
            session, ProfileKind(profile.kind), profile.values, local_date(utcnow())
        )
    data: dict[str, list[dict[str, Any]]] = {
        "eligible": [
            {"code": p.code, "name": p.name, "amount": a.amount} for p, a in found.eligible
        ],
        "nearly": [
            {
                "code": p.code,
                "name": p.name,
                "unmet": [f"{u.requirement}（{u.actual}）" for u in a.unmet],
            }
            for p, a in found.nearly
        ],
    }
    if as_json:
        _print_json(data)
        return
    console.print(f"[bold]符合的政策（{len(data['eligible'])}）[/]")
    for e in data["eligible"]:
        console.print(f"  ✔ {e['name']}")
    console.print(f"[bold]差一点就符合（{len(data['nearly'])}）[/]")
    for n in data["nearly"]:
        console.print(f"  ✘ {n['name']}：{'；'.join(n['unmet'])}")


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="怎么说都行：生了孩子要办什么、开奶茶店、xsecs")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option(help="最多几条")] = 10,
) -> None:
    """Search bundles, items, guides, FAQs and policies the way people ask."""
    from onething.db import transaction
    from onething.guidance.search import KIND_LABELS
    from onething.guidance.service import search_catalog

    with transaction() as session:
        hits = search_catalog(session, query, limit)
    if as_json:
        _print_json(
            [
                {"kind": h.kind, "name": h.name, "score": h.score, "code": h.code, "url": h.url}
                for h in hits
            ]
        )
        return
    if not hits:
        console.print("没有找到相关的事项，换个说法试试，或拨打 12345 咨询。")
    for h in hits:
        console.print(f"[{KIND_LABELS[h.kind]}] {h.name}  [dim]{h.score:.2f}[/]", highlight=False)


@hotline_app.command("tick")
def hotline_tick(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Dispatch limits, handling deadlines (yellow/red, 督办) and hotspot alerts."""
    from onething.hotline.deadlines import run_tick

    report = run_tick()
    if as_json:
        _print_json(report.as_dict())
    else:
        typer.echo(
            f"检查 {report.checked} 件在办工单：派单超时 {report.dispatch_overdue}，"
            f"新黄牌 {report.yellow}，新红牌 {report.red}，转督办 {report.escalated}，"
            f"热点预警 {report.hotspots}"
        )


@hotline_app.command("import")
def hotline_import(
    path: Path,
    operator: Annotated[str, typer.Option(help="受理的话务员账号")],
    channel: Annotated[str, typer.Option(help="mailbox（留言板）或 police（110转来）")] = "mailbox",
) -> None:
    """Import 留言板 messages (or 110's non-police tickets) from JSON Lines or CSV: all or none.

    Columns: content, caller_name, caller_phone, address, region_code, contact, type."""
    import csv

    from sqlalchemy import func, select

    from onething.accounts.models import User
    from onething.accounts.service import actor_of
    from onething.db import transaction
    from onething.hotline import service as hs

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(DomainError("file_unreadable", f"文件无法读取：{exc}", 422)) from exc
    try:
        if path.suffix.lower() == ".csv":
            rows = list(csv.DictReader(text.splitlines()))
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (json.JSONDecodeError, csv.Error) as exc:
        raise _fail(DomainError("file_unreadable", f"文件格式不对：{exc}", 422)) from exc
    try:
        with transaction() as session:
            user = session.scalar(select(User).where(func.lower(User.login) == operator.lower()))
            if user is None:
                raise DomainError("not_found", f"未找到账号：{operator}", 404)
            made = hs.import_messages(session, actor_of(user), user, rows, channel)
            numbers = [t.number for t in made]
    except DomainError as exc:
        raise _fail(exc) from exc
    console.print(
        f"已导入 {len(numbers)} 条：{'、'.join(numbers[:5])}{'…' if len(numbers) > 5 else ''}"
    )


@hotline_app.command("train")
def hotline_train(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Train the ticket classifier, report held-out accuracy and save it under var/."""
    from onething.db import transaction
    from onething.hotline import classify
    from onething.hotline.answers import routing_corrections

    with transaction() as session:
        corrections = routing_corrections(session)
    model, report = classify.train(corrections=corrections)
    if as_json:
        _print_json(
            {
                **report.as_dict(),
                "model": str(classify.model_path()),
                "corrections": len(corrections),
                "trained_on": model.trained_on,
            }
        )
        return
    typer.echo(
        f"留出集 {report.held_out} 条：部门 top-1 {report.top1:.1%}，top-3 {report.top3:.1%}；"
        f"类型 {report.type_accuracy:.1%}，分类 {report.category_accuracy:.1%}；"
        f"{report.tickets_per_second:.0f} 条/秒。另学习派单员改派的 {len(corrections)} 条，"
        f"模型已保存到 {classify.model_path()}"
    )


@hotline_app.command("classify")
def hotline_classify() -> None:
    """Read ticket texts, one per line, on stdin; write one JSON proposal per line."""
    from onething.hotline import classify

    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = raw[: exc.start].count(b"\n") + 1
        err_console.print(
            f"[bold red]错误[/]：输入不是 UTF-8 编码的文本（第 {line_no} 行），"
            "请先转换为 UTF-8（例如 iconv -f GBK -t UTF-8）"
        )
        raise typer.Exit(2) from exc
    lines = [line.strip() for line in text.splitlines()]
    texts = [line for line in lines if line]
    model = classify.classifier()
    out = sys.stdout
    for start in range(0, len(texts), 512):
        for proposal in model.propose(texts[start : start + 512]):
            out.write(json.dumps(proposal.as_dict(), ensure_ascii=False) + "\n")
    out.flush()


if __name__ == "__main__":
    app()
