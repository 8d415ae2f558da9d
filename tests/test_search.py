"""Search and the paged client list: Chinese, pinyin, phones, emails, notes; index upkeep; paging."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import delete, insert, update

from accountdesk.errors import ValidationError
from accountdesk.models import Client, Contact, ServiceNote, new_id
from accountdesk.services import clients, records
from accountdesk.services import search as S
from accountdesk.store import search as index


def _user(ctx, username, role):
    return records.create_record(ctx, "user", {"username": username, "display_name": username, "role": role})


@pytest.fixture
def book(ctx):
    """A small client book."""
    ids = {
        "huhang": clients.create_client(
            ctx, name="护航科技服务有限公司", short_name="护航科技", province="广东省"
        ),
        "huawei": clients.create_client(ctx, name="华为技术有限公司", province="广东省", tier="strategic"),
        "bank": clients.create_client(ctx, name="重庆银行股份有限公司", province="重庆市", tier="key"),
        "acme": clients.create_client(ctx, name="Acme Trading", province="上海市"),
    }
    ids["xiaoming"] = records.create_record(
        ctx,
        "contact",
        {
            "name": "王晓明",
            "title": "采购经理",
            "mobile": "13912345678",
            "email": "wang.xm@acme-trading.com",
            "notes": "喜欢周二上午开会",
        },
        client_id=ids["acme"],
    )
    ids["note"] = records.create_record(
        ctx,
        "service_note",
        {"category": "交付", "text": "报告必须在每周五下午三点前送达质量部"},
        client_id=ids["bank"],
    )
    return ids


def _found(ctx, query):
    return {(h.entity, h.row_id) for h in S.search(ctx, query)}


@pytest.mark.parametrize(
    "query",
    [
        "hhkj",
        "hu hang",
        "huhang",
        "护航",
        "HuHang",
        "护航科技服务",
        "hu hang ke ji",
        "kjfw",
        # mixed full syllables and initials
        "huhkj",
        "hhang",
        "hu hang kj",
        "kejifw",
        "hangkj",
    ],
)
def test_chinese_and_pinyin_find_the_client(ctx, book, query):
    assert ("client", book["huhang"]) in _found(ctx, query)
    assert book["huhang"] in {r.id for r in S.list_clients_page(ctx, search=query).rows}


def test_mixed_pinyin_does_not_match_syllables_that_are_not_consecutive(ctx, book):
    assert ("client", book["huhang"]) not in _found(ctx, "hukj")  # 护 and 科 are not neighbours
    assert ("client", book["huhang"]) not in _found(ctx, "hukeji")
    assert ("contact", book["xiaoming"]) in _found(ctx, "wangxm")
    assert ("contact", book["xiaoming"]) in _found(ctx, "wxming")


def test_two_character_queries_and_initials(ctx, book):
    assert _found(ctx, "华为") == {("client", book["huawei"])}
    assert ("client", book["huawei"]) in _found(ctx, "hw")
    assert S.count_clients(ctx, search="华为") == 1


def test_heteronym_reading_of_bank_is_indexed(ctx, book):
    # 行 in 银行 reads háng; 重庆 reads chóngqìng (not zhòng).
    assert ("client", book["bank"]) in _found(ctx, "yinhang")
    assert ("client", book["bank"]) in _found(ctx, "chongqing")
    assert ("client", book["bank"]) in _found(ctx, "cqyh")


def test_contact_given_name_phone_email_and_notes(ctx, book):
    contact = ("contact", book["xiaoming"])
    for query in (
        "晓明",
        "xiaoming",
        "wxm",
        "王晓明",
        "139 1234 5678",
        "12345678",
        "wang.xm",
        "ACME-TRADING.COM",
        "周二上午",
    ):
        assert contact in _found(ctx, query), query
    hit = next(h for h in S.search(ctx, "晓明") if h.row_id == book["xiaoming"])
    assert hit.client_id == book["acme"] and hit.client_name == "Acme Trading"
    assert "王晓明" in hit.label
    # The client list finds the client through its contact.
    assert [r.id for r in S.list_clients_page(ctx, search="晓明").rows] == [book["acme"]]


def test_service_notes_are_found_and_hidden_from_field_staff_when_confidential(ctx, book):
    assert ("service_note", book["note"]) in _found(ctx, "周五下午")
    secret = records.create_record(
        ctx, "service_note", {"text": "董事长不喝咖啡", "confidential": True}, client_id=book["bank"]
    )
    field_user = _user(ctx, "li", "field")
    records.create_record(ctx, "client_team_member", {"user_id": field_user}, client_id=book["bank"])
    assert ("service_note", secret) in _found(ctx, "喝咖啡")
    ctx.set_actor(field_user)
    assert _found(ctx, "喝咖啡") == set()
    assert ("service_note", book["note"]) in _found(ctx, "周五下午")


def test_name_matches_come_before_other_text(ctx, book):
    records.create_record(ctx, "service_note", {"text": "对接人是华为出身"}, client_id=book["acme"])
    hits = S.search(ctx, "华为")
    assert hits[0].entity == "client" and hits[0].row_id == book["huawei"]
    assert {h.entity for h in hits} == {"client", "service_note"}


def test_names_beginning_with_the_query_come_first(ctx, book):
    supplier = clients.create_client(ctx, name="深圳华为配套服务有限公司")
    long_name = clients.create_client(ctx, name="华为数字能源技术有限公司")
    assert [h.row_id for h in S.search(ctx, "华为")] == [book["huawei"], long_name, supplier]
    assert [h.row_id for h in S.search(ctx, "huawei")][:2] == [book["huawei"], long_name]
    assert S.search(ctx, "华为", limit=1)[0].row_id == book["huawei"]


def test_nothing_found_and_blank_queries(ctx, book):
    assert S.search(ctx, "腾讯") == []
    assert S.search(ctx, "   ") == []
    assert S.count_clients(ctx, search="zzzz") == 0
    assert S.list_clients_page(ctx, search="zzzz").rows == []


def test_index_follows_updates_and_deletes_through_services(ctx, book):
    clients.update_client(ctx, book["huhang"], name="领航数据有限公司")
    assert ("client", book["huhang"]) not in _found(ctx, "护航科技服务")
    assert ("client", book["huhang"]) in _found(ctx, "lhsj")
    # The short name still holds 护航科技.
    assert ("client", book["huhang"]) in _found(ctx, "护航")

    records.update_record(ctx, "contact", book["xiaoming"], {"mobile": "13700001111"})
    assert _found(ctx, "12345678") == set()
    assert ("contact", book["xiaoming"]) in _found(ctx, "13700001111")

    records.delete_record(ctx, "contact", book["xiaoming"])
    assert _found(ctx, "晓明") == set()
    assert S.count_clients(ctx, search="晓明") == 0

    clients.delete_client(ctx, book["bank"])
    assert _found(ctx, "重庆银行") == set()
    assert _found(ctx, "周五下午") == set()  # the deleted client's notes go with it
    assert book["bank"] not in {r.id for r in S.list_clients_page(ctx, limit=None).rows}


def test_rows_written_with_plain_sql_are_indexed(ctx, book):
    """The sync engine and bulk loaders write rows without the services: the triggers index them."""
    cid, kid = new_id(), new_id()
    now = dt.datetime(2026, 3, 1)
    with ctx.store.write() as session:
        session.execute(
            insert(Client).values(
                id=cid,
                client_id=cid,
                name="远航物流集团",
                tier="key",
                status="active",
                tags=[],
                created_at=now,
                updated_at="x",
            )
        )
        session.execute(
            insert(Contact).values(
                id=kid,
                client_id=cid,
                name="赵敏",
                mobile="+8618611112222",
                created_at=now,
                updated_at="x",
                is_primary=False,
            )
        )
    assert ("client", cid) in _found(ctx, "yhwl")
    assert ("contact", kid) in _found(ctx, "赵敏")
    assert ("contact", kid) in _found(ctx, "18611112222")

    # A pulled tombstone (a plain UPDATE of deleted_at) leaves the index.
    with ctx.store.write() as session:
        session.execute(update(Contact).where(Contact.id == kid).values(deleted_at=now))
        session.execute(update(Client).where(Client.id == cid).values(name="远洋物流集团"))
    assert _found(ctx, "赵敏") == set()
    assert ("client", cid) in _found(ctx, "远洋")
    assert _found(ctx, "远航") == set()

    # An upsert (INSERT OR REPLACE) and a hard delete.
    nid = new_id()
    with ctx.store.write() as session:
        session.execute(
            insert(ServiceNote).values(
                id=nid,
                client_id=cid,
                text="仓库夜班联系老周",
                created_at=now,
                updated_at="x",
                confidential=False,
            )
        )
        session.execute(
            insert(ServiceNote)
            .prefix_with("OR REPLACE")
            .values(
                id=nid,
                client_id=cid,
                text="仓库夜班联系老孙",
                created_at=now,
                updated_at="y",
                confidential=False,
            )
        )
    assert _found(ctx, "老周") == set()
    assert ("service_note", nid) in _found(ctx, "老孙")
    with ctx.store.write() as session:
        session.execute(delete(ServiceNote).where(ServiceNote.id == nid))
    assert _found(ctx, "老孙") == set()


def test_a_raw_sqlite_connection_of_the_store_keeps_the_index(ctx, book):
    """Any connection the store opens has the index functions (e.g. a bulk generator's)."""
    raw = ctx.store.engine.raw_connection()
    try:
        cid = new_id()
        raw.execute(
            "INSERT INTO clients (id, client_id, name, tier, status, tags, created_at, updated_at) "
            "VALUES (?, ?, '星辰传媒', 'standard', 'active', '[]', '2026-01-01 00:00:00', 'x')",
            (cid, cid),
        )
        raw.commit()
    finally:
        raw.close()
    assert ("client", cid) in _found(ctx, "xccm")


def test_rebuild_gives_the_same_index_as_the_triggers(ctx, book):
    def snapshot():
        with ctx.store.read() as session:
            rows = (
                session.connection()
                .exec_driver_sql(
                    "SELECT entity, row_id, client_id, label, name_doc, body_doc, sort_key FROM search_rows ORDER BY row_id"
                )
                .all()
            )
        return [tuple(r) for r in rows]

    before = snapshot()
    with ctx.store.write() as session:
        count = index.rebuild(session.connection())
    assert count == len(before) == 6
    assert snapshot() == before
    assert _found(ctx, "hhkj") == {("client", book["huhang"])}


def test_fts_integrity_after_changes(ctx, book):
    clients.update_client(ctx, book["acme"], name="Acme Holdings")
    records.delete_record(ctx, "contact", book["xiaoming"])
    with ctx.store.read() as session:
        conn = session.connection()
        conn.exec_driver_sql("INSERT INTO search_tri(search_tri, rank) VALUES ('integrity-check', 1)")


# -- the paged list ---------------------------------------------------------------------------


@pytest.fixture
def many(ctx):
    names = [
        "张三贸易",
        "李四科技",
        "王五物流",
        "赵六能源",
        "阿里云计算",
        "百度在线",
        "Zeta Labs",
        "alpha works",
        "中国银行",
        "招商银行",
        "宁德时代",
        "比亚迪汽车",
        "长沙银行",
        "重庆啤酒",
        "安徽合力",
        "Beta Co",
    ]
    tiers = ["strategic", "key", "standard"]
    provinces = ["广东省", "浙江省", None, "江苏省"]
    ids = []
    for i, name in enumerate(names):
        ids.append(
            clients.create_client(
                ctx,
                name=name,
                tier=tiers[i % 3],
                status=["active", "at_risk", "prospect"][i % 3],
                province=provinces[i % 4],
                contract_renewal_date=None if i % 5 == 0 else dt.date(2026, 1 + i % 12, 1 + i),
            )
        )
    return ids


@pytest.mark.parametrize("sort", S.SORTS)
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_paging_returns_every_row_once_in_order(ctx, many, sort, descending):
    full = S.list_clients_page(ctx, sort=sort, descending=descending, limit=None)
    assert full.next_after is None and len(full.rows) == len(many)
    seen, after, pages = [], None, 0
    while True:
        page = S.list_clients_page(ctx, sort=sort, descending=descending, after=after, limit=3)
        seen.extend(r.id for r in page.rows)
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [r.id for r in full.rows]
    assert pages == 6  # 16 rows by 3
    assert len(set(seen)) == len(many)


def test_sort_orders(ctx, many):
    names = [r.name for r in S.list_clients_page(ctx, sort="name", limit=None).rows]
    # Pinyin order, Latin names among them: 阿(a) < alpha < 安(an) < 百(bai) < Beta < 比(bi) ...
    assert names[:6] == ["阿里云计算", "alpha works", "安徽合力", "百度在线", "Beta Co", "比亚迪汽车"]
    assert (
        names.index("长沙银行") < names.index("重庆啤酒") < names.index("李四科技") < names.index("招商银行")
    )
    tiers = [r.tier for r in S.list_clients_page(ctx, sort="tier", limit=None).rows]
    assert tiers == sorted(tiers, key=["strategic", "key", "standard"].index)
    dates = [
        r.contract_renewal_date
        for r in S.list_clients_page(ctx, sort="contract_renewal_date", limit=None).rows
    ]
    known = [d for d in dates if d is not None]
    assert known == sorted(known) and dates[-len(known) - 1 :][0] is not None and dates[-1] is None
    provinces = [r.province for r in S.list_clients_page(ctx, sort="province", limit=None).rows]
    assert [p for p in dict.fromkeys(provinces)] == [None, "广东省", "江苏省", "浙江省"]
    desc = [r.name for r in S.list_clients_page(ctx, sort="name", descending=True, limit=None).rows]
    assert desc == list(reversed(names))


def test_filters_and_counts(ctx, many):
    f = S.ClientFilter(tiers=("strategic",), provinces=("广东省", "江苏省"))
    rows = S.list_clients_page(ctx, filters=f, limit=None).rows
    assert rows and all(r.tier == "strategic" and r.province in ("广东省", "江苏省") for r in rows)
    assert S.count_clients(ctx, filters=f) == len(rows)
    assert S.count_clients(ctx, search="银行") == 3
    assert (
        S.count_clients(ctx, search="银行", filters=S.ClientFilter(tiers=("strategic",))) == 2
    )  # 招商银行, 长沙银行
    options = S.filter_options(ctx)
    assert options["provinces"] == ["广东省", "江苏省", "浙江省"]  # pinyin order: guang, jiang, zhe
    assert [name for _id, name in options["owners"]] == [ctx.actor.display_name]
    assert S.count_clients(ctx, filters=S.ClientFilter(needs_owner=True)) == 0


def test_the_filter_choices_sort_keys_are_remembered(ctx, many, monkeypatch):
    """The pinyin keys of the filter choices are computed once and kept in the store (computing
    them loads pypinyin's phrase dictionary): the next time needs only the new values'."""
    first = S.filter_options(ctx)
    computed = []
    real = index.sort_key
    monkeypatch.setattr(index, "sort_key", lambda value: computed.append(value) or real(value))
    assert S.filter_options(ctx) == first and computed == []
    clients.create_client(ctx, name="重庆火锅", province="重庆市")  # chong qing (not zhong): first
    assert S.filter_options(ctx)["provinces"] == ["重庆市", "广东省", "江苏省", "浙江省"]
    assert computed == ["重庆市"]


def test_risk_filter_and_row_risk_kinds(ctx, many):
    records.create_record(
        ctx,
        "risk_flag",
        {"kind": "payment_overdue", "raised_at": dt.datetime(2026, 3, 1, tzinfo=dt.UTC)},
        client_id=many[2],
    )
    rows = S.list_clients_page(ctx, filters=S.ClientFilter(risk_only=True)).rows
    assert [(r.id, r.risk_kinds) for r in rows] == [(many[2], ("payment_overdue",))]


def test_scope_of_field_staff_and_managers(ctx, many):
    field_user = _user(ctx, "field1", "field")
    manager = _user(ctx, "mgr1", "manager")
    records.create_record(ctx, "client_team_member", {"user_id": field_user}, client_id=many[0])
    clients.update_client(ctx, many[1], owner_id=manager)
    clients.update_client(ctx, many[2], backup_owner_id=manager)
    ctx.set_actor(field_user)
    assert [r.id for r in S.list_clients_page(ctx).rows] == [many[0]]
    assert S.count_clients(ctx) == 1
    assert S.search(ctx, "李四") == []
    ctx.set_actor(manager)
    assert {r.id for r in S.list_clients_page(ctx, limit=None).rows} == {many[1], many[2]}


def test_bad_arguments_name_the_field(ctx, many):
    with pytest.raises(ValidationError) as err:
        S.list_clients_page(ctx, sort="colour")
    assert err.value.field == "sort"
    with pytest.raises(ValidationError) as err:
        S.list_clients_page(ctx, after=("x",))
    assert err.value.field == "after"


def test_upgrade_from_the_first_revision_indexes_existing_rows(tmp_path):
    from accountdesk.store.migrate import migrate_store

    path = tmp_path / "accountdesk.sqlite3"
    migrate_store(path, tmp_path, target="0001")
    conn = sqlite3.connect(path)
    cid = new_id()
    conn.execute(
        "INSERT INTO clients (id, client_id, name, tier, status, tags, created_at, updated_at) "
        "VALUES (?, ?, '护航科技服务有限公司', 'standard', 'active', '[]', '2026-01-01 00:00:00', 'x')",
        (cid, cid),
    )
    conn.commit()
    conn.close()
    migrate_store(path, tmp_path)
    conn = sqlite3.connect(path)
    index.register_functions(conn)
    rows = conn.execute(
        "SELECT r.row_id FROM search_rows r WHERE r.id IN (SELECT rowid FROM search_tri WHERE search_tri MATCH '\"hhkj\"')"
    ).fetchall()
    conn.close()
    assert rows == [(cid,)]


def test_downgrade_removes_the_index_and_leaves_a_working_file(tmp_path):
    from accountdesk.store.migrate import downgrade, migrate_store

    path = tmp_path / "accountdesk.sqlite3"
    migrate_store(path, tmp_path)
    downgrade(path, "0001")
    conn = sqlite3.connect(path)  # no index functions registered: nothing may call them now
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'search%'")}
    cid = new_id()
    conn.execute(
        "INSERT INTO clients (id, client_id, name, tier, status, tags, created_at, updated_at) "
        "VALUES (?, ?, '护航科技', 'standard', 'active', '[]', '2026-01-01 00:00:00', 'x')",
        (cid, cid),
    )
    conn.commit()
    conn.close()
    assert names == set()


def test_one_character_lists_the_clients_whose_records_contain_it(ctx, book):
    """The first keystroke: a client matches through its name, its contacts or its notes."""

    def listed(q):
        return {r.id for r in S.list_clients_page(ctx, search=q).rows}

    assert listed("华") == {book["huawei"]}
    assert listed("晓") == {book["acme"]}  # through the contact 王晓明
    assert listed("周") == {book["bank"], book["acme"]}  # a service note and a contact's notes
    assert listed("h") >= {book["huhang"], book["huawei"]}  # pinyin initials
    assert S.count_clients(ctx, search="华") == 1
    records.delete_record(ctx, "contact", book["xiaoming"])
    assert listed("晓") == set()


def test_grams_are_each_words_pairs_and_last_character_in_order_without_repeats():
    """The tokens of the two-character index, as the index was first built (a dict grown word by
    word), for names, bodies and the empty cases."""
    import operator

    def reference(*docs):
        out: dict[str, None] = {}
        for doc in docs:
            for word in index._WORD.findall(doc or ""):  # noqa: SLF001
                out.update(dict.fromkeys(map(operator.add, word, word[1:])))
                out[word[-1]] = None
        return " ".join(out)

    names = [
        "上海护航科技有限公司",
        "张三",
        "曾小单",
        "ＡＢＣ Trading Co., Ltd.",
        "李 李李",
        "a",
        "",
        None,
        "x_y-z 1.5",
    ]
    bodies = ["+8613800138000", "p0@example.com", "总经理\n采购经理", "aaaa", None, ""]
    for name in names:
        for body in bodies:
            docs = (index.name_doc(name), index.join_docs(index.phones_doc(body), index.body_doc(body, name)))
            assert index.grams(*docs) == reference(*docs), (name, body)
    assert index.grams() == index.grams(None, "") == ""
    assert index.grams("李李李") == "李李 李"


def test_word_by_word_reading_equals_pypinyin_on_whole_names():
    """The index reads a run of Han characters word by word with a per-word cache; the result
    must be exactly what pypinyin gives for the whole run (demo names, phrases and random
    strings of common and rare characters, including phrases glued to single characters)."""
    import random

    from pypinyin import Style, lazy_pinyin
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.pinyin_dict import pinyin_dict

    from accountdesk.services.demo import data as D

    rnd = random.Random(2026)
    chars = [chr(c) for c in pinyin_dict if 0x4E00 <= c <= 0x9FFF]
    phrases = [p for p in PHRASES_DICT if len(p) <= 4]
    samples = [
        "护航科技服务有限公司",
        "重庆银行股份有限公司",
        "曾单",
        "长沙银行",
        "行长",
        "音乐",
        "朝阳区重庆路",
    ]
    samples += [s[0] + g[0] for s in D.SURNAMES for g in D.GIVEN_NAMES]  # the demo's people
    samples += [b[0] + suffix for b in D.BRANDS for suffix in ("科技有限公司", "银行股份有限公司", "医院")]
    for _ in range(4000):
        pick = rnd.random()
        if pick < 0.4:
            samples.append("".join(rnd.choice(phrases) for _ in range(rnd.randint(1, 4))))
        elif pick < 0.7:
            samples.append("".join(rnd.choice(chars[:4000]) for _ in range(rnd.randint(1, 10))))
        else:
            samples.append(
                "".join(
                    rnd.choice(phrases) if rnd.random() < 0.5 else rnd.choice(chars)
                    for _ in range(rnd.randint(1, 6))
                )
            )
    index._han_readings.cache_clear()
    for run in samples:
        assert index._han_readings(run)[0] == tuple(lazy_pinyin(run, style=Style.NORMAL)), run
