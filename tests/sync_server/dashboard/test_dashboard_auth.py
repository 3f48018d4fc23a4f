"""Log-in, sessions, cookie flags, CSRF and log-out, over HTTP on the real app."""

from __future__ import annotations

from dashboard_world import PASSWORD, World, csrf_of, login, make_client
from fastapi.testclient import TestClient


def test_pages_redirect_to_login_and_come_back(client: TestClient) -> None:
    r = client.get("/dashboard/officers?period=year")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/dashboard/login?next=")
    form = client.get(r.headers["location"])
    assert "Đăng nhập" in form.text and 'value="/dashboard/officers?period=year"' in form.text
    r = client.post(
        "/dashboard/login",
        data={
            "username": "lanhdao",
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/dashboard/officers?period=year",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/officers?period=year"


def test_root_leads_to_the_dashboard(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code in (302, 303, 307) and r.headers["location"] == "/dashboard/"


def test_session_cookie_is_httponly_lax_and_scoped(client: TestClient) -> None:
    page = client.get("/dashboard/login")
    r = client.post(
        "/dashboard/login", data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("ctt_session="))
    low = cookie.lower()
    assert "httponly" in low and "samesite=lax" in low and "path=/dashboard" in low
    assert "secure" not in low.replace("ctt_session", "")  # plain http on the LAN


def test_cookie_is_secure_over_https(world: World) -> None:
    with make_client(world) as c:
        c.base_url = c.base_url.copy_with(scheme="https")  # type: ignore[assignment]
        page = c.get("https://testserver/dashboard/login")
        r = c.post(
            "https://testserver/dashboard/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        cookie = next(
            v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("ctt_session=")
        )
        assert "; secure" in cookie.lower()


def test_wrong_password_is_refused_with_one_sentence(client: TestClient) -> None:
    page = client.get("/dashboard/login")
    r = client.post(
        "/dashboard/login", data={"username": "admin", "password": "sai", "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in r.text
    assert "ctt_session=" not in r.headers.get("set-cookie", "")


def test_repeated_failures_are_rate_limited(client: TestClient) -> None:
    token = csrf_of(client.get("/dashboard/login").text)
    codes = [
        client.post(
            "/dashboard/login", data={"username": "xem", "password": "sai", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    r = client.post("/dashboard/login", data={"username": "xem", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "thử lại" in r.text


def test_login_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/dashboard/login")
    r = client.post(
        "/dashboard/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert r.status_code == 403
    assert "ctt_session=" not in r.headers.get("set-cookie", "")


def test_forms_refuse_a_missing_or_wrong_csrf_token(as_leader: TestClient, world: World) -> None:
    for token in ("", "forged"):
        r = as_leader.post(
            f"/dashboard/alerts/{world.ids['very']}/ack", data={"note": "x", "csrf_token": token}
        )
        assert r.status_code == 403
        assert "Phiên làm việc đã hết hạn" in r.text
    page = as_leader.get("/dashboard/alerts")
    assert f'data-ballot="{world.ids["very"]}"' in page.text


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    login(client, "admin")
    stolen = client.cookies.get("ctt_session")
    page = client.get("/dashboard/")
    r = client.post("/dashboard/logout", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    client.cookies.set("ctt_session", stolen or "", path="/dashboard")
    assert client.get("/dashboard/").status_code == 303  # the old cookie is dead


def test_language_switch_keeps_the_page(as_leader: TestClient) -> None:
    r = as_leader.get("/dashboard/lang/en?next=/dashboard/officers")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/officers"
    page = as_leader.get("/dashboard/officers")
    assert 'lang="en"' in page.text and "Satisfaction index" in page.text
    r = as_leader.get("/dashboard/lang/en?next=https://evil.example/")
    assert r.headers["location"] == "/dashboard/"
    as_leader.get("/dashboard/lang/vi")
    assert "Chỉ số hài lòng" in as_leader.get("/dashboard/").text


def test_login_never_sends_the_browser_to_another_site(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/dashboard/", "/dashboard\\@evil.example"):
        page = client.get("/dashboard/login")
        r = client.post(
            "/dashboard/login",
            data={"username": "xem", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": target},
        )
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/", target
        client.cookies.clear()
