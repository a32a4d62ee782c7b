#!/usr/bin/env python3
"""Drift repair against a running packaged refresher (see compare-jars.sh): once its /metrics show
its first complete reconcile, 15 of its Secrets in namespaces spread over the range are emptied
and 15 deleted, one after the other, and the time until the API server holds the right content
again is taken by polling every 5 ms, as HeapBenchmark does for the in-process sync. Appends one
line to OUT.

    drift-samples.py KUBECONFIG RUN_JAR OUT [NAMESPACES]
"""
import base64, http.client, json, os, re, ssl, statistics, subprocess, sys, time, urllib.request

kubeconfig, run_jar, out = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
kc = open(kubeconfig).read()
host, port = re.search(r'server: https://([\d.]+):(\d+)', kc).groups()
if not host.startswith('127.'):
    raise SystemExit('only a local benchmark cluster (127.0.0.0/8), got ' + host)
token = re.search(r'token: (\S+)', kc).group(1)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE  # the benchmark cluster's own self-signed certificate, loopback
conn = http.client.HTTPSConnection(host, int(port), context=ctx)
headers = {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'}


def call(method, path, body=None):
    global conn
    for _ in range(3):
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            r = conn.getresponse()
            data = r.read()
            return r.status, (json.loads(data) if data else None)
        except (http.client.HTTPException, OSError):
            conn = http.client.HTTPSConnection(host, int(port), context=ctx)
    raise SystemExit('API server unreachable')


def refresher():
    found = subprocess.run(['pgrep', '-f', 'jar ' + run_jar + ' sync'], capture_output=True, text=True)
    for pid in found.stdout.split():
        try:
            if open('/proc/%s/comm' % pid).read().strip() == 'java':
                return pid
        except OSError:
            pass
    return None


start = time.time()
pid = None
while pid is None:
    if time.time() - start > 1800:
        raise SystemExit('no refresher started')
    pid = refresher()
    time.sleep(0.5)
metrics_port = None
while True:  # its first complete reconcile: the reconcile duration has a first observation
    if not os.path.exists('/proc/' + pid):
        raise SystemExit('refresher gone')
    if metrics_port is None:
        for line in subprocess.run(['ss', '-ltnpH'], capture_output=True, text=True).stdout.splitlines():
            if 'pid=%s,' % pid in line:
                metrics_port = line.split()[3].rsplit(':', 1)[1]
    if metrics_port:
        try:
            text = urllib.request.urlopen('http://127.0.0.1:%s/metrics' % metrics_port, timeout=5).read().decode()
            c = re.search(r'^acr_credential_reconcile_duration_seconds_count\S* (\S+)', text, re.M)
            if c and float(c.group(1)) >= 1:
                break
        except OSError:
            pass
    time.sleep(1)
time.sleep(3)

status, first = call('GET', '/api/v1/namespaces?labelSelector=acr-heap%3Din&limit=1')
prefix, digits = first['items'][0]['metadata']['name'].rsplit('-', 1)
status, secrets = call('GET', '/api/v1/namespaces/%s/secrets?labelSelector=acr-credential.io/instance%%3Dheapbench'
                       % first['items'][0]['metadata']['name'])
name = sorted(s['metadata']['name'] for s in secrets['items'])[0]
emptied, deleted = [], []
for k in range(15):
    path = '/api/v1/namespaces/%s-%0*d/secrets/%s' % (prefix, len(digits), k * n // 15, name)
    status, secret = call('GET', path)
    good = secret['data']
    secret['data'] = {'.dockerconfigjson': base64.b64encode(b'{"auths":{}}').decode()}
    t = time.monotonic()
    status, _ = call('PUT', path, secret)
    if status != 200:
        raise SystemExit('emptying %s: HTTP %d' % (path, status))
    while True:
        status, now = call('GET', path)
        if status == 200 and now.get('data') == good:
            break
        if time.monotonic() - t > 60:
            raise SystemExit('not repaired in 60 s: ' + path)
        time.sleep(0.005)
    emptied.append((time.monotonic() - t) * 1000)
    uid = now['metadata']['uid']
    t = time.monotonic()
    call('DELETE', path)
    while True:
        status, now = call('GET', path)
        if status == 200 and now['metadata']['uid'] != uid:
            break
        if time.monotonic() - t > 60:
            raise SystemExit('not restored in 60 s: ' + path)
        time.sleep(0.005)
    deleted.append((time.monotonic() - t) * 1000)
line = ('drift over 15+15 samples: emptied Secret repaired median %.0f ms (max %.0f); deleted Secret'
        ' restored median %.0f ms (max %.0f)') % (
    statistics.median(emptied), max(emptied), statistics.median(deleted), max(deleted))
with open(out, 'a') as f:
    f.write(line + '\n')
print(line)
