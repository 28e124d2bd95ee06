# memory-api: migrations then serve. Build: docker build -t memory-api .
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md constraints.txt ./
COPY src ./src
RUN /opt/venv/bin/pip install --no-cache-dir -c constraints.txt .

FROM python:3.11-slim
# Volume directories exist in the image, owned by the user: a new named volume copies that
# ownership (a directory Docker creates for a volume would be root's).
RUN useradd --create-home --uid 10001 memory \
    && mkdir -p /data /home/memory/.cache \
    && chown memory:memory /data /home/memory/.cache
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MEMORY_API_DATA_DIR=/data \
    HOME=/home/memory
USER memory
WORKDIR /home/memory
VOLUME ["/data", "/home/memory/.cache"]
EXPOSE 8001
# Liveness only: /health would mark the container unhealthy while a dependency is down.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/livez', timeout=2)"]
# Listening on 0.0.0.0 needs MEMORY_API_API_KEYS (or MEMORY_API_ALLOW_UNAUTHENTICATED=true).
CMD ["memory-api", "serve", "--host", "0.0.0.0", "--port", "8001"]
