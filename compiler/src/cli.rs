//! The command line: the only place that reads files, writes files and looks at the terminal.
pub fn main() -> i32 {
    0
}
