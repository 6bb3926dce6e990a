"""Entry point: `flask --app app …` and `gunicorn 'app:app'`."""
from backoffice import create_app

app = create_app()
