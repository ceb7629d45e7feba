"""README.md's generated sections (commands, config directives) follow the code."""
from pyredis import docs


def test_readme_is_up_to_date():
    with open(docs.readme_path()) as f:
        current = f.read()
    assert docs.update(current) == current, "README.md is out of date: python -m pyredis.docs"


def test_sections_list_the_table():
    commands = docs.commands_section()
    assert "| `CONFIG GET` | `parameter [parameter ...]` |" in commands
    assert "| `GET` | `key` | Get the value of a key |" in commands
    directives = docs.config_section()
    assert "| `maxmemory-policy` | `noeviction` |" in directives
    assert "key-load-delay" not in directives        # hidden, as in CONFIG GET *
