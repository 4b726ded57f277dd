"""A per-line boilerplate classifier for scraped Chinese news pages (plain text, no HTML).

trafilatura, jusText, readability and gne need HTML or whitespace-separated words, so on
plain Chinese text they do not work (NOTES.md). This module labels whole lines instead,
from their length, punctuation and cue words, plus a few page-level rules (the header above
a breadcrumb, slogans repeated at the top, "related reading" lists, short leftovers in the
footer). It errs towards keeping: a nav line left in costs a little; a lost sentence with a
number in it costs a record.

Lines are matched in their simplified, half-width view, so ``責任編輯：`` and ``责任编辑:``
are the same cue.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from llmx.text.script import HAN, normalize_for_matching

_CLAUSE = re.compile(r"[,。!?;、]")
_INNER_CLAUSE = re.compile(r"[,;、]")
_BULLET = re.compile(r"^[•·●○■□▪◆◇★☆▶►▸‣∙・*\-]")
_DIGIT = re.compile(r"\d")
_LONGEST_CLASSIFIED = 300  # longer lines are article text, whatever cue words they contain

# Breadcrumbs and menus: "香港商报官网 > 广东 > 特别报道", "联系我们|网站介绍|管理团队|".
_NAV_START = re.compile(r"^(当前位置|您的位置|你的位置|您现在的位置|你现在的位置|所在位置)\s*:")
_NAV_SEP = re.compile(r"\s*(?:>>?|»|›|\||丨|│|┃)\s*")
_NAV_SEP_CHAR = re.compile(r"[>»›|丨│┃]")  # each is a _NAV_SEP match on its own
_NAV_HOME = re.compile(r"首页|主页|官网|网站|网$|频道")
_MENU_WORDS = re.compile(r"首页|登录|注册|网站地图|English|设为首页|加入收藏")

# Meta lines: source, author, date, editors. Unambiguous cues need no colon.
_META_STRICT = re.compile(
    r"^[\[【(]?\s*(责任编辑|责编|编审|总监审|监\s*审|值班编辑|值班主任|审核|审校|校对|"
    r"初审|复审|终审|二审|三审|美编|通讯员|标签|关键词|关键字)"
)
_META_COLON = re.compile(
    r"^[\[【(]?\s*(来源|稿源|出处|作者|日期|时间|发布时间|发布日期|发表时间|更新时间|"
    r"发布者|发布人|发布|编辑|主编|记者|摄影|撰稿|供稿|文字|图片|图文|文/图|文|图|"
    r"阅读量|阅读|浏览量|浏览次数|浏览|点击数|点击量|点击|字号|字体)\s*[:/|]"
)
_META_WORD = re.compile(r"(来源|作者|日期|时间|编辑|发布)\s*:")
_DATE_LINE = re.compile(
    r"^[\[【(]?\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(\s*\d{1,2}:\d{2}(:\d{2})?)?\s*(星期.|周.)?[\]】)]?$"
)


def _starting_with(first: str, pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``pattern`` behind a lookahead on the characters a match can start with: the regex
    engine then skips every other position at C speed (3-4x faster on article lines)."""
    return re.compile(f"(?=[{first}])(?:{pattern})", flags)


# Footers: copyright, ICP/licence numbers, publisher lines.
FOOTER_STRONG_PATTERN = (
    r"版权所有|版权声明|版权归|copyright|©|all rights reserved|ICP备|ICP证|公网安备|"
    r"备案号|许可证(编号)?:?\s*[\dA-Z京沪粤]|转载请注明|转载请联系|未经.{0,8}(授权|许可).{0,12}"
    r"(转载|使用|复制|镜像)|违法和不良信息举报|网站标识码"
)
# First characters, with what IGNORECASE lets match c, a and i (İ and ı among them).
_FOOTER_STRONG = _starting_with("版©公备许转未违网ACIaciİı", FOOTER_STRONG_PATTERN, re.IGNORECASE)
_FOOTER_WEAK = re.compile(r"(主管|主办|承办|协办|技术支持|运营|制作)(单位)?\s*:")

