//! Trie over 256-bit node IDs: a 2^16-way direct table on the first 16 bits,
//! each slot holding a crit-bit (path-compressed binary radix) subtree.
//!
//! Layout is chosen for memory: n keys need n leaves and at most n-1
//! internal nodes. Leaves are 32-byte keys in one flat Vec, internal nodes
//! are 16-byte records in a second Vec, and children are u32 indices (top
//! bit tags a leaf): ~48 bytes per ID plus 768 KiB of tables (measured for 1e6
//! IDs: BENCHMARKS.md, "Native trie").
//! The top table removes the ~16 dependent cache misses a single crit-bit
//! tree would spend on the first 16 levels. Prefix counts: a complete binary
//! count tree covers depths 0..=16; deeper ones come from subtree counts
//! stored in every internal node, so any prefix count is one short walk.

pub const ID_BYTES: usize = 32;
pub const ID_BITS: u32 = 256;
/// Deepest histogram we build: 2^20 u32 buckets = 4 MiB, enough for 1e6 IDs.
pub const MAX_HIST_DEPTH: u32 = 20;
/// Children with this bit set refer to `keys`, otherwise to `nodes`.
const LEAF_TAG: u32 = 1 << 31;
/// Indices must stay below the tag bit.
pub const MAX_ENTRIES: usize = (LEAF_TAG - 1) as usize;
/// Bits resolved by the direct table. 16 keeps the tables at 768 KiB and
/// leaves ~4 crit-bit levels per slot at 1e6 IDs.
pub const TOP_BITS: u32 = 16;
const TOP_SLOTS: usize = 1 << TOP_BITS;
/// Empty table slot. Has the leaf tag but index 2^31-1 >= MAX_ENTRIES, so no real leaf.
const EMPTY: u32 = u32::MAX;

pub type Id = [u8; ID_BYTES];

#[derive(Clone, Copy)]
struct Node {
    child: [u32; 2],
    /// Leaves under this node.
    count: u32,
    /// Index (0 = most significant) of the first bit where the two subtrees differ.
    bit: u16,
}

#[inline]
fn is_leaf(r: u32) -> bool {
    r & LEAF_TAG != 0
}

#[inline]
fn leaf_index(r: u32) -> usize {
    (r & !LEAF_TAG) as usize
}

/// Bit `i` of `key` counting from the most significant bit of byte 0.
/// Callers guarantee i/8 < key.len().
#[inline]
pub fn bit_at(key: &[u8], i: u32) -> usize {
    ((key[(i >> 3) as usize] >> (7 - (i & 7))) & 1) as usize
}

/// First `depth` (<= 32) bits of `key` as an integer; reads only the bytes it needs.
#[inline]
pub fn top_bits(key: &[u8], depth: u32) -> u32 {
    if depth == 0 {
        return 0;
    }
    let mut head = [0u8; 4];
    let n = depth.div_ceil(8) as usize;
    head[..n].copy_from_slice(&key[..n]);
    u32::from_be_bytes(head) >> (32 - depth)
}

/// Index of (depth, prefix) in the complete binary count tree (heap layout).
#[inline]
fn level_index(depth: u32, prefix: u32) -> usize {
    (1usize << depth) + prefix as usize
}

/// True if `a` and `b` agree on their first `bits` bits.
fn prefix_eq(a: &[u8], b: &[u8], bits: u32) -> bool {
    let full = (bits / 8) as usize;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = bits % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[full] ^ b[full]) & mask == 0
}

/// Index of the first differing bit, or None if equal.
fn first_diff(a: &Id, b: &Id) -> Option<u32> {
    for i in 0..ID_BYTES {
        let x = a[i] ^ b[i];
        if x != 0 {
            return Some(i as u32 * 8 + x.leading_zeros());
        }
    }
    None
}

pub struct Trie {
    keys: Vec<Id>,
    nodes: Vec<Node>,
    free_keys: Vec<u32>,
    free_nodes: Vec<u32>,
    /// Subtree root (or EMPTY) per value of the first TOP_BITS bits.
    slots: Vec<u32>,
    /// counts[2^d + p] = IDs whose first d bits equal p, for d in 0..=TOP_BITS.
    counts: Vec<u32>,
    len: usize,
}

impl Default for Trie {
    fn default() -> Self {
        Trie {
            keys: Vec::new(),
            nodes: Vec::new(),
            free_keys: Vec::new(),
            free_nodes: Vec::new(),
            slots: vec![EMPTY; TOP_SLOTS],
            counts: vec![0; TOP_SLOTS * 2],
            len: 0,
        }
    }
}

