//! The `hoare` command line: parses arguments, calls the library, maps the
//! outcome to an exit code.

fn main() {
    println!("hoare {}", env!("CARGO_PKG_VERSION"));
}
