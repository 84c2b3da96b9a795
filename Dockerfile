# trainyard in a container: installs the package and runs `trainyard serve`.
#   docker build -t trainyard .
#   docker run -d --name trainyard --env-file /etc/trainyard/trainyard.env \
#     -v /etc/trainyard/trainyard.toml:/etc/trainyard/trainyard.toml:ro \
#     -v trainyard-data:/var/lib/trainyard -p 8080:8080 trainyard
# In the config: [service] bind = "0.0.0.0" (the container's port must be reachable), and a
# PostgreSQL [database] url for several replicas (SQLite in /var/lib/trainyard for one).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY connectors ./connectors
COPY model ./model
COPY reports ./reports
COPY sync ./sync
RUN pip install '.[postgres]' && rm -rf /src

RUN useradd --system --home-dir /var/lib/trainyard --create-home trainyard
USER trainyard
WORKDIR /var/lib/trainyard

EXPOSE 8080
HEALTHCHECK --interval=60s --timeout=5s --start-period=120s \
    CMD python -c "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"

# SIGTERM (docker stop) lets the page being stored finish; serve exits within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["trainyard", "serve", "--config", "/etc/trainyard/trainyard.toml"]
CMD ["--log-format", "json"]