pub enum InsertError {
    Full,
}

impl Trie {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes owned by the trie (capacities, not lengths: that is what the allocator holds).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.keys.capacity() * std::mem::size_of::<Id>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + (self.free_keys.capacity() + self.free_nodes.capacity()) * std::mem::size_of::<u32>()
            + (self.slots.capacity() + self.counts.capacity()) * std::mem::size_of::<u32>()
    }

    #[inline]
    fn count_of(&self, r: u32) -> u32 {
        if is_leaf(r) {
            1
        } else {
            self.nodes[r as usize].count
        }
    }

    /// Any leaf of the subtree at `r`; all its leaves share bits above the subtree's crit bit.
    fn any_leaf(&self, mut r: u32) -> &Id {
        while !is_leaf(r) {
            r = self.nodes[r as usize].child[0];
        }
        &self.keys[leaf_index(r)]
    }

    fn alloc_leaf(&mut self, key: &Id) -> u32 {
        if let Some(i) = self.free_keys.pop() {
            self.keys[i as usize] = *key;
            i | LEAF_TAG
        } else {
            self.keys.push(*key);
            (self.keys.len() - 1) as u32 | LEAF_TAG
        }
    }

    fn alloc_node(&mut self, node: Node) -> u32 {
        if let Some(i) = self.free_nodes.pop() {
            self.nodes[i as usize] = node;
            i
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    fn slot_of(key: &[u8]) -> usize {
        top_bits(key, TOP_BITS) as usize
    }

    /// Moves the count-tree entries on the key's path up or down by one.
    fn bump_levels(&mut self, key: &Id, up: bool) {
        let top = top_bits(key, TOP_BITS);
        for d in 0..=TOP_BITS {
            let c = &mut self.counts[level_index(d, top >> (TOP_BITS - d))];
            *c = if up { *c + 1 } else { *c - 1 };
        }
    }

    /// Leaf reached by following `key`'s bits; the only possible match.
    fn walk(&self, key: &Id) -> Option<u32> {
        let mut r = self.slots[Self::slot_of(key)];
        if r == EMPTY {
            return None;
        }
        while !is_leaf(r) {
            let n = &self.nodes[r as usize];
            r = n.child[bit_at(key, n.bit as u32)];
        }
        Some(r)
    }

    pub fn has(&self, key: &Id) -> bool {
        match self.walk(key) {
            Some(r) => self.keys[leaf_index(r)] == *key,
            None => false,
        }
    }

    pub fn insert(&mut self, key: &Id) -> Result<bool, InsertError> {
        let slot = Self::slot_of(key);
        let root = self.slots[slot];
        let diff = if root == EMPTY {
            None
        } else {
            let best = self.walk(key).unwrap_or(root);
            match first_diff(&self.keys[leaf_index(best)], key) {
                Some(d) => Some(d),
                None => return Ok(false),
            }
        };
        if self.len >= MAX_ENTRIES {
            return Err(InsertError::Full);
        }
        self.bump_levels(key, true);
        self.len += 1;
        let Some(diff) = diff else {
            self.slots[slot] = self.alloc_leaf(key);
            return Ok(true);
        };
        // Second descent: the new node goes above the first node whose crit bit is past `diff`.
        let mut parent: Option<(u32, usize)> = None;
        let mut r = root;
        while !is_leaf(r) {
            let n = &mut self.nodes[r as usize];
            if n.bit as u32 >= diff {
                break;
            }
            n.count += 1;
            let dir = bit_at(key, n.bit as u32);
            parent = Some((r, dir));
            r = n.child[dir];
        }
        let leaf = self.alloc_leaf(key);
        let dir = bit_at(key, diff);
        let mut child = [r, r];
        child[dir] = leaf;
        let count = self.count_of(r) + 1;
        let node = self.alloc_node(Node {
            child,
            count,
            bit: diff as u16,
        });
        match parent {
            Some((p, pd)) => self.nodes[p as usize].child[pd] = node,
            None => self.slots[slot] = node,
        }
        Ok(true)
    }

    pub fn remove(&mut self, key: &Id) -> bool {
        let slot = Self::slot_of(key);
        let mut r = self.slots[slot];
        if r == EMPTY {
            return false;
        }
        // Crit bits strictly increase along a path, so depth <= 256.
        let mut path = [0u32; ID_BITS as usize];
        let mut depth = 0usize;
        while !is_leaf(r) {
            path[depth] = r;
            depth += 1;
            let n = &self.nodes[r as usize];
            r = n.child[bit_at(key, n.bit as u32)];
        }
        if self.keys[leaf_index(r)] != *key {
            return false;
        }
        self.free_keys.push(leaf_index(r) as u32);
        self.len -= 1;
        self.bump_levels(key, false);
        if depth == 0 {
            self.slots[slot] = EMPTY;
            return true;
        }
        // Splice the parent out: its other child takes its place.
        let parent = path[depth - 1];
        let pn = self.nodes[parent as usize];
        let sibling = pn.child[1 - bit_at(key, pn.bit as u32)];
        if depth == 1 {
            self.slots[slot] = sibling;
        } else {
            let gp = &mut self.nodes[path[depth - 2] as usize];
            let gd = bit_at(key, gp.bit as u32);
            gp.child[gd] = sibling;
        }
        for &a in &path[..depth - 1] {
            self.nodes[a as usize].count -= 1;
        }
        self.free_nodes.push(parent);
        true
    }

    /// Number of IDs whose first `bits` bits equal those of `prefix`.
    /// Caller guarantees bits <= 256 and prefix.len() * 8 >= bits.
    pub fn count_prefix(&self, prefix: &[u8], bits: u32) -> u32 {
        if bits <= TOP_BITS {
            return self.counts[level_index(bits, top_bits(prefix, bits))];
        }
        let mut r = self.slots[Self::slot_of(prefix)];
        if r == EMPTY {
            return 0;
        }
        while !is_leaf(r) {
            let n = &self.nodes[r as usize];
            if n.bit as u32 >= bits {
                break;
            }
            r = n.child[bit_at(prefix, n.bit as u32)];
        }
        // Everything under r shares the first `bits` bits, so one leaf decides.
        if prefix_eq(self.any_leaf(r), prefix, bits) {
            self.count_of(r)
        } else {
            0
        }
    }

    /// Histogram of IDs over the 2^depth prefixes of length `depth` (1..=20).
    pub fn counts_at_depth(&self, depth: u32, out: &mut [u32]) {
        if depth <= TOP_BITS {
            let start = level_index(depth, 0);
            out.copy_from_slice(&self.counts[start..start + (1 << depth)]);
            return;
        }
        out.iter_mut().for_each(|c| *c = 0);
        let mut stack = Vec::with_capacity(64);
        for &root in self.slots.iter().filter(|&&r| r != EMPTY) {
            stack.push(root);
            self.drain_histogram(&mut stack, depth, out);
        }
    }

    /// Adds every subtree on `stack` into the depth-`depth` histogram.
    fn drain_histogram(&self, stack: &mut Vec<u32>, depth: u32, out: &mut [u32]) {
        while let Some(r) = stack.pop() {
            if !is_leaf(r) {
                let n = &self.nodes[r as usize];
                if (n.bit as u32) < depth {
                    stack.push(n.child[1]);
                    stack.push(n.child[0]);
                    continue;
                }
            }
            out[top_bits(self.any_leaf(r), depth) as usize] += self.count_of(r);
        }
    }

    /// Up to `limit` (prefix, count) pairs at `depth` with count below the
    /// expected len/2^depth, emptiest first (ties: smaller prefix first).
    /// With a constant expectation, largest deficit == smallest count.
    pub fn holes(&self, depth: u32, limit: usize) -> Vec<(u32, u32)> {
        let mut hist = vec![0u32; 1usize << depth];
        self.counts_at_depth(depth, &mut hist);
        let expected = self.len as f64 / (1u64 << depth) as f64;
        let mut cands: Vec<(u32, u32)> = hist
            .iter()
            .enumerate()
            .filter(|(_, &c)| (c as f64) < expected)
            .map(|(p, &c)| (c, p as u32))
            .collect();
        let limit = limit.min(cands.len());
        if limit == 0 {
            return Vec::new();
        }
        if limit < cands.len() {
            cands.select_nth_unstable(limit - 1);
            cands.truncate(limit);
        }
        cands.sort_unstable();
        cands.into_iter().map(|(c, p)| (p, c)).collect()
    }

    /// IDs at log-distance `d` (1..=256) from `peer`: same first 256-d bits, differing at bit 256-d.
    pub fn count_at_distance(&self, peer: &Id, d: u32) -> u32 {
        let split = ID_BITS - d;
        let mut prefix = *peer;
        prefix[(split >> 3) as usize] ^= 0x80 >> (split & 7);
        self.count_prefix(&prefix, split + 1)
    }

    /// Top `n` log-distances in [min_distance, 256] ranked by deficit ratio
    /// 1 - count/expected, expected = len * 2^(d-1-256); ties -> larger d.
    pub fn suggest_distances(&self, peer: &Id, n: usize, min_distance: u32) -> Vec<u32> {
        // Ranking by ratio == ranking by count * 2^(257-d) ascending (len is common),
        // which we compare exactly in integers so both backends agree bit for bit.
        let mut cands: Vec<(u32, u32)> = (min_distance..=ID_BITS)
            .map(|d| (d, self.count_at_distance(peer, d)))
            .collect();
        cands.sort_unstable_by(|&(da, ca), &(db, cb)| {
            scaled_cmp(ca, ID_BITS + 1 - da, cb, ID_BITS + 1 - db).then(db.cmp(&da))
        });
        cands.into_iter().take(n).map(|(d, _)| d).collect()
    }
}

/// Compares ca * 2^ea with cb * 2^eb exactly (ea, eb <= 256).
pub fn scaled_cmp(ca: u32, ea: u32, cb: u32, eb: u32) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if ca == 0 || cb == 0 {
        return ca.cmp(&cb);
    }
    // Shift the side with the larger exponent by the difference; a shift of
    // 32+ on a nonzero u32 already exceeds any u32.
    if ea >= eb {
        let s = ea - eb;
        if s >= 32 {
            Ordering::Greater
        } else {
            ((ca as u64) << s).cmp(&(cb as u64))
        }
    } else {
        let s = eb - ea;
        if s >= 32 {
            Ordering::Less
        } else {
            (ca as u64).cmp(&((cb as u64) << s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn id(&mut self) -> Id {
            let mut k = [0u8; 32];
            for c in k.chunks_mut(8) {
                c.copy_from_slice(&self.next().to_le_bytes());
            }
            k
        }
    }

    fn naive_count(set: &[Id], prefix: &[u8], bits: u32) -> u32 {
        set.iter()
            .filter(|k| prefix_eq(&k[..], prefix, bits))
            .count() as u32
    }

    #[test]
    fn matches_naive_model() {
        let mut rng = Rng(0x9e3779b97f4a7c15);
        let mut t = Trie::new();
        let mut model: Vec<Id> = Vec::new();
        for step in 0..4000 {
            let op = rng.next() % 10;
            if op < 6 || model.is_empty() {
                let mut k = rng.id();
                if !model.is_empty() && op == 5 {
                    // near-duplicate: exercises deep crit bits
                    k = model[(rng.next() as usize) % model.len()];
                    let b = if rng.next().is_multiple_of(2) {
                        (rng.next() % 256) as u32
                    } else {
                        TOP_BITS + (rng.next() % 8) as u32
                    };
                    k[(b / 8) as usize] ^= 0x80 >> (b % 8);
                }
                let new = !model.contains(&k);
                assert_eq!(t.insert(&k).ok(), Some(new));
                if new {
                    model.push(k);
                }
            } else if op < 9 {
                let i = (rng.next() as usize) % model.len();
                let k = model.swap_remove(i);
                assert!(t.remove(&k));
                assert!(!t.remove(&k));
            } else {
                let probe = rng.id();
                assert!(!t.has(&probe));
            }
            assert_eq!(t.len(), model.len());
            if step % 97 == 0 {
                for k in &model {
                    assert!(t.has(k));
                }
                let p = rng.id();
                for bits in [0, 1, 3, 8, 13, 16, 17, 20, 255, 256] {
                    assert_eq!(t.count_prefix(&p, bits), naive_count(&model, &p, bits));
                }
                if let Some(k) = model.first() {
                    for bits in [0, 1, 7, 8, 9, 16, 17, 24, 100, 256] {
                        assert_eq!(t.count_prefix(k, bits), naive_count(&model, k, bits));
                    }
                }
                for depth in [1, 6, TOP_BITS, TOP_BITS + 1, MAX_HIST_DEPTH] {
                    let mut hist = vec![0u32; 1 << depth];
                    t.counts_at_depth(depth, &mut hist);
                    let mut want = vec![0u32; 1 << depth];
                    for k in &model {
                        want[top_bits(k, depth) as usize] += 1;
                    }
                    assert_eq!(hist, want, "depth {depth}");
                }
            }
        }
    }

    #[test]
    fn scaled_cmp_is_exact() {
        use std::cmp::Ordering::*;
        assert_eq!(scaled_cmp(1, 3, 8, 0), Equal);
        assert_eq!(scaled_cmp(1, 40, u32::MAX, 0), Greater);
        assert_eq!(scaled_cmp(0, 200, 1, 0), Less);
        assert_eq!(scaled_cmp(3, 1, 1, 3), Less);
    }
}
