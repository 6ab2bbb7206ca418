from django.apps import AppConfig


class StylizeConfig(AppConfig):
    name = "stylize"
    verbose_name = "Stylization engine"
