"""config/README.md documents every key of config/config.yaml with its default, and nothing else:
a changed default or a new key without its row fails here, so the docs cannot drift."""

from __future__ import annotations

import re

import yaml

ROW = re.compile(r"^\| `(?P<key>[\w.]+)` \|(?P<default>[^|]*)\|", re.M)


def _documented(repo) -> dict[str, str]:
    return {m["key"]: m["default"].strip() for m in ROW.finditer((repo / "config" / "README.md").read_text())}


def _leaves(config, prefix=""):
    """Every key whose value is not a section (a mapping), dotted; sections themselves too."""
    for key, value in config.items():
        path = f"{prefix}{key}"
        yield path, value
        if isinstance(value, dict) and value:
            yield from _leaves(value, path + ".")


def _schema_has(schema, key) -> bool:
    node = schema
    for part in key.split("."):
        if node.get("type") == "object" and "properties" not in node and "additionalProperties" not in node:
            return True  # a free-form mapping (an attack's params, checked by its builder)
        if node.get("type") == "object" or "properties" in node or "additionalProperties" in node:
            properties = node.get("properties", {})
            if part in properties:
                node = properties[part]
                continue
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                node = extra
                continue
        if "oneOf" in node or "anyOf" in node:
            options = node.get("oneOf", node.get("anyOf"))
            found = [o for o in options if part in o.get("properties", {})]
            if found:
                node = found[0]["properties"][part]
                continue
        return False
    return True


def test_every_key_of_the_defaults_is_documented_with_its_value(repo, default_config):
    documented = _documented(repo)
    missing = [key for key, _ in _leaves(default_config) if key not in documented]
    assert missing == [], f"config/README.md has no row for {missing}"
    wrong = []
    for key, value in _leaves(default_config):
        if isinstance(value, dict) and value:
            continue  # a section: its keys have their own rows
        text = documented[key]
        if not (text.startswith("`") and text.endswith("`")) or yaml.safe_load(text.strip("`")) != value:
            wrong.append(f"{key}: documented {text!r}, config.yaml has {value!r}")
    assert wrong == [], "\n".join(wrong)


def test_every_documented_key_exists_in_the_schema(repo, schema):
    for key in _documented(repo):
        assert _schema_has(schema, key), f"config/README.md documents {key}, which the schema does not know"
