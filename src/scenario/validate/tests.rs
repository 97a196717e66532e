//! The refusal table: a snippet for every distinct refusal, and the key and line it names.
