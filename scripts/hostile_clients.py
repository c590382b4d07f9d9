"""Hostile clients for `sluice serve` (issue 15): slowloris heads, keyless 1 MB bodies, and timed failover.

Usage: python3 scripts/hostile_clients.py slowloris PORT N SECONDS
       python3 scripts/hostile_clients.py bodies PORT N BYTES
       python3 scripts/hostile_clients.py failover PORT N
Prints one JSON line of what it saw. Standard library only.
"""
import json, socket, sys, time, urllib.request

def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s

def slowloris(port, n, seconds):
    socks, refused = [], 0
    for _ in range(n):
        try:
            s = connect(port)
            s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            refused += 1
    start = time.time()
    closed_at = {}
    health = []
    while time.time() - start < seconds:
        for i, s in enumerate(socks):
            if i in closed_at:
                continue
            try:
                s.settimeout(0.001)
                if s.recv(1) == b"":
                    closed_at[i] = time.time() - start
            except socket.timeout:
                try:
                    s.sendall(b"X-a: b\r\n")  # a header line now and then, as slowloris does
                except OSError:
                    closed_at[i] = time.time() - start
            except OSError:
                closed_at[i] = time.time() - start
        try:
            t = time.time()
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).read()
            health.append(round((time.time() - t) * 1000, 1))
        except Exception:
            health.append(None)
        time.sleep(0.5)
    for s in socks:
        s.close()
    times = sorted(closed_at.values())
    print(json.dumps({"opened": len(socks), "refused": refused, "closed_by_server": len(times),
                      "closed_within_1s": sum(1 for t in times if t < 1), "last_close_s": round(times[-1], 1) if times else None,
                      "health_ok": sum(1 for h in health if h is not None), "health_checks": len(health),
                      "health_max_ms": max((h for h in health if h is not None), default=None)}))

def bodies(port, n, size):
    socks, statuses = [], {}
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    chunk = b"x" * 65536
    for _ in range(n):
        try:
            s = connect(port)
            s.sendall(head)
            sent = 0
            s.settimeout(0.05)
            while sent < size:
                try:
                    sent += s.send(chunk[: min(len(chunk), size - sent)])
                except (socket.timeout, BlockingIOError):
                    break  # the server stopped reading: it answered before the body
            socks.append(s)
        except OSError as e:
            statuses["connect_error"] = statuses.get("connect_error", 0) + 1
    for s in socks:
        try:
            s.settimeout(10)
            line = s.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
            code = line.split(" ")[1] if " " in line else "closed"
        except OSError:
            code = "error"
        statuses[code] = statuses.get(code, 0) + 1
        s.close()
    print(json.dumps({"connections": n, "statuses": statuses}))

def failover(port, n):
    queue_ms, total_ms, codes = [], [], {}
    body = json.dumps({"model": "bench", "max_tokens": 2, "messages": [{"role": "user", "content": "hi"}]}).encode()
    for _ in range(n):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body, headers={"content-type": "application/json"})
        t = time.time()
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            codes[r.status] = codes.get(r.status, 0) + 1
            queue_ms.append(float(r.headers.get("x-sluice-queue-ms", "nan")))
        total_ms.append((time.time() - t) * 1000)
    q = sorted(queue_ms)
    tt = sorted(total_ms)
    print(json.dumps({"requests": n, "codes": codes, "queue_ms_p50": q[len(q) // 2], "queue_ms_p99": q[int(len(q) * 0.99) - 1],
                      "queue_ms_max": q[-1], "total_ms_p50": round(tt[len(tt) // 2], 2), "total_ms_max": round(tt[-1], 2)}))

if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "slowloris": slowloris(port, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "bodies": bodies(port, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "failover": failover(port, int(sys.argv[3]))
