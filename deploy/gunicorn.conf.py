"""Gunicorn settings for Lastmeter (docs/deploy.md explains each choice).

Run: gunicorn -c deploy/gunicorn.conf.py server.wsgi:app
Environment: LASTMETER_* for the app; WEB_CONCURRENCY, GUNICORN_WORKER_CLASS, GUNICORN_THREADS and GUNICORN_BIND for
this file.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers, one per core (at least 2): measured the fastest on a 2-core machine on both databases
# (docs/benchmarks.md, section 1: twice the visits/s of 5 gthread workers × 4 threads, a third of the p95).
# Requests are short, CPU-bound database work; nginx buffers uploads before they reach a worker and buffers
# responses after, so no slow client holds a worker, and extra threads would only wait for the GIL and, on
# SQLite, for the one writer. More cores: raise WEB_CONCURRENCY with them (docs/deploy.md).
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# A sync worker cannot report while it serves a request, so the timeout is the longest one request may
# take: a large export is written at a few thousand rows a second (docs/benchmarks.md), well past the
# 60 s after which ODK Collect gives up and retries. Ten minutes covers a province-sized export.
timeout = 600
graceful_timeout = 60
keepalive = 5

# Recycle workers now and then so a leak in a library cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

# Behind nginx on the same machine; LASTMETER_TRUSTED_PROXIES tells the app how many X-Forwarded-* hops to trust.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs go to stdout/stderr for journald or the container runtime. The access line holds no query string,
# body or header but the user agent, and the Collect token in /key/<token>/… paths is cut to 4 characters.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss "%(a)s"'
logger_class = "server.adapters.gunicorn_log.RedactingLogger"
