//! report benchmark (to be written by the issue that owns it).

fn main() {}
