# The app image (gateway, web, actions). Rasa runs from the official rasa/rasa:3.6.21-full image.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements/app.lock requirements/app.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/app.lock
COPY . .
RUN pip install --no-cache-dir --no-deps . \
 && pybabel compile --domain helpline --directory content/locale \
 && useradd --system --home /data helpline && mkdir -p /data && chown helpline /data
USER helpline
ENV HELPLINE_CONTENT_DIR=/app/content
