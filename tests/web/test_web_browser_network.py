"""The test browser stays on this machine: launched as the browser fixture launches it, but
under strace, it loads a page with a form from a 127.0.0.1 server (and from localhost), idles
a few seconds, and every connect() and send of every Chromium process is read back. Without
the project's switches Chromium asks the DNS server about content-autofill.googleapis.com,
accounts.google.com and update.googleapis.com some hundred times in ten seconds.

Nor do the browser tests leave files in the checkout: artifacts/ gets screenshots of failures only.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]

# Before resolving any name, even 127.0.0.1, Chromium (net/dns/host_resolver_manager.cc,
# kIPv6ProbeAddress) connect()s a UDP socket to this address to learn whether IPv6 has a route,
# at most once a second, and no switch turns it off. A UDP connect() sends no packet; a send
# on that socket would still fail the test.
IPV6_PROBE = ("UDPv6", "2001:4860:4860::8888", 443)
QUIET_WINDOW_MS = 5_000  # how long the browser is watched idling after the loads, not a limit
FORM_PAGE = b"""<!doctype html><title>form</title>
<form><input name=email autocomplete=email><input name=password type=password><button>Sign in</button></form>"""

_CALL = re.compile(r"^\d+\s+(connect|sendto|sendmsg|sendmmsg)\((\d+)(?:<(\w+):\[(.*?)\]>)?")
_SOCKADDR = re.compile(r'sa_family=AF_INET6?, sin6?_port=htons\((\d+)\).*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")')
_PEER = re.compile(r"->\[?([^\]]*?)\]?:(\d+)$")


@dataclass(frozen=True)
class Attempt:
    """One connect() or send of an IP socket, as strace -yy shows it."""

    call: str
    proto: str  # TCP, UDP, TCPv6, UDPv6 (from the descriptor); "" when strace could not tell
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        ip = ipaddress.ip_address(self.host)
        mapped = getattr(ip, "ipv4_mapped", None)
        return ip.is_loopback or bool(mapped and mapped.is_loopback)

    @property
    def ipv6_probe(self) -> bool:
        return self.call == "connect" and (self.proto, self.host, self.port) == IPV6_PROBE


def network_attempts(trace: str) -> list[Attempt]:
    """Every connect()/send*() to an IPv4/IPv6 address in `strace -f -yy` output: the address
    argument where there is one, else the connected socket's peer."""
    found = []
    for line in trace.splitlines():
        call = _CALL.match(line)
        if not call:
            continue
        name, _fd, proto, sock = call.groups()
        addresses = [(v4 or v6, int(port)) for port, v4, v6 in _SOCKADDR.findall(line)]
        peer = _PEER.search(sock or "")
        if not addresses and peer:
            addresses = [(peer.group(1), int(peer.group(2)))]
        found += [Attempt(name, proto or "", host, port) for host, port in addresses]
    return found


def browser_argv(trace: str) -> list[str]:
    """The command line Chromium itself was started with: the last execve that carries
    Playwright's --remote-debugging-pipe (the first one runs the Debian wrapper script)."""
    execs = [line for line in trace.splitlines() if " execve(" in line and "--remote-debugging-pipe" in line and line.rstrip().endswith("= 0")]
    assert execs, "no execve of Chromium with --remote-debugging-pipe in the trace"
    array = execs[-1].split("[", 1)[1].split("]", 1)[0]
    return [bytes(s, "ascii").decode("unicode_escape") for s in re.findall(r'"((?:[^"\\]|\\.)*)"', array)]


@pytest.fixture(scope="module")
def traced_run(playwright_api: Any, chromium_launch: dict[str, Any], page_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the test browser under strace through a load of the form page and a quiet spell."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is missing: run `make browser` (it installs chromium and strace)")
    folder = tmp_path_factory.mktemp("strace")
    trace_file = folder / "chromium.strace"
    wrapper = folder / "chromium-traced"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec {strace} -f -qq -yy -s 4096 -e trace=network,execve -e signal=none -o {trace_file} {chromium_launch['executable_path']} \"$@\"\n"
    )
    wrapper.chmod(0o755)
    page_server.pages["/network-form.html"] = ("text/html", FORM_PAGE)
    browser = playwright_api.chromium.launch(**{**chromium_launch, "executable_path": str(wrapper)})
    try:
        page = browser.new_page()
        for host in ("127.0.0.1", "localhost"):
            page.goto(f"{page_server.url(host)}/network-form.html")
            page.fill("input[name=email]", "someone@example.org")
        page.wait_for_timeout(QUIET_WINDOW_MS)
    finally:
        browser.close()  # strace exits with the last Chromium process: the trace is complete
    trace = Path(trace_file).read_text(errors="replace")
    return {"trace": trace, "attempts": network_attempts(trace), "port": page_server.port}


