"""The words a form shows, read from its XForm: question labels and choice labels per language. Pure.

Supervisors read answers as the worker saw them — "一般", not "fair" — so the detail page
turns stored values back into the form's own labels.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from server.adapters.xml import local_name, parse_xml

ITEXT_REF = re.compile(r"jr:itext\('([^']+)'\)")


@dataclass(frozen=True)
class FormLabels:
    questions: dict[str, str]            # path → label
    choices: dict[str, dict[str, str]]   # path → {value → label}

    def question(self, path: str) -> str:
        return self.questions.get(path, path.rsplit("/", 1)[-1])

    def answer(self, path: str, value: object) -> object:
        options = self.choices.get(path)
        if not options:
            return value
        if isinstance(value, list):
            return [options.get(v, v) for v in value]
        return options.get(str(value), value) if value is not None else None


def read_labels(xml: bytes, lang_prefix: str = "中文") -> FormLabels:
    root = parse_xml(xml, "XForm")
    model = next(e for e in root.iter() if local_name(e.tag) == "model")
    texts = _itext(model, lang_prefix)
    instances = {c.get("id"): c for c in model if local_name(c.tag) == "instance" and c.get("id")}
    primary = next(c for c in model if local_name(c.tag) == "instance" and c.get("id") is None)
    prefix = f"/{local_name(next(iter(primary)).tag)}/"
    body = next((e for e in root.iter() if local_name(e.tag) == "body"), None)
    questions: dict[str, str] = {}
    choices: dict[str, dict[str, str]] = {}
    for control in (body.iter() if body is not None else ()):
        ref = control.get("ref") or control.get("nodeset") or ""
        if not ref.startswith(prefix):
            continue
        path = ref[len(prefix):]
        label = _label(control, texts)
        if label:
            questions[path] = label
        options = _options(control, texts, instances)
        if options:
            choices[path] = options
    return FormLabels(questions, choices)


def _itext(model: Element, lang_prefix: str) -> dict[str, str]:
    itext = next((c for c in model if local_name(c.tag) == "itext"), None)
    if itext is None:
        return {}
    translations = [t for t in itext if local_name(t.tag) == "translation"]
    chosen = next((t for t in translations if (t.get("lang") or "").startswith(lang_prefix)),
                  translations[0] if translations else None)
    texts: dict[str, str] = {}
    for text in (chosen if chosen is not None else ()):
        value = next((v for v in text if local_name(v.tag) == "value" and not v.get("form")), None)
        if value is not None:
            texts[text.get("id", "")] = "".join(value.itertext()).strip()
    return texts


def _label(control: Element, texts: dict[str, str]) -> str:
    label = next((c for c in control if local_name(c.tag) == "label"), None)
    if label is None:
        return ""
    match = ITEXT_REF.search(label.get("ref") or "")
    return texts.get(match.group(1), "") if match else "".join(label.itertext()).strip()


def _options(control: Element, texts: dict[str, str], instances: dict[str, Element]) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in (c for c in control if local_name(c.tag) == "item"):
        value = next((c for c in item if local_name(c.tag) == "value"), None)
        if value is not None:
            options[(value.text or "").strip()] = _label(item, texts)
    itemset = next((c for c in control if local_name(c.tag) == "itemset"), None)
    if itemset is not None:
        match = re.match(r"instance\('([^']+)'\)", itemset.get("nodeset") or "")
        source = instances.get(match.group(1)) if match else None
        for item in (source.iter() if source is not None else ()):
            if local_name(item.tag) != "item":
                continue
            fields = {local_name(c.tag): (c.text or "").strip() for c in item}
            if "name" in fields:
                options[fields["name"]] = texts.get(fields.get("itextId", ""), fields.get("label", fields["name"]))
    return options
