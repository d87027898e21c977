"""App bundles: reading a folder or .zip of definitions, validating it against the published JSON
Schemas (engine/schemas/), cross-checking it, and reporting every problem at once.

    result = check_bundle("apps/sales_erp")          # CheckResult(errors, warnings, source)
    source = result.raise_for_errors()                # BundleSource, or BundleInvalid with all problems
    source.app, source.entities, source.roles         # dict, [(file, dict)], dict | None

Every problem is a ``BundleError(code, file, path, line, message{zh,en}, severity)``. Codes are stable:
a code names a kind of problem, never one occurrence.

=============  ==============================================================================
Code           Problem
=============  ==============================================================================
bundle.E001    no bundle at the path, or it is neither a folder nor a .zip
bundle.E002    a file is not UTF-8 text
bundle.E003    YAML syntax error (with its line); unsupported YAML tag; nesting too deep
bundle.E004    malformed JSON (with its line and column)
bundle.E005    a key appears twice in one mapping
bundle.E006    YAML anchors/aliases are not supported
bundle.E007    a mapping key is not a string (``1:`` or ``true:``)
bundle.E008    app.yaml (or app.json) is missing
bundle.E009    two files for one role (app.yaml and app.json; roles.yaml and roles.json; two files of one
               name in an engine kind's folder)
bundle.E010    a definition file is empty
bundle.E011    a file cannot be read
bundle.E020    not a valid zip archive (or a member is corrupt)
bundle.E021    zip member with an unsafe path (``..``, absolute, drive letter, backslash, NUL)
bundle.E022    zip member that is a symbolic link
bundle.E023    zip with more members than allowed (default 2,000)
bundle.E024    zip larger than allowed uncompressed (default 50 MiB), or an oversized archive file
bundle.E025    zip member whose compression ratio is over the limit (a zip bomb)
bundle.E026    zip member that is encrypted
bundle.E027    zip member name that appears twice
bundle.E028    zip member compressed with a method other than stored/deflate
bundle.E030    schema: a required key is missing (the path names the missing key)
bundle.E031    schema: unknown key (for a field: a key its type does not have), with a suggestion
bundle.E032    schema: a value of the wrong type
bundle.E033    schema: a value out of range, too long, empty, not matching its pattern, not allowed
bundle.E040    a name (app, entity, field, role, dependency) is not a valid identifier
bundle.E041    a reserved field name (a system column, or starting with ``_``)
bundle.E042    two entities with the same name (across files)
bundle.E043    two fields with the same name in one entity (or one sub-table)
bundle.E044    unknown field type, with a "did you mean"
bundle.E045    a relation to an entity that is not in the bundle
bundle.E046    the title template names a field that does not exist
bundle.E047    the title template goes through a field that is not a relation (``{number.x}``)
bundle.E048    the title template is malformed (unbalanced or empty braces)
bundle.E049    the layout names a field that does not exist
bundle.E050    an index names a field that does not exist
bundle.E051    ``searchable`` names a field that does not exist (or a path through a non-relation)
bundle.E052    a role name defined twice in roles.yaml
bundle.E053    ``depends`` names the app itself
bundle.E054    roles.yaml grants something that does not check: an unknown entity or field, or a scope
               expression that does not type-check or cannot become a database condition
bundle.E055    ``depends``: a version range that does not parse (write it like ">=1.2,<2")
bundle.E060    an engine's finding in the compiled app (a formula that does not type-check, a cycle...)
bundle.E061    a constant ``default`` its field type does not take (not an option, not a number, no such date)
bundle.E062    a relation's ``filter`` does not type-check over its target's fields as a condition, or cannot
               become a database condition
bundle.E071    seed: records of an entity the bundle does not have
bundle.E072    seed: a record names a field its entity does not have, or a system field
bundle.E073    seed: a value its field type does not take (parsed as install parses it), a computed field, or a
               required field missing that no default fills
bundle.E074    seed: an ``@key`` to no record, to a record of another entity or of the same entity, to a
               demo record from a non-demo file; a ``_key`` used twice; references in a cycle
bundle.E075    seed: a login or department code the seed organisation does not define (before that point,
               and outside demo files for a non-demo file); a role roles.yaml does not define
bundle.E080    an engine's kind (checklists/, flows/...): its cross-check's finding (an unknown entity or field)
bundle.W080    the same, as a warning
bundle.W001    unknown top-level file or folder, ignored (warning)
bundle.W002    a file in entities/ (or a kind's folder) that is not .yaml/.yml/.json, or in a sub-folder,
               ignored (warning)
bundle.W003    a field placed twice in the layout (warning)
bundle.W004    a default expression copies a field hidden from a role into a field that role sees, so
               the ``hidden`` list cannot be honoured there (warning)
=============  ==============================================================================
"""
from .checker import CheckResult, check_bundle
from .cross_check import IDENTIFIER, SYSTEM_FIELDS, is_identifier, is_reserved_field, title_paths
from .documents import Document
from .errors import BundleError, BundleInvalid, json_path
from .safe_zip import ZipLimits, read_zip
from .schemas import app_schema, entity_schema, published_schemas, roles_schema
from .source import BundleSource, load_source

__all__ = [
    "IDENTIFIER", "SYSTEM_FIELDS", "BundleError", "BundleInvalid", "BundleSource", "CheckResult", "Document",
    "ZipLimits", "app_schema", "check_bundle", "entity_schema", "is_identifier", "is_reserved_field",
    "json_path", "load_source", "published_schemas", "read_zip", "roles_schema", "title_paths",
]
