"""Fill Indonesian translations from a JSON file of {msgid: msgstr}.

    python scripts/fill_translations.py translations.json

Used after 'make messages' when a batch of new strings has been translated;
entries already translated are left alone unless listed.
"""

import json
import sys

from babel.messages.pofile import read_po, write_po

PO = "workshop/translations/id/LC_MESSAGES/messages.po"


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        translations = json.load(handle)
    with open(PO, "rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for message in catalog:
        if message.id in translations:
            message.string = translations[message.id]
            message.flags.discard("fuzzy")
            filled += 1
    with open(PO, "wb") as handle:
        write_po(handle, catalog, width=0, sort_by_file=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {filled}; still untranslated: {len(missing)}")
    for msgid in missing:
        print("  ", msgid)


if __name__ == "__main__":
    main(sys.argv[1])