def test_the_recorder_sees_the_browser_connect(traced_run: dict[str, Any]) -> None:
    """Not vacuous: the trace holds the browser's connections to the page server."""
    to_page = [a for a in traced_run["attempts"] if a.call == "connect" and a.loopback and a.port == traced_run["port"]]
    assert to_page, traced_run["trace"][-3000:]


def test_the_browser_looks_up_no_name_and_reaches_nothing_off_loopback(traced_run: dict[str, Any]) -> None:
    attempts = traced_run["attempts"]
    dns = [a for a in attempts if a.port == 53]
    assert not dns, f"{len(dns)} DNS attempts: {Counter(f'{a.call} {a.host}' for a in dns)}"
    off_loopback = [a for a in attempts if not a.loopback and not a.ipv6_probe]
    assert not off_loopback, f"{len(off_loopback)} attempts off loopback: {Counter(f'{a.call} {a.proto} {a.host}:{a.port}' for a in off_loopback)}"


def test_no_feature_switch_of_playwright_is_lost(traced_run: dict[str, Any]) -> None:
    """Chromium applies only the last --disable-features/--enable-features it is given: ours
    must carry every name Playwright passes before it."""
    argv = browser_argv(traced_run["trace"])
    assert any(a.startswith("--host-resolver-rules=MAP * ~NOTFOUND") for a in argv), argv  # the project's switches got through
    for switch in ("--disable-features=", "--enable-features="):
        lists = [set(a.removeprefix(switch).split(",")) for a in argv if a.startswith(switch)]
        lost = set().union(*lists[:-1]) - lists[-1] if lists else set()
        assert not lost, f"{switch} given {len(lists)} times; Chromium ignores {sorted(lost)}: add them to CHROMIUM_DISABLED_FEATURES in tests/web/conftest.py"


def test_the_parser_reads_strace_lines() -> None:
    lines = "\n".join([
        '7 connect(27<UDP:[1234]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
        '7 sendto(27<UDP:[192.0.2.2:5555->10.255.255.53:53]>, "\\1\\2", 2, MSG_NOSIGNAL, NULL, 0) = 2',
        '8 connect(22<UDPv6:[99]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0),'
        ' inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>',
        '9 sendto(5<TCP:[127.0.0.1:40000->127.0.0.1:8000]>, "GET", 3, MSG_NOSIGNAL, NULL, 0) = 3',
        '9 sendmsg(12<UNIX-STREAM:[1->2]>, {msg_name=NULL}, MSG_NOSIGNAL) = 8',
        '9 <... connect resumed>) = 0',
    ])
    assert network_attempts(lines) == [
        Attempt("connect", "UDP", "10.255.255.53", 53),
        Attempt("sendto", "UDP", "10.255.255.53", 53),
        Attempt("connect", "UDPv6", "2001:4860:4860::8888", 443),
        Attempt("sendto", "TCP", "127.0.0.1", 8000),
    ]
    loop, probe = network_attempts(lines)[3], network_attempts(lines)[2]
    assert loop.loopback and probe.ipv6_probe and not probe.loopback


# --------------------------------------------------------------------------------------
# nor does it leave files in the checkout: artifacts/ gets a screenshot only when a test fails
ARTIFACT_TESTS = '''
def test_passes(new_page):
    new_page().set_content("<p>fine</p>")

def test_fails(new_page):
    new_page().set_content("<p>broken</p>")
    assert False
'''


def test_screenshots_go_to_artifacts_only_when_a_test_fails(tmp_path: Path) -> None:
    """The browser fixtures, copied into a scratch checkout, run one passing and one failing
    test in a child pytest: only the failing one leaves a file in that checkout's artifacts/."""
    import subprocess
    import sys

    web = tmp_path / "tests" / "web"
    web.mkdir(parents=True)
    shutil.copy(Path(__file__).with_name("conftest.py"), web / "conftest.py")
    (web / "test_artifacts.py").write_text(ARTIFACT_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # the scratch checkout is the child's root
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(web)],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert sorted(p.name for p in (tmp_path / "artifacts").iterdir()) == ["failed-test_fails-0-0.png"]
