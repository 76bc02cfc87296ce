//! CRC-CCITT as SCP-ECG uses it: polynomial 0x1021, initial value 0xFFFF, bits taken most
//! significant first, no final XOR (also known as CRC-16/CCITT-FALSE).
//!
//! The record CRC covers bytes 3..=record length of the file, each section CRC covers its
//! section from byte 3 (everything after the CRC field itself).

/// Eight 256-entry tables: `TABLES[k][b]` is the CRC contribution of byte `b` followed by
/// `k` zero bytes, so eight bytes can be folded in per step ("slicing by eight").
static TABLES: [[u16; 256]; 8] = build_tables();

const fn build_tables() -> [[u16; 256]; 8] {
    let mut t = [[0u16; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut crc = (b as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        t[0][b] = crc;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

/// CRC-CCITT of `data` starting from 0xFFFF.
pub fn crc_ccitt(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let x0 = c[0] ^ (crc >> 8) as u8;
        let x1 = c[1] ^ crc as u8;
        crc = TABLES[7][x0 as usize]
            ^ TABLES[6][x1 as usize]
            ^ TABLES[5][c[2] as usize]
            ^ TABLES[4][c[3] as usize]
            ^ TABLES[3][c[4] as usize]
            ^ TABLES[2][c[5] as usize]
            ^ TABLES[1][c[6] as usize]
            ^ TABLES[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ TABLES[0][((crc >> 8) as u8 ^ b) as usize];
    }
    crc
}

/// `a * b mod P` for 16-bit register values (bit 15 = coefficient of x^15).
fn mul_mod(a: u16, b: u16) -> u16 {
    let mut r: u16 = 0;
    for i in (0..16).rev() {
        r = if r & 0x8000 != 0 {
            (r << 1) ^ 0x1021
        } else {
            r << 1
        };
        if (b >> i) & 1 == 1 {
            r ^= a;
        }
    }
    r
}

/// `x^(8 n) mod P`: what feeding `n` zero bytes does to the register.
fn zero_bytes_operator(mut n: u64) -> u16 {
    let mut result: u16 = 1;
    let mut power: u16 = 0x0100; // x^8
    while n > 0 {
        if n & 1 == 1 {
            result = mul_mod(result, power);
        }
        power = mul_mod(power, power);
        n >>= 1;
    }
    result
}

/// The CRC of `A || B` from the CRC of `A`, the CRC of `B` and the length of `B`, so a
/// record CRC can be assembled from the section CRCs without reading the bytes again.
pub(crate) fn crc_ccitt_combine(crc_a: u16, crc_b: u16, len_b: u64) -> u16 {
    crc_b ^ mul_mod(crc_a ^ 0xFFFF, zero_bytes_operator(len_b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bitwise(data: &[u8]) -> u16 {
        let mut crc: u16 = 0xFFFF;
        for &b in data {
            crc ^= (b as u16) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
            }
        }
        crc
    }

    #[test]
    fn check_value_of_the_catalogue() {
        // CRC-16/CCITT-FALSE check value for "123456789".
        assert_eq!(crc_ccitt(b"123456789"), 0x29B1);
        assert_eq!(crc_ccitt(b""), 0xFFFF);
    }

    #[test]
    fn combining_equals_computing_at_once() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 253) as u8).collect();
        for split in [0, 1, 2, 7, 8, 9, 100, 999, 1000] {
            let (a, b) = data.split_at(split);
            assert_eq!(
                crc_ccitt_combine(crc_ccitt(a), crc_ccitt(b), b.len() as u64),
                crc_ccitt(&data),
                "split {split}"
            );
        }
    }

    #[test]
    fn sliced_equals_bitwise_for_every_length() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7919 % 251) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(crc_ccitt(&data[..n]), bitwise(&data[..n]), "length {n}");
        }
    }
}
