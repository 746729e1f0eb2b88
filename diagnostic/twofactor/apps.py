from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "diagnostic.twofactor"
    label = "twofactor"
    verbose_name = "Second factor"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from diagnostic.twofactor.services import note_what_sign_in_needs

        user_logged_in.connect(note_what_sign_in_needs, dispatch_uid="twofactor.sign_in")
