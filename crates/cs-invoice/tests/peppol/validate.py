"""Runs the compiled Peppol BIS Billing 3.0 Schematron rules over UBL files.

Usage: python3 validate.py RULES_DIR FILE.xml...

RULES_DIR holds PEPPOL-EN16931-UBL.xsl and CEN-EN16931-UBL.xsl (SchXslt output, SVRL).
Each stylesheet is compiled once with Saxon-HE (the `saxonche` package) and applied to
every file. Prints one line per failed assert, tab-separated:
file, rule set, rule id, flag ("fatal" is an error, "warning" a warning), location, text.
Exit status 3 when saxonche is not installed, so the caller can say so.
"""

import os
import sys
import xml.etree.ElementTree as ET

try:
    from saxonche import PySaxonProcessor
except ImportError:
    sys.stderr.write("saxonche is not installed: run `python3 -m pip install --user saxonche`\n")
    sys.exit(3)

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
RULE_SETS = ["PEPPOL-EN16931-UBL", "CEN-EN16931-UBL"]


def main():
    rules_dir, files = sys.argv[1], sys.argv[2:]
    clean = lambda s: " ".join((s or "").split())
    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        for name in RULE_SETS:
            exe = xslt.compile_stylesheet(stylesheet_file=os.path.join(rules_dir, name + ".xsl"))
            for f in files:
                svrl = exe.transform_to_string(source_file=os.path.abspath(f))
                if svrl is None:
                    raise SystemExit(f"{name} produced no report for {f}")
                root = ET.fromstring(svrl)
                for fa in root.iter(SVRL + "failed-assert"):
                    text = fa.find(SVRL + "text")
                    fields = [f, name, fa.get("id"), fa.get("flag") or "fatal",
                              fa.get("location"), text.text if text is not None else ""]
                    print("\t".join(clean(x) for x in fields))


main()
