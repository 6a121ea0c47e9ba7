import secrets


class SecretsTokenSource:
    def new_token(self) -> str:
        return secrets.token_urlsafe(32)  # 256 bits
