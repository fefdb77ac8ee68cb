"""Java: pom.xml dependencies with literal versions (or a property of the same file), and gradle.lockfile lines.

A version the file does not state (a parent's, a BOM's) or a range is unaudited: resolving it would take
Maven itself. The XML is read with entity expansion refused (defusedxml): a PR's pom.xml is hostile input.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException, ElementTree

from ghapp.runners.dependency_files import Pin
from ghapp.runners.lockfiles.common import line_of, pinned, unaudited

MAVEN = "Maven"
_PROPERTY = re.compile(r"\$\{([^}]+)\}")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def pom_xml(path: str, text: str) -> list[Pin]:
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ValueError(f"cannot parse the XML: {exc}") from None
    except DefusedXmlException as exc:  # entity declarations, external references: refused, never expanded
        raise ValueError(f"refused XML: {exc}") from None
    if _local(root.tag) != "project":
        raise ValueError("not a Maven pom.xml (the root element is not <project>)")
    properties = {_local(p.tag): (p.text or "").strip() for e in root if _local(e.tag) == "properties" for p in e}
    pins = []
    for dependency in (e for e in root.iter() if _local(e.tag) == "dependency"):
        name = f"{_child(dependency, 'groupId')}:{_child(dependency, 'artifactId')}"
        line = line_of(text, f"<artifactId>{_child(dependency, 'artifactId')}</artifactId>")
        version = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), _child(dependency, "version"))
        if not version:
            pins.append(unaudited(MAVEN, name, path, line, "no version here (set by a parent or a BOM)"))
        elif "${" in version or version[0] in "[(":
            pins.append(unaudited(MAVEN, name, path, line, f"not one literal version ({version[:60]})"))
        else:
            pins.append(pinned(MAVEN, name, version, path, line))
    return pins


def gradle_lockfile(path: str, text: str) -> list[Pin]:
    pins = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("empty="):
            continue
        coordinates = line.split("=", 1)[0].split(":")
        if len(coordinates) != 3:
            raise ValueError(f"line {number} is not group:artifact:version=configurations")
        group, artifact, version = coordinates
        pins.append(pinned(MAVEN, f"{group}:{artifact}", version, path, number))
    return pins
