"""Shared by the site-wide and the API isolation walks (no imports: no cycles)."""

# The Django route names of the API's operations with path parameters (for the site-wide walk).
API_ROUTES = {
    "api:framework_version", "api:value_codes", "api:organisation", "api:round", "api:figures",
    "api:response", "api:answers", "api:answer", "api:completeness", "api:results",
    "api:comparisons", "api:action_plan", "api:my_views", "api:my_view", "api:progress",
    "api:progress_councils", "api:export",
    "api:case_study", "api:introduction", "api:support_focus",
}  # fmt: skip
