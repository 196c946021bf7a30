"""A piloting algorithm's view of bearer serve: it calls the fake C2
through the proxy and with a token from /v1/tokens, with no token handling
of its own, until serve has rotated the token ROTATIONS times.

Usage: client.py BASE KEY_FILE C2_ROOT ROTATIONS MAX_SECONDS
Prints one JSON line: calls, failures (with their statuses), tokens seen.
"""
import json
import sys
import time

import requests

base, key_file, c2_root, rotations, max_seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
key = open(key_file).read().strip()
s = requests.Session()
s.headers["Bearer-Proxy-Key"] = key


def refreshes():
    text = s.get(base + "/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith('bearer_token_refreshes_total{token="c2"}'):
            return int(float(line.split()[-1]))
    return 0


calls, failures, tokens = 0, [], set()
start = refreshes()
deadline = time.monotonic() + max_seconds
while refreshes() - start < rotations and time.monotonic() < deadline:
    # Through the proxy: no token in sight.
    r = s.get(base + "/c2/apf/drivers", timeout=30)
    calls += 1
    if r.status_code != 200 or not isinstance(r.json(), list):
        failures.append(("proxy", r.status_code))
    # With a token from /v1/tokens, straight to C2.
    tok = s.get(base + "/v1/tokens/c2", timeout=30).json()
    tokens.add(tok["access_token"])
    r = requests.get(c2_root + "/apf/drivers", headers={"Authorization": "Bearer " + tok["access_token"]}, timeout=30)
    calls += 1
    if r.status_code != 200:
        failures.append(("direct", r.status_code))
    time.sleep(0.01)  # pace the workload: two cores are shared
print(json.dumps({"calls": calls, "failures": failures, "tokens": len(tokens), "rotations": refreshes() - start}))
