//! The book page of every diagnostic code, embedded for `gitopsc explain`.

use super::Code;

/// The markdown page documenting `code` (`book/src/errors/<code>.md`).
pub fn page(code: Code) -> &'static str {
    match code.as_str() {
        "E0001" => include_str!("../../../book/src/errors/E0001.md"),
        "E0002" => include_str!("../../../book/src/errors/E0002.md"),
        "E0003" => include_str!("../../../book/src/errors/E0003.md"),
        "E0004" => include_str!("../../../book/src/errors/E0004.md"),
        "E0005" => include_str!("../../../book/src/errors/E0005.md"),
        "E0006" => include_str!("../../../book/src/errors/E0006.md"),
        "E0007" => include_str!("../../../book/src/errors/E0007.md"),
        "E0008" => include_str!("../../../book/src/errors/E0008.md"),
        "E0009" => include_str!("../../../book/src/errors/E0009.md"),
        "E0010" => include_str!("../../../book/src/errors/E0010.md"),
        "E0011" => include_str!("../../../book/src/errors/E0011.md"),
        "E0012" => include_str!("../../../book/src/errors/E0012.md"),
        "E0013" => include_str!("../../../book/src/errors/E0013.md"),
        "E0014" => include_str!("../../../book/src/errors/E0014.md"),
        "E0015" => include_str!("../../../book/src/errors/E0015.md"),
        "E0016" => include_str!("../../../book/src/errors/E0016.md"),
        "E0017" => include_str!("../../../book/src/errors/E0017.md"),
        "E0018" => include_str!("../../../book/src/errors/E0018.md"),
        "E0019" => include_str!("../../../book/src/errors/E0019.md"),
        "E0020" => include_str!("../../../book/src/errors/E0020.md"),
        "E0021" => include_str!("../../../book/src/errors/E0021.md"),
        "E0022" => include_str!("../../../book/src/errors/E0022.md"),
        "E0023" => include_str!("../../../book/src/errors/E0023.md"),
        "E0024" => include_str!("../../../book/src/errors/E0024.md"),
        "E0025" => include_str!("../../../book/src/errors/E0025.md"),
        "E0026" => include_str!("../../../book/src/errors/E0026.md"),
        "E0027" => include_str!("../../../book/src/errors/E0027.md"),
        "E0028" => include_str!("../../../book/src/errors/E0028.md"),
        "E0029" => include_str!("../../../book/src/errors/E0029.md"),
        "E0030" => include_str!("../../../book/src/errors/E0030.md"),
        "E0031" => include_str!("../../../book/src/errors/E0031.md"),
        "E0032" => include_str!("../../../book/src/errors/E0032.md"),
        "W0001" => include_str!("../../../book/src/errors/W0001.md"),
        "W0002" => include_str!("../../../book/src/errors/W0002.md"),
        "E9999" => include_str!("../../../book/src/errors/E9999.md"),
        _ => "",
    }
}
