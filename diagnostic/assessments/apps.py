from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "diagnostic.assessments"
    label = "assessments"
