# The contactcenter image: one image for the web app (default CMD), the RQ worker
# (`contactcenter worker`) and migrations (`contactcenter db upgrade`); see compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 contactcenter \
 && useradd --system --uid 10001 --gid contactcenter --home-dir /var/lib/contactcenter --no-create-home contactcenter

# The project and its runtime dependencies only (no `[test]` extra); the source is not needed afterwards.
COPY . /tmp/src
RUN pip install /tmp/src && rm -rf /tmp/src

# Owned by the app user so that a named volume mounted on recordings/ starts out writable by it
# (Docker copies the directory's ownership into a new, empty named volume). VAR_DIR defaults to var/ here.
RUN mkdir -p /var/lib/contactcenter/recordings /var/lib/contactcenter/var \
 && chown -R contactcenter:contactcenter /var/lib/contactcenter
WORKDIR /var/lib/contactcenter
ENV RECORDINGS_DIR=/var/lib/contactcenter/recordings

USER contactcenter
EXPOSE 8000
# No HEALTHCHECK here: the worker runs from this image too and serves no HTTP; compose.yaml checks the app.
CMD ["contactcenter", "serve", "--host", "0.0.0.0", "--port", "8000"]
