"""The JUnit XML report of one ``synod check`` (``--junit FILE``): what CI dashboards read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from explorer.replay.trace import synod_version


def junit_xml(report: Any) -> str:
    # ``report`` is an explorer.cli.report.CheckReport (not imported: report imports us)
    """JUnit XML: one testcase per property; violated ones fail, an unwitnessed
    ``sometimes`` fails under --strict and is skipped otherwise."""
    r = report.result
    c = report.config
    suite = ET.Element("testsuite", name=f"synod check {c.model} ({c.variant})")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="verdict", value=report.verdict_line())
    ET.SubElement(props, "property", name="distinct_states", value=str(r.distinct_states))
    ET.SubElement(props, "property", name="complete", value=str(r.complete).lower())
    ET.SubElement(props, "property", name="synod_version", value=synod_version())
    failures = skipped = 0
    classname = f"synod.{c.model}.{c.variant}".replace(":", ".")
    for prop in report.properties:
        case = ET.SubElement(
            suite, "testcase", classname=classname, name=f"{prop.kind} {prop.name}",
            time=f"{r.elapsed_s:.3f}",
        )
        violated = next((v for v in report.violations if v.property_name == prop.name), None)
        if violated is not None:
            failures += 1
            failure = ET.SubElement(
                case, "failure", type=prop.kind,
                message=f"{prop.name} violated after {violated.step} steps"
                + (f"; trace {violated.trace}" if violated.trace else ""),
            )
            failure.text = "\n".join(
                f"{i}. {label}" for i, label in enumerate(violated.actions, start=1)
            )
        elif prop.kind == "sometimes" and not r.sometimes.get(prop.name, False):
            message = f"{prop.name} was never witnessed within the bounds (vacuous?)"
            if report.strict:
                failures += 1
                ET.SubElement(case, "failure", type="sometimes", message=message)
            else:
                skipped += 1
                ET.SubElement(case, "skipped", message=message)
        if prop.description:
            ET.SubElement(case, "system-out").text = prop.description
    suite.set("tests", str(len(report.properties)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{r.elapsed_s:.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
