# Wallfacer as a headless server in a container. It drives the host's engine
# through the mounted Docker socket (see docker-compose.yml).
#
#   docker build -t wallfacer-server .
#   docker build --build-arg BASE=local/debian:bookworm -t wallfacer-server .
#
# Wheels prepared beside the source (`pip wheel -w wheelhouse .`, which builds
# Wallfacer's own wheel too) let the build run without reaching PyPI; without
# them pip fetches from PyPI as usual.
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The wheelhouse* pattern may match nothing; the wheels, if any, land in /src.
COPY pyproject.toml README.md wheelhouse* /src/
COPY app /src/app
COPY server /src/server
COPY runner /src/runner
RUN python3 -m venv /opt/wallfacer \
 && if ls /src/*.whl >/dev/null 2>&1; then \
      /opt/wallfacer/bin/pip install --no-cache-dir --no-index --find-links /src wallfacer; \
    else \
      /opt/wallfacer/bin/pip install --no-cache-dir /src; \
    fi

FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 wallfacer \
 && mkdir -p /data \
 && chown wallfacer /data
COPY --from=build /opt/wallfacer /opt/wallfacer
USER wallfacer
ENV WALLFACER_DATA_DIR=/data \
    WALLFACER_LOG_DIR=/data/logs \
    WALLFACER_ADDR=0.0.0.0:8080 \
    PATH=/opt/wallfacer/bin:$PATH
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["python3", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4).status != 200)"]
ENTRYPOINT ["wallfacer", "--headless"]
