FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install . && DATABASE_URL=postgres://unused/unused python manage.py compile_translations --settings=config.settings.base
RUN useradd --system --home /app trace && mkdir -p /app/staticfiles /app/media && chown -R trace /app
USER trace
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-b", "0.0.0.0:8000", "-w", "4"]
