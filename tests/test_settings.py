import pytest

from rag.errors import SettingsError
from rag.settings import Settings, config_file, data_dir, load_settings, save_settings, with_changes


def test_rag_home_holds_settings_and_data(rag_home):
    assert config_file() == rag_home / "settings.toml"
    assert data_dir() == rag_home
    assert not rag_home.exists(), "nothing may be created just by asking for paths"


def test_defaults_without_file():
    s = load_settings()
    assert s == Settings()
    assert s.llm_model.startswith("bundled:") and s.embedding_model.startswith("bundled:")


def test_file_then_env_override(rag_home, monkeypatch):
    rag_home.mkdir()
    (rag_home / "settings.toml").write_text('top_k = 7\ntemperature = 0.5\n')
    monkeypatch.setenv("RAG_TOP_K", "9")
    s = load_settings()
    assert s.top_k == 9 and s.temperature == 0.5


def test_save_roundtrip_writes_only_changes(rag_home):
    path = save_settings(with_changes(Settings(), chunk_tokens=128))
    assert path.read_text().strip() == "chunk_tokens = 128"
    assert load_settings().chunk_tokens == 128


@pytest.mark.parametrize("content, words", [
    ("top_k = [", "not valid TOML"),
    ("nonsense = 1", "unknown setting 'nonsense'"),
    ("top_k = 'many'", "'top_k' must be a int"),
    ("top_k = 0", "'top_k' must be between 1 and 100"),
    ("gpu_layers = 'lots'", "'gpu_layers'"),
    ("pdf_backend = 'magic'", "'pdf_backend'"),
])
def test_bad_file_names_file_and_setting(rag_home, content, words):
    rag_home.mkdir()
    (rag_home / "settings.toml").write_text(content)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert words in str(err.value)
    assert "settings.toml" in str(err.value)


def test_bad_env_value_names_variable(monkeypatch):
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "huge")
    with pytest.raises(SettingsError, match="RAG_CHUNK_TOKENS"):
        load_settings()
