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
    hotline_dispatch_hours_emergency: float = 1
    """12345: hours to dispatch an emergency ticket (DB11/T 2021-2022)."""
    hotline_dispatch_hours_utility: float = 2
    """Water, power, gas, heating and extreme weather."""
    hotline_dispatch_hours_normal: float = 24
    hotline_handle_days: dict[str, int] = {
        "emergency": 1,
        "utility": 2,
        "咨询": 3,
        "求助": 5,
        "投诉": 10,
        "举报": 15,
        "建议": 15,
        "表扬": 5,
    }
    """Working days a unit has to reply: by urgency for emergency/utility, else by type."""
    hotline_merge_days: int = 7
    """Open tickets of the same area within this many days are offered for 并单."""
    hotline_merge_similarity: float = 0.45
    hotline_hotspot_min_count: int = 5
    """Hotspot: at least this many tickets of one category in one area within 24 h ..."""
    hotline_hotspot_ratio: float = 3.0
    """... and at least this multiple of its daily mean over the baseline window."""
    hotline_hotspot_baseline_days: int = 28

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
