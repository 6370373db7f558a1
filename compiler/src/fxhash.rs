//! A fast hasher for the compiler's own maps.
//!
//! The keys of these maps are short names (declarations, fields, jobs, tasks, a job's
//! arguments) and the maps live only while one program is compiled, so the default SipHash,
//! built to resist collision floods, costs more than it protects. This is the
//! multiply-rotate hash (FxHash) used by rustc. Iteration order never depends on it: every map whose order can reach an output is an
//! insertion-ordered `IndexMap`.

use std::hash::{BuildHasherDefault, Hasher};

/// The FxHash function over 64-bit words.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Builds [`FxHasher`]s.
pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;
pub type FxHashSet<K> = std::collections::HashSet<K, FxBuild>;
pub type FxIndexMap<K, V> = indexmap::IndexMap<K, V, FxBuild>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash>(t: T) -> u64 {
        FxBuild::default().hash_one(t)
    }

    #[test]
    fn distinguishes_short_and_padded_keys() {
        assert_ne!(hash("a"), hash("a\0"));
        assert_ne!(hash("svc-1"), hash("svc-2"));
        assert_ne!(hash(("build", Some(1usize))), hash(("build", Some(2usize))));
        assert_eq!(hash("changes"), hash(String::from("changes")));
    }

    #[test]
    fn maps_work() {
        let mut m: FxIndexMap<String, usize> = FxIndexMap::default();
        for i in 0..1000 {
            m.insert(format!("svc-{i}"), i);
        }
        assert_eq!(m.get("svc-517"), Some(&517));
        assert_eq!(m.get_index(3).map(|(k, _)| k.as_str()), Some("svc-3"));
    }
}
