"""The REST API instance (django-ninja). Routers are added by each app's api.py."""

from ninja import NinjaAPI

api = NinjaAPI(title="Liaison API", version="1", urls_namespace="api")
