"""Population screening: every active prescription of an export, screened in one run.

A door (it reads files and writes them): the inputs are read and joined per patient by DuckDB
(`medguide.batch.inputs`), each patient's request is the one `medguide.interop.fhir_request`
maps and `medguide.service.assess` checks (`medguide.batch.work`, the per-partition function
both engines run), and the run (`medguide.batch.run`) writes findings, a summary and a
manifest that lets an interrupted run resume. `medguide.batch.report` renders the page for
people; `medguide.batch.demo` grows a sample export to any size.

Heavy libraries (duckdb, pyarrow, dask, jinja2) are imported inside the functions that use
them, so importing this package costs nothing.
"""
