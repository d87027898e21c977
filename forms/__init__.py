"""The form engine: field types beyond the kernel's, formulas, linkage, validation, numbering,
relations, sub-tables, import/export and print (to come)."""
