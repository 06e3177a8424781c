"""Pure domain types of Tổng đài: no I/O, no imports from sibling packages."""
