"""The REST API (FastAPI): one router per area; ``app.create_app`` only wires."""