# Contact and ads: phone numbers, "scan the QR code", "tell us what you need".
PHONE_PATTERN = (
    r"(?<!\d)(?:1[3-9]\d{9}|[48]00[- ]?\d{3,4}[- ]?\d{3,4}|\(?0\d{2,3}\)?[- ]?\d{7,8})(?!\d)"
)
_PHONE = _starting_with("148(0", PHONE_PATTERN)
_CONTACT_START = re.compile(
    r"^(地址|联系地址|通讯地址|邮编|邮政编码|邮箱|电子邮箱|e-?mail|传真|联系电话|电话|"
    r"热线|服务热线|投诉电话|举报电话|咨询电话|联系人|qq|微信|手机)\s*:",
    re.IGNORECASE,
)
_SHARE = re.compile(
    r"扫一扫|扫码|扫描二维码|二维码|长按识别|长按二维码|公众号|微信号|分享到|一键分享|"
    r"点击关注|关注我们|阅读原文|返回顶部|打印本页|关闭窗口|\[打印\]|【打印】|【关闭】|"
    r"收藏本文|加入收藏|下载客户端|客户端下载|下载APP|推送至手机|点赞|在看"
)
_AD_YOU = re.compile(r"您")
_AD_CUE = re.compile(r"联系|手机|微信|电话|咨询|对接|扫|留言|私信|合作热线")
_PAGER = re.compile(
    r"^[\[【]?(上一篇|下一篇|上一页|下一页|上一条|下一条|返回列表|返回首页|返回目录)"
)

# Photo captions: "专家坐诊询问患儿病情 冯小东 摄", "顶图:...", "图为...".
_CAPTION = re.compile(
    r"(\s[\u4e00-\u9fff·]{2,5}\s*摄(影)?$)|(^[\[(]?(记者)?\s*[\u4e00-\u9fff]{2,4}\s*摄\)?$)|"
    r"^(顶图|头图|上图|下图|左图|右图|题图|配图|资料图|图片|图)\s*:|^图为"
)

# "Related reading" headers; lists after them are dropped too.
_RELATED = frozenset(
    {
        "相关阅读",
        "相关文章",
        "相关新闻",
        "相关链接",
        "相关推荐",
        "推荐阅读",
        "延伸阅读",
        "热门文章",
        "热门推荐",
        "热门新闻",
        "热点新闻",
        "热点推荐",
        "最新文章",
        "最新新闻",
        "最新推荐",
        "猜你喜欢",
        "为你推荐",
        "精彩推荐",
        "更多新闻",
        "更多阅读",
        "今日推荐",
        "往期回顾",
        "往期推荐",
        "图片新闻",
        "排行榜",
        "阅读排行",
    }
)


def _is_related_header(line: str) -> bool:
    return line.strip("[]【】<>《》:#- ") in _RELATED


def _is_nav(line: str) -> bool:
    if _NAV_START.match(line):
        return True
    # A separator character means at least one _NAV_SEP match; most lines have none, and
    # _NAV_SEP's leading \s* makes the regex engine try every position of them.
    if _NAV_SEP_CHAR.search(line):
        segments = [s for s in _NAV_SEP.split(line) if s]
        if len(segments) >= 2:
            short = all(len(s) <= 15 and not _CLAUSE.search(s) for s in segments)
            if short and (len(segments) >= 3 or _NAV_HOME.search(segments[0])):
                return True
    tokens = line.split()
    return (
        len(tokens) >= 4
        and all(len(t) <= 6 for t in tokens)
        and not _CLAUSE.search(line)
        and bool(_MENU_WORDS.search(line))
    )


