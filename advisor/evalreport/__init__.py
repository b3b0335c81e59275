"""What `advisor eval` writes besides its table, and `advisor compare`.

    rows.py     one eval record → one flat row (CSV columns, the report's table)
    csvfile.py  rows → CSV for spreadsheets, formula injection guarded
    junit.py    records → JUnit XML, one test case per question
    charts.py   matplotlib figures → inline SVG
    page.py     records + metrics → one self-contained HTML page
    compare.py  two eval outputs → paired metric deltas with bootstrap intervals

Every function returns text or data; the CLI writes the files.
"""
