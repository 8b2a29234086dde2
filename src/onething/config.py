"""The one typed settings object; nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONETHING_", env_file=".env", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    """Empty means the embedded SQLite database var/onething.db."""
    secret_key: str = "dev-only-change-me"
    session_days: int = 7
    token_days: int = 30
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    default_region: str = "410103000000"
    platform_name: str = "一体化政务服务平台"
    hotline: str = "12345"
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = False

    upload_max_mb: int = 20
    """Largest material file accepted, in MB."""
    deadline_warning_ratio: float = 0.8
    """Share of the promised working days after which a task or case turns yellow."""
    tick_minutes: int = 10
    """How often `onething serve` runs the deadline job; 0 turns it off (run `cases tick`)."""

    policy_run_minutes: int = 1440
    """How often `onething serve` matches every policy against every profile (birthdays and new
    benefit periods change eligibility without any data change); 0 turns it off."""

    llm_url: str = ""
    """Empty: Q&A answers in the guides' own words. Otherwise an OpenAI-compatible endpoint
    (e.g. http://127.0.0.1:8080/v1) that rephrases the retrieved passages, with citations."""
    llm_model: str = "qwen2.5-7b-instruct"
    llm_api_key: str = ""
    llm_timeout_seconds: float = 20.0

    smtp_host: str = ""
    """Empty: no e-mail. Notifications always go to the database and the log."""
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    sms_gateway_url: str = ""
    """Empty: no SMS. Otherwise a gateway taking POST {"phone", "text"} as JSON."""
    sms_gateway_token: str = ""

    @property
    def files_dir(self) -> Path:
        return self.var_dir / "files"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'onething.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