def classify_line(line: str) -> str | None:
    """Label one line (stripped, simplified, half-width) as a kind of boilerplate, or None.

    Kinds: ``nav``, ``meta``, ``footer``, ``contact``, ``share``, ``pager``, ``caption``,
    ``related``, ``symbols``. Only the line itself is looked at; see :func:`find_boilerplate`
    for the page-level rules.
    """
    n = len(line)
    if not n or n > _LONGEST_CLASSIFIED:
        return None
    has_han = bool(HAN.search(line))
    if not has_han and n <= 20:
        return "symbols"  # "0", "2021-11-12", "|", "more >>"
    if _is_related_header(line):
        return "related"
    if n <= 100 and _is_nav(line):
        return "nav"
    if (
        (n <= 40 and _META_STRICT.match(line))
        or (n <= 60 and _META_COLON.match(line))
        or (
            n <= 120
            and ":" in line
            and "。" not in line
            and len(set(_META_WORD.findall(line))) >= 2
        )
        or _DATE_LINE.match(line)
    ):
        return "meta"
    if (n <= 200 and _FOOTER_STRONG.search(line)) or (
        n <= 120 and len(_FOOTER_WEAK.findall(line)) >= 2
    ):
        return "footer"
    if n <= 100 and (_PHONE.search(line) or _CONTACT_START.match(line)):
        return "contact"
    # Share/subscribe cues also occur in news ("通过公众号、二维码宣传政策,覆盖5000人"):
    # only a short line without inner clause punctuation or figures counts.
    if (
        n <= 60
        and _SHARE.search(line)
        and not _INNER_CLAUSE.search(line)
        and (n <= 20 or not _DIGIT.search(line))
    ):
        return "share"
    if n <= 100 and _AD_YOU.search(line) and _AD_CUE.search(line):
        return "share"
    if n <= 80 and _PAGER.match(line):
        return "pager"
    # Only the last branch of _CAPTION can match without 摄, and it is anchored at ^.
    if n <= 80 and (_CAPTION.search(line) if "摄" in line else _CAPTION.match(line)):
        return "caption"
    return None


def _is_content(line: str) -> bool:
    """A line that reads like article text: long enough, with clause punctuation."""
    return len(line) >= 30 and bool(HAN.search(line)) and bool(_CLAUSE.search(line))


def _is_short_label(line: str, limit: int) -> bool:
    """A short line without clause punctuation (a slogan, a menu entry, a heading)."""
    return 0 < len(line) <= limit and not _CLAUSE.search(line)


def find_boilerplate(
    lines: Sequence[str], dropped: Sequence[bool] | None = None
) -> list[str | None]:
    """Label each line of a page as boilerplate (a kind, see :func:`classify_line`) or None.

    Args:
        lines: The page's lines, stripped of surrounding whitespace (blank lines as "").
        dropped: Lines another step already removes (e.g. a duplicated article body);
            they count as removed when the page-level rules look at neighbours.
    """
    # One conversion call for all the short lines (per-call overhead dominates otherwise).
    short = [i for i, x in enumerate(lines) if x and len(x) <= _LONGEST_CLASSIFIED]
    views = list(lines)
    if short:
        normalized = normalize_for_matching("\n".join(lines[i] for i in short)).split("\n")
        for i, view in zip(short, normalized, strict=True):
            views[i] = view
    labels: list[str | None] = [classify_line(v) for v in views]
    gone = list(dropped) if dropped is not None else [False] * len(views)

    def removed(i: int) -> bool:
        return labels[i] is not None or gone[i]

    # "Related reading" lists: the header, then bullets, short titles and other headers.
    for i, view in enumerate(views):
        if labels[i] != "related" or not _is_related_header(view):
            continue
        for j in range(i + 1, len(views)):
            line = views[j]
            if not line or labels[j] is not None:
                continue
            if _BULLET.match(line) or _is_short_label(line, 40) or _is_related_header(line):
                labels[j] = "related"
            else:
                break

    content = [i for i, v in enumerate(views) if not removed(i) and _is_content(v)]
    if not content:
        return labels  # no article text to anchor the page-level rules: change nothing more
    first, last = content[0], content[-1]

    # Header: slogans repeated above the article, and short lines above a breadcrumb.
    counts = Counter(v for i, v in enumerate(views[:first]) if labels[i] is None)
    for i in range(first):
        if labels[i] is None and _is_short_label(views[i], 20) and counts[views[i]] >= 2:
            labels[i] = "slogan"
    navs = [i for i in range(min(first, 8)) if labels[i] == "nav"]
    if navs:
        for i in range(navs[-1]):
            if labels[i] is None and _is_short_label(views[i], 20):
                labels[i] = "header"

    # Footer: short leftovers ("部委省市", "专题专栏") between removed lines after the article.
    def neighbour_removed(i: int, step: int) -> bool:
        j = i + step
        while 0 <= j < len(views) and not views[j]:
            j += step
        return not 0 <= j < len(views) or removed(j)

    for i in range(last + 1, len(views)):
        view = views[i]
        if (
            labels[i] is None
            and not gone[i]
            and _is_short_label(view, 12)
            and not _DIGIT.search(view)
            and neighbour_removed(i, -1)
            and neighbour_removed(i, 1)
        ):
            labels[i] = "tail"
    return labels
