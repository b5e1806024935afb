"""contrib/serve/nginx.conf works as shipped (issue 18): a real nginx with that file (ports,
certificate and password file swapped for the test's) asks for the password, then serves the
page and carries the websocket to `tonertrack serve`; without the password, neither."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
from servetools import Served, free_port

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "contrib" / "serve" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [pytest.mark.xdist_group("serve"),
              pytest.mark.skipif(NGINX is None, reason="no nginx (Debian package nginx-light)")]


def site_for_test(tmp: Path, port: int, upstream: int) -> Path:
    text = SITE.read_text()
    swaps = {
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "/etc/ssl/certs/printers.example.org.pem": str(tmp / "cert.pem"),
        "/etc/ssl/private/printers.example.org.key": str(tmp / "key.pem"),
        "/etc/nginx/tonertrack.htpasswd": str(tmp / "htpasswd"),
        "proxy_pass http://127.0.0.1:9470;": f"proxy_pass http://127.0.0.1:{upstream};",
    }
    for old, new in swaps.items():
        assert old in text, f"contrib/serve/nginx.conf no longer has {old!r}: update this test"
        text = text.replace(old, new)
    site = tmp / "site.conf"
    site.write_text(text)
    return site


@pytest.fixture
def proxied(tmp_path):
    port = free_port()
    served = Served(tmp_path / "tt", "--read-only", "--public-url", f"https://127.0.0.1:{port}")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    hashed = subprocess.run(["openssl", "passwd", "-apr1", "s3cret"], check=True, capture_output=True,
                            text=True).stdout.strip()
    (tmp_path / "htpasswd").write_text(f"helpdesk:{hashed}\n")
    main = tmp_path / "nginx.conf"
    temp = "\n".join(f"  {kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
    main.write_text(f"daemon off;\nuser root;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\n"
                    f"error_log {tmp_path}/error.log;\nevents {{}}\n"
                    f"http {{\n  access_log off;\n{temp}\n  include {site_for_test(tmp_path, port, served.port)};\n}}\n")
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(main)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:  # nginx says nothing when it listens: try the port (the bound only stops a hang)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else "nginx exited"
            assert time.monotonic() < deadline, "nginx did not listen"
            time.sleep(0.1)
    yield f"https://127.0.0.1:{port}", served
    nginx.terminate()
    nginx.wait(timeout=30)
    served.stop()


async def test_nginx_asks_for_the_password_then_carries_the_session(proxied):
    url, served = proxied
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # the test's self-signed certificate
    auth = {"Authorization": aiohttp.encode_basic_auth("helpdesk", "s3cret")}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=insecure)) as http:
        async with http.get(url + "/") as page:
            assert page.status == 401
        async with http.get(url + "/", headers={"Authorization": aiohttp.encode_basic_auth("helpdesk", "wrong")}) as page:
            assert page.status == 401
        async with http.get(url + "/", headers=auth) as page:
            assert page.status == 200
            assert f'data-session-websocket-url="wss://127.0.0.1:{url.rsplit(":", 1)[1]}/ws"' in await page.text()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url + "/ws")
        assert refused.value.status == 401
        assert served.sessions == []
        ws = await http.ws_connect(url + "/ws?width=100&height=30", headers={**auth, "Origin": url})
        seen = b""
        while b"READ-ONLY" not in seen or b"Reception" not in seen:
            msg = await ws.receive(timeout=120)
            assert msg.type == aiohttp.WSMsgType.BINARY, (msg, seen[-300:])
            seen += msg.data
        assert len(served.sessions) == 1
        await ws.close()
