from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    """Long passphrases are welcome; only absurd lengths (a pasted file) are refused."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long. Use at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self):
        return f"Your password can be up to {self.max_length} characters; a passphrase is fine."
