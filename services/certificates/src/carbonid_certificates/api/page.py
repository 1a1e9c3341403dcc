"""The public certificate page (what a phone shows after scanning the code): Chinese, mobile-first, no
external assets, a little inline CSS. Every value is escaped."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from html import escape

from carbonid_certificates.domain.certificate import CertificateStatus
from carbonid_certificates.verification import Verification
from carbonid_contracts.codes.period import Period, PeriodKind
from carbonid_contracts.codes.regions import UnknownRegionError, path

LEVEL_ZH = {"low": "低", "medium": "中", "high": "高"}
STATUS_ZH = {
    CertificateStatus.VALID: "有效",
    CertificateStatus.EXPIRED: "已过期",
    CertificateStatus.SUPERSEDED: "已被取代",
    CertificateStatus.REVOKED: "已撤销",
}
_HALF = {"H1": "上半年", "H2": "下半年"}
_QUARTER = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度"}

_CSS = """
*{box-sizing:border-box}body{margin:0;font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;background:#f3f5f4;color:#1f2328;line-height:1.5}
main{max-width:560px;margin:0 auto;padding:16px}
.card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px;margin-bottom:12px}
h1{font-size:20px;margin:4px 0 2px;text-align:center}.sub{font-size:12px;color:#656d76;text-align:center}
.banner{border-radius:8px;padding:10px 12px;margin-bottom:12px;font-weight:600}
.banner.bad{background:#ffebe9;color:#a40e26;border:1px solid #ffc1ba}
.banner.warn{background:#fff8c5;color:#7d4e00;border:1px solid #eed888}
.verify{display:flex;align-items:center;gap:8px;font-weight:600}
.verify.ok{color:#1a7f37}.verify.fail{color:#cf222e}.mark{font-size:22px}
.grade{display:flex;align-items:center;gap:14px}
.badge{width:72px;height:72px;border-radius:50%;color:#fff;display:flex;align-items:center;
justify-content:center;font-size:26px;font-weight:700;flex:none}
.ent{font-size:17px;font-weight:600}dl{margin:0}
.row{display:flex;justify-content:space-between;gap:12px;padding:7px 0;border-bottom:1px solid #eef0f2}
.row:last-child{border-bottom:0}dt{color:#656d76;flex:none}dd{margin:0;text-align:right;word-break:break-all}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
footer{font-size:12px;color:#656d76;text-align:center;padding:8px 0 24px}a{color:#0969da}
"""


def period_zh(code: str) -> str:
    try:
        period = Period.parse(code)
    except ValueError:
        return code
    year = f"{period.year}年"
    if period.kind is PeriodKind.YEAR:
        return f"{year}度"
    if period.kind is PeriodKind.HALF:
        return year + _HALF[code[4:]]
    if period.kind is PeriodKind.QUARTER:
        return year + _QUARTER[code[4:]]
    return f"{year}{period.start.month}月"


def region_zh(code: str) -> str:
    try:
        names = [region.name for region in path(code)]
    except (UnknownRegionError, ValueError):
        return code
    return " ".join(names) + f"（{code}）"


def percent(rate: str) -> str:
    try:
        value = Decimal(rate) * 100
    except InvalidOperation:
        return rate
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _row(label: str, value: str, *, mono: bool = False) -> str:
    css = ' class="mono"' if mono else ""
    return f'<div class="row"><dt>{escape(label)}</dt><dd{css}>{escape(value)}</dd></div>'


def render_certificate_page(
    verification: Verification, *, handle: str, verification_url: str, qr_url: str, replacement_url: str | None
) -> str:
    row = verification.row
    cert = verification.certificate
    status = verification.status
    banners: list[str] = []
    if status is CertificateStatus.SUPERSEDED:
        link = f'，<a href="{escape(replacement_url)}">查看新证书</a>' if replacement_url else ""
        since = f"（{row.revoked_on.isoformat()}）" if row.revoked_on else ""
        banners.append(f'<div class="banner bad">本证书已被新的评价结果取代，已作废{since}{link}</div>')
    elif status is CertificateStatus.REVOKED:
        banners.append('<div class="banner bad">本证书已被撤销，不再有效</div>')
    elif status is CertificateStatus.EXPIRED:
        banners.append(f'<div class="banner warn">本证书已于 {row.valid_until.isoformat()} 到期</div>')

    if verification.signature_valid:
        verdict = (
            '<div class="verify ok"><span class="mark">✔</span>'
            "<span>签名有效：证书内容由平台签发，未被篡改</span></div>"
        )
    else:
        reason = escape(verification.reason_zh or "")
        verdict = (
            '<div class="verify fail"><span class="mark">✘</span><span>签名无效：证书内容与签名不符，请勿采信'
            f'</span></div><p class="sub">{reason}</p>'
        )

    colour = row.grade_colour
    grade = cert.grade if cert else row.grade
    level = cert.level if cert else row.level
    name = cert.enterprise_name if cert else row.enterprise_name
    details: list[str] = []
    if cert is not None:
        details += [
            _row("统一社会信用代码", cert.uscc or "—", mono=True),
            _row("所在地区", region_zh(cert.region_code)),
            _row("所属行业", f"GB/T 4754-2017 {cert.industry_code}"),
            _row("评价周期", period_zh(cert.period)),
            _row("碳效等级", f"{cert.grade}级"),
            _row("碳排放水平", LEVEL_ZH.get(cert.level, cert.level)),
            _row("碳排放强度", f"{cert.intensity_tco2_per_10k_cny:f} tCO₂/万元"),
            _row("行业基准强度", f"{cert.benchmark_intensity_tco2_per_10k_cny:f} tCO₂/万元"),
            _row("碳效值 K", f"{cert.efficiency_value_k:f}"),
            _row("碳中和率", percent(f"{cert.neutralisation_rate:f}")),
            _row("碳排放总量", f"{cert.total_emissions_tco2:f} tCO₂"),
            _row("净排放量", f"{cert.net_emissions_tco2:f} tCO₂"),
            _row("评价规则版本", cert.rule_set_version),
            _row("行业基准版本", cert.benchmark_version),
            _row("签发日期", cert.issued_on.isoformat()),
            _row("有效期至", cert.valid_until.isoformat()),
        ]
    else:
        details += [
            _row("评价周期", period_zh(row.period)),
            _row("签发日期", row.issued_on.isoformat()),
            _row("有效期至", row.valid_until.isoformat()),
        ]
    details += [_row("证书状态", STATUS_ZH[status])]
    ids = [
        _row("证书编号", row.code, mono=True),
        _row("证书标识", handle, mono=True),
        _row("签名算法", "Ed25519"),
        _row("签名密钥", row.kid, mono=True),
        _row("内容哈希", verification.content_hash or "—", mono=True),
    ]
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>企业碳效评价证书 {escape(row.code)}</title><style>{_CSS}</style></head>
<body><main>
<div class="card"><h1>企业碳效评价证书</h1>
<div class="sub">Carbon-efficiency certificate · 绿色低碳标识服务平台</div></div>
{"".join(banners)}
<div class="card">{verdict}</div>
<div class="card"><div class="grade">
<div class="badge" style="background:{escape(colour)}">{grade}级</div>
<div><div class="ent">{escape(name)}</div><div class="sub" style="text-align:left">碳效等级 {grade} 级 · 碳排放水平{
        escape(LEVEL_ZH.get(level, level))
    }</div></div></div></div>
<div class="card"><dl>{"".join(details)}</dl></div>
<div class="card"><dl>{"".join(ids)}</dl></div>
<footer>签名可离线验证：<a href="{escape(verification_url)}">验证结果（JSON）</a> ·
<a href="../../.well-known/certificate-keys.json">平台公钥</a> · <a href="{escape(qr_url)}">碳效码</a></footer>
</main></body></html>"""


def render_not_found_page(code: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>证书不存在</title>
<style>{_CSS}</style></head><body><main>
<div class="card"><h1>企业碳效评价证书</h1></div>
<div class="banner bad">未找到编号为 {escape(code[:64])} 的证书，请核对二维码或证书编号。</div>
</main></body></html>"""
