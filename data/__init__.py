"""The edges: contract files, travel times, generators, benchmark readers, storage."""
