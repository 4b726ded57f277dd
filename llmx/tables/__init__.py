"""Tidy tables from llmx results: ``llmx export`` and ``Results.to_frames()``.

One module per concern: ``columns`` (the eight column types), ``build`` (results -> rows),
``sources`` (the document text behind the spans), ``inputs`` (which files), ``writers``
(CSV / Parquet / DuckDB), ``frames`` (pandas), ``results`` (the ``Results`` list).

Schema
======

Types: ``string``, ``integer``, ``float``, ``boolean``, ``list<string>``, ``list<integer>``,
``list<float>``, ``json`` (:mod:`llmx.tables.columns` says how each is stored in CSV, Parquet,
DuckDB and pandas). Every column is nullable. Rows are in input order: the results files in
the order given (a folder's ``*.jsonl`` by name), their lines in order, and each document's
records in the order of its record list.

``documents`` -- one row per result line (failed documents included)::

    doc_id string, source string, task string, status string ("ok" | "error"),
    error_type string, error_message string, error_retryable boolean,
    backend string, model string, mode string, prompt_version string, schema_version string,
    llmx_version string, attempts integer, chunks integer, cached_chunks integer,
    requests integer, prompt_tokens integer, completion_tokens integer, total_tokens integer,
    elapsed_s float, chars_in integer, chars_clean integer, encoding string,
    text_sha256 string, warnings list<string>,
    n_<kind> integer            -- records of each kind in the document
    <input field> ...           -- every key of DocResult.fields (a JSONL input row's url,
                                   date...), typed from its values; a key that is already a
                                   column name gets the prefix ``input_`` (``input_source``)

``<kind>`` -- one table per record kind of the task (``Task.kinds``: a kind after the kinds
it links to), one row per record::

    doc_id string, record_index integer (position in the document's list of that kind),
    <field> ...                 -- the record model's fields in declaration order (types from
                                   the model: str -> string, float -> float, list[str] ->
                                   list<string>, a nested model -> json), then keys only the
                                   records carry (types from the values)
    span_start integer, span_end integer, evidence_start integer, evidence_end integer,
    grounding string,
    span_text string            -- text[span_start:span_end] of the document as read
    evidence_text string        -- text[evidence_start:evidence_end]
    <link>_<field> ...          -- per link field of the kind (RecordSpec.links), the linked
                                   record's fields (all but its id and json ones), null when
                                   the link is null or names no record of the document

``span_text``/``evidence_text`` are null when the document's text is not at hand: ``llmx
export`` reads it back from the result's ``source`` and uses it only when its sha256 equals
``meta.text_sha256``. A name already taken gets ``_2``; a kind named ``documents`` is
exported as ``documents_2``. For the built-in ``cooperation`` task: ``programmes`` (id, kind,
name, donors, recipients, parent, domains, start_date, end_date, evidence, donor_places json,
recipient_places json, spans, ``parent_kind``, ``parent_name``, ``parent_donors``...) and
``metrics`` (subject, value, value_max, unit, qualifier, value_text, evidence, status,
programme, spans, ``programme_kind``, ``programme_name``, ``programme_donors``,
``programme_recipients``, ``programme_parent``, ``programme_domains``...). Results of a task
this install does not have are exported with columns taken from the records and no joins.
"""

from llmx.tables.build import DOCUMENTS, Table, TableError, build_tables
from llmx.tables.columns import Column, ColumnType
from llmx.tables.results import Results

__all__ = ["DOCUMENTS", "Column", "ColumnType", "Results", "Table", "TableError", "build_tables"]
