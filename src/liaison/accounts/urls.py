"""Administration pages, and the signed-in user's API tokens, calendar feed and second factor."""

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "accounts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", views.admin_home, name="admin_home"),
    path("admin/users/", views.user_list, name="user_list"),
    path("admin/users/new/", views.user_new, name="user_new"),
    path("admin/users/<uuid:uuid>/", views.user_edit, name="user_edit"),
    path("admin/users/<uuid:uuid>/second-factor/reset/", views.user_mfa_reset, name="user_mfa_reset"),
    path("admin/users/<uuid:uuid>/unlock/", views.user_unlock, name="user_unlock"),
    path("admin/areas/", views.area_list, name="area_list"),
    path("admin/areas/new/", views.area_form, name="area_new"),
    path("admin/areas/<uuid:uuid>/", views.area_form, name="area_edit"),
    path("admin/products/", views.product_list, name="product_list"),
    path("admin/products/new/", views.product_form, name="product_new"),
    path("admin/products/<uuid:uuid>/", views.product_form, name="product_edit"),
    path("admin/teams/", views.team_list, name="team_list"),
    path("admin/territories/", views.territory_list, name="territory_list"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<uuid:uuid>/revoke/", views.token_revoke, name="token_revoke"),
    path("calendar/", views.calendar_feed, name="calendar_feed"),
    path("security/", views.security, name="security"),
    path("security/setup/", views.mfa_setup, name="mfa_setup"),
    path("security/verify/", views.mfa_verify, name="mfa_verify"),
    path("security/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
]
# Sections other apps add to the administration (AdminSection.urls), in this namespace: /accounts/admin/<key>/.
urlpatterns += [path(f"admin/{s.key}/", include(list(s.urls))) for s in views.SECTIONS if s.urls]
