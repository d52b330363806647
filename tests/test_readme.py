from rag.settings import env_fields
from tests.conftest import PROJECT


def test_readme_documents_every_setting() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for _, env, _ in env_fields():
        assert f"| `{env}` |" in readme, f"{env} is missing from the README's table"
