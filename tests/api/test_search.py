"""Member search: by name with or without diacritics and in any word order, by party card or
citizen ID, only within the user's subtree (a neighbour's member is not found, exactly as one
that does not exist), through the API and the board's page, hostile text answered in words."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import httpx
import pytest

from application.office import LiaisonOffice
from domain import commands as c
from projections import search
from tests.api.conftest import PASSWORD, Auth
from tests.api.test_neighbours import CARD, NEIGHBOURS, SUPERVISOR, Branch
from tests.integration import province as p

AN, ANH, DAO, HOA = "Nguyễn Văn An", "Nguyễn Văn Anh", "Đặng Thị Đào", "Trần Thị Hoa"
CITIZEN = "001085012345"


class People:
    """An (received at X and C1), Anh (registered at W only), Đào (with a citizen ID, at W),
    Hoa (W2's member, referred to X2), and the secret branch of `test_neighbours`."""

    def __init__(self, office: LiaisonOffice) -> None:
        self.an = p.received_member(office, 1, name=AN).member_id
        self.anh = p.register(office, 2, ANH)
        self.dao = office.execute(
            c.RegisterMember(
                **p.by(p.CLERK, p.REGISTERED_ON), name=DAO, birth_date=date(1985, 3, 8),
                party_card_number=p.party_card(3), citizen_id=CITIZEN,
                workplace_unit_id=p.WORKPLACE,
            )
        ).member_id  # fmt: skip
        self.hoa = office.execute(
            c.RegisterMember(
                **p.by(SUPERVISOR, p.REGISTERED_ON), name=HOA,
                birth_date=date(1979, 9, 2), party_card_number=p.party_card(4),
                workplace_unit_id="W2",
            )
        ).member_id  # fmt: skip
        office.execute(
            c.Refer(
                **p.by(SUPERVISOR, p.REFERRED_ON), member_id=self.hoa,
                referral=c.Referral(residence_commune_id="X2"),
            )
        )  # fmt: skip
        self.branch = Branch(office)


@pytest.fixture
def people(office: LiaisonOffice) -> People:
    return People(office)


@pytest.fixture(params=["few units", "many units"])
def subtree_form(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of the search's two forms: a subtree's members looked up first (a commune, a
    workplace), or the units as a hashed set (a province of thousands)."""
    monkeypatch.setattr(search, "SMALL_SUBTREE", 10_000 if request.param == "few units" else 0)


async def found(client: httpx.AsyncClient, headers: dict[str, str], q: str) -> list[str]:
    """The names a search finds, in order."""
    response = await client.get("/api/members", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return [hit["name"] for hit in response.json()["hits"]]


async def test_names_are_found_without_diacritics_and_in_any_word_order(
    client: httpx.AsyncClient, auth: Auth, people: People
) -> None:
    clerk = await auth("clerk")
    for typed in ("Nguyễn Văn An", "nguyen van an", "NGUYEN VAN AN", "An Nguyễn", "an nguyen van"):
        assert (await found(client, clerk, typed))[0] == AN, typed
    # The whole word first: "an" is An's given name and only the start of Anh's.
    assert await found(client, clerk, "van an") == [AN, ANH]
    assert await found(client, clerk, "nguyen van anh") == [ANH]
    # As typed so far: every word may be the start of one of the name's words.
    assert await found(client, clerk, "nguy va") == [AN, ANH]
    # đ and Đ are d; dấu hỏi, ngã, nặng, mũ and móc all fold.
    for typed in ("dang thi dao", "Đào Đặng", "đao", "DAO dang THI"):
        assert await found(client, clerk, typed) == [DAO], typed
    assert await found(client, clerk, "nguyen thi") == []  # no word may be left unmatched


async def test_members_are_found_by_party_card_and_citizen_id(
    client: httpx.AsyncClient, auth: Auth, people: People
) -> None:
    clerk = await auth("clerk")
    assert await found(client, clerk, p.party_card(1)) == [AN]
    assert await found(client, clerk, p.party_card(3)) == [DAO]
    assert await found(client, clerk, CITIZEN) == [DAO]
    assert await found(client, clerk, CITIZEN[:6]) == [DAO]  # as typed so far
    # The start of a card identifies nobody: everyone whose card starts so, by name.
    assert (await found(client, clerk, "0000000"))[:3] == [DAO, AN, ANH]
    response = await client.get("/api/members", params={"q": p.party_card(1)}, headers=clerk)
    [hit] = response.json()["hits"]
    assert hit == {
        "member_id": str(people.an), "name": AN, "party_card_number": p.party_card(1),
        "unit_id": p.CELL, "unit_name": p.CELL, "stage": "attending",
    }  # fmt: skip
    [anh] = (await client.get("/api/members", params={"q": ANH}, headers=clerk)).json()["hits"]
    assert (anh["unit_id"], anh["stage"]) == (p.WORKPLACE, None)  # never referred
    page = await client.get("/api/members", params={"q": "0", "limit": 2}, headers=clerk)
    assert [h["name"] for h in page.json()["hits"]] == [DAO, AN]
    assert page.json()["more"] is True


async def test_a_member_without_citizen_id_does_not_come_before_the_name_typed(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, people: People, subtree_form: None
) -> None:
    # Đào has a citizen ID, Đào Anh has none: "not identified" is the same for both, and the whole
    # name typed comes first (it was once unknown for Đào Anh, which sorted before everyone).
    p.register(office, 5, f"{DAO} Anh")
    clerk = await auth("clerk")
    assert await found(client, clerk, "dang thi dao") == [DAO, f"{DAO} Anh"]
    assert await found(client, clerk, "dao") == [DAO, f"{DAO} Anh"]


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("clerk", {AN, ANH, DAO}),  # by workplace
        ("commune", {AN}),  # by the liaison's commune
        ("secretary", {AN}),  # by the liaison's cell
        ("clerk2", {HOA}),
        ("commune2", {HOA}),
        ("secretary2", set()),  # Hoa is referred to X2, not yet placed in C2
        ("supervisor", {AN, ANH, DAO, HOA}),
    ],
)
async def test_a_search_finds_only_members_of_the_users_subtree(
    client: httpx.AsyncClient,
    auth: Auth,
    people: People,
    username: str,
    sees: set[str],
    subtree_form: None,
) -> None:
    headers = await auth(username)
    everyone = {AN, ANH, DAO, HOA}
    for name in everyone:
        hits = await found(client, headers, name)
        assert (name in hits) == (name in sees), (username, name, hits)
        assert not set(hits) - sees, (username, name, hits)


@pytest.mark.parametrize("username", NEIGHBOURS)
async def test_a_neighbours_member_is_not_found_as_if_there_were_none(
    client: httpx.AsyncClient, auth: Auth, people: People, username: str, subtree_form: None
) -> None:
    headers = await auth(username)
    nobody = await client.get("/api/members", params={"q": "Lưu Quang Vũ"}, headers=headers)
    for typed in ("Nguyễn Thị Kín Đáo", "kin dao", "Đáo Kín", CARD, CARD[:5]):
        answer = await client.get("/api/members", params={"q": typed}, headers=headers)
        assert (answer.status_code, answer.json()) == (200, nobody.json()), (username, typed)
        assert "Kín" not in answer.text
    # The same on the board's page: the words of "no member", nothing of the branch.
    await sign_in(client, username)
    page = await client.get("/search", params={"q": "kin dao"})
    assert page.status_code == 200
    assert "Kín Đáo" not in page.text
    assert "BIMAT" not in page.text
    assert "Không có đảng viên nào trong phạm vi của bạn" in page.text
    # Whoever the branch is under finds its member.
    supervisor = await auth("supervisor")
    assert await found(client, supervisor, "kin dao") == ["Nguyễn Thị Kín Đáo"]
    assert people.branch.member_id


@pytest.mark.parametrize("typed", ["", "   ", "%", "_", "%%", "%_%", "\\", "*", "'", "--", "\x00"])
async def test_an_empty_query_or_wildcards_alone_find_nobody(
    client: httpx.AsyncClient, auth: Auth, people: People, typed: str
) -> None:
    answer = await client.get("/api/members", params={"q": typed}, headers=await auth("clerk"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"hits": [], "more": False}


@pytest.mark.parametrize(
    ("typed", "finds"),
    [
        ("ng_yen", []),  # as a LIKE pattern it would find every Nguyễn
        ("%an", [AN, ANH]),  # as "an": a wildcard is no more than a space
        ("an' OR '1'='1", []),
        ("an); DROP TABLE member; --", []),
        ("an\x00an", [AN, ANH]),
        ("a" * 100, []),
    ],
)
async def test_hostile_text_is_only_words_to_look_for(
    client: httpx.AsyncClient, auth: Auth, people: People, typed: str, finds: list[str]
) -> None:
    clerk = await auth("clerk")
    assert await found(client, clerk, typed) == finds
    assert await found(client, clerk, AN) == [AN, ANH]  # and the table is still there


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_too_long_a_text_or_limit_is_refused_in_words(
    client: httpx.AsyncClient, auth: Auth, people: People, language: str
) -> None:
    clerk = {**await auth("clerk"), "Accept-Language": language}
    words = {"vi": "“Nội dung tìm kiếm” tối đa 100 ký tự.", "en": "Search text"}
    answer = await client.get("/api/members", params={"q": "a" * 101}, headers=clerk)
    assert answer.status_code == 422
    assert answer.json()["code"] == "malformed"
    assert words[language] in answer.json()["message"], answer.json()
    assert "100" in answer.json()["message"]
    for limit in ("0", "101", "x"):
        refused = await client.get(
            "/api/members", params={"q": "an", "limit": limit}, headers=clerk
        )
        assert refused.status_code == 422, (limit, refused.text)
    await sign_in(client, "clerk", language)
    for path in ("/search", "/search/results"):
        page = await client.get(path, params={"q": "nguyễn " * 40})
        assert page.status_code == 422, page.text[:300]
        assert words[language] in page.text


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_the_board_page_lists_each_member_by_name_card_unit_and_stage(
    client: httpx.AsyncClient, people: People, language: str
) -> None:
    await sign_in(client, "clerk", language)
    words: dict[str, dict[str, Any]] = {
        "vi": {"title": "Tìm đảng viên", "card": "(thẻ 00000001)", "stage": "Đang sinh hoạt",
               "never": "Chưa giới thiệu về nơi cư trú", "hint": "Nhập họ tên"},
        "en": {"title": "Search members", "card": "(card 00000001)", "stage": "Attending",
               "never": "Not referred yet", "hint": "Type a name"},
    }[language]  # fmt: skip
    empty = await client.get("/search")
    assert empty.status_code == 200
    assert words["title"] in empty.text
    assert words["hint"] in empty.text
    page = await client.get("/search", params={"q": "van nguyen"})
    assert page.status_code == 200
    text = page.text
    assert f'href="/members/{people.an}"' in text
    assert f'href="/members/{people.anh}"' in text
    assert f"{AN} {words['card']}" in text
    assert words["stage"] in text
    assert words["never"] in text
    assert text.index(f"{AN} ") < text.index(f"{ANH} ")
    # Every page carries the search box, a plain GET form to /search.
    home = await client.get("/")
    assert 'action="/search"' in home.text
    assert 'name="q"' in home.text
    assert '<script src="/static/search.js"' in home.text
    # The fragment the box fetches as one types: the same results, no page around them.
    fragment = await client.get("/search/results", params={"q": "van nguyen"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert f"{AN} {words['card']}" in fragment.text
    script = await client.get("/static/search.js")
    assert script.status_code == 200
    assert "/search/results" in script.text


async def test_a_search_answers_what_was_recorded_a_moment_ago(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, people: People
) -> None:
    clerk = await auth("clerk")
    assert await found(client, clerk, "Phạm Minh Chính") == []
    member_id: UUID = p.register(office, 9, "Phạm Minh Chính")
    hits = (await client.get("/api/members", params={"q": "chinh pham"}, headers=clerk)).json()
    assert [h["member_id"] for h in hits["hits"]] == [str(member_id)]


async def sign_in(client: httpx.AsyncClient, username: str, language: str = "vi") -> None:
    """Sign in to the board through its form, in a language."""
    client.cookies.set("lang", language)
    signed = await client.post("/login", data={"username": username, "password": PASSWORD})
    assert signed.status_code == 303, signed.text
