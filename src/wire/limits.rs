//! Memory budget for decoding one block: what a block may cost relative to the bytes it arrived in.

use super::error::{Error, Result};
use std::cell::Cell;
use std::io::{self, BufRead, Read};

/// Limits on what decoding one block may cost.
///
/// A block's *cost* counts what decoding it builds beyond the received bytes themselves:
/// per-element bookkeeping (an 8-byte offset per string, an 8-byte key per low_cardinality
/// row), what rendering will expand it to without further input (a low_cardinality row
/// shows its whole dictionary entry, an enum byte its name, JSON output repeats column
/// and tuple element names on every row), and, on compressed connections, every
/// decompressed byte. A block may cost at most `allowance + expansion_factor × wire bytes`.
///
/// Why these defaults: an uncompressed block's own bytes are free, so a real 65 536-row
/// block pays only the bookkeeping (8 bytes per string cell: 512 KiB per string column)
/// and low_cardinality/enum text (65 536 rows × a 200-byte URL = 12.5 MiB); 32 MiB
/// covers that for dozens of such columns before the factor is even needed. The factor 32
/// is 4× the worst bookkeeping ratio (an empty string: 8 bytes of offset for 1 byte of
/// input) and covers compressed data up to a compression ratio of ~30 for blocks beyond
/// the allowance; LZ4 can reach 255, which is exactly the bomb this stops. A crafted block
/// under 1 MB on the wire can therefore cost at most 32 MiB + 32 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Cost allowed per byte received for the block.
    pub expansion_factor: u64,
    /// Cost every block may use whatever its size on the wire.
    pub allowance: u64,
    /// Largest total decompressed size of one block (compressed connections).
    pub max_decompressed: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            expansion_factor: 32,
            allowance: 32 << 20,
            // The server's own cap on one frame; the expansion budget usually binds first.
            max_decompressed: 1 << 30,
        }
    }
}

/// Running account of one block's wire bytes and decoding cost.
#[derive(Debug)]
pub struct Budget {
    limits: DecodeLimits,
    wire: Cell<u64>,
    cost: Cell<u64>,
    decompressed: Cell<u64>,
}

impl Budget {
    pub fn new(limits: DecodeLimits) -> Self {
        Budget {
            limits,
            wire: Cell::new(0),
            cost: Cell::new(0),
            decompressed: Cell::new(0),
        }
    }

    pub fn limits(&self) -> &DecodeLimits {
        &self.limits
    }

    /// Bytes received so far.
    pub fn wire(&self) -> u64 {
        self.wire.get()
    }

    /// Cost charged so far.
    pub fn cost(&self) -> u64 {
        self.cost.get()
    }

    fn add_wire(&self, n: usize) {
        self.wire.set(self.wire.get().saturating_add(n as u64));
    }

    fn allowed(&self) -> u64 {
        self.limits
            .expansion_factor
            .saturating_mul(self.wire.get())
            .saturating_add(self.limits.allowance)
    }

    /// Charge `n` units of cost; an error once the block exceeds its budget.
    pub fn charge(&self, n: u64) -> Result<()> {
        let cost = self.cost.get().saturating_add(n);
        self.cost.set(cost);
        if cost > self.allowed() {
            return Err(Error::Protocol(format!(
                "block would expand to more than {} bytes from {} received \
                 (limit: {} × received + {} MiB); refusing to decode it{}",
                cost,
                self.wire.get(),
                self.limits.expansion_factor,
                self.limits.allowance >> 20,
                if self.decompressed.get() > 0 {
                    " (data this compressible may be genuine: without --compression it \
                     arrives as it is)"
                } else {
                    ""
                }
            )));
        }
        Ok(())
    }

    /// `a × b` charged, with overflow an error.
    pub fn charge_mul(&self, a: u64, b: u64) -> Result<()> {
        self.charge(a.checked_mul(b).ok_or_else(overflow)?)
    }

    /// Account for a frame that will decompress to `n` bytes (checked before it is allocated).
    pub(crate) fn charge_decompressed(&self, n: u64) -> io::Result<()> {
        let total = self.decompressed.get().saturating_add(n);
        self.decompressed.set(total);
        if total > self.limits.max_decompressed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "block decompresses to more than the {}-byte limit",
                    self.limits.max_decompressed
                ),
            ));
        }
        self.charge(n).map_err(|e| {
            let msg = match e {
                Error::Protocol(m) => m,
                other => other.to_string(),
            };
            io::Error::new(io::ErrorKind::InvalidData, msg)
        })
    }
}

/// The error for size arithmetic on network numbers that overflows.
pub fn overflow() -> Error {
    Error::Protocol("a size in the data overflows (corrupt or hostile input)".into())
}

/// Counts the bytes consumed from the underlying reader into a [`Budget`].
pub struct Counted<'a, R: BufRead> {
    inner: &'a mut R,
    budget: &'a Budget,
}

impl<'a, R: BufRead> Counted<'a, R> {
    pub fn new(inner: &'a mut R, budget: &'a Budget) -> Self {
        Counted { inner, budget }
    }
}

impl<R: BufRead> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget.add_wire(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.budget.add_wire(amt);
        self.inner.consume(amt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_grows_with_received_bytes() {
        let b = Budget::new(DecodeLimits {
            expansion_factor: 2,
            allowance: 10,
            max_decompressed: 100,
        });
        assert!(b.charge(10).is_ok());
        assert!(b.charge(1).is_err());
        let data = [0u8; 8];
        let mut src = &data[..];
        let mut c = Counted::new(&mut src, &b);
        let mut sink = Vec::new();
        c.read_to_end(&mut sink).unwrap();
        assert_eq!(b.wire(), 8);
        assert!(b.charge(5).is_ok()); // 16 cost ≤ 2 × 8 + 10
        assert!(b.charge_mul(u64::MAX, 2).is_err());
        assert!(b.charge_decompressed(101).is_err());
    }

    #[test]
    fn only_a_compressed_block_over_budget_suggests_going_without_compression() {
        let limits = DecodeLimits {
            expansion_factor: 2,
            allowance: 10,
            max_decompressed: 1 << 20,
        };
        let plain = Budget::new(limits);
        let e = plain.charge(11).unwrap_err().to_string();
        assert!(!e.contains("--compression"), "{e}");
        let compressed = Budget::new(limits);
        let e = compressed.charge_decompressed(11).unwrap_err().to_string();
        assert!(e.contains("without --compression"), "{e}");
    }
}
