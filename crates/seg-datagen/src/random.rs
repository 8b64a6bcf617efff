//! Portable random variates over a ChaCha8 stream.
//!
//! Every transcendental function comes from `libm` (a pure-Rust port of musl's), not from
//! the platform's C library, so the same stream gives bit-identical values on every
//! machine. `sqrt`, `floor` and `round_ties_even` are exact in IEEE 754 and stay in `std`.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// A random stream with the variates the generator needs.
pub(crate) struct Stream {
    rng: ChaCha8Rng,
}

impl Stream {
    /// The stream of `(seed, index)` in the domain `tag` (16 bytes that keep the row
    /// streams apart from the catalogue stream).
    pub(crate) fn new(seed: u64, index: u64, tag: &[u8; 16]) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&index.to_le_bytes());
        key[16..].copy_from_slice(tag);
        Stream {
            rng: ChaCha8Rng::from_seed(key),
        }
    }

    /// Uniform in [0, 1), 53 random bits.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1): never 0, so its logarithm is finite.
    fn uniform_open(&mut self) -> f64 {
        ((self.rng.next_u64() >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Uniform in [lo, hi).
    pub(crate) fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in [0, n), `n > 0`; Lemire's multiply-shift with rejection, so
    /// unbiased.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        let n = n.max(1);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.rng.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform integer in [lo, hi), `lo < hi`.
    pub(crate) fn int_in(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below(hi.abs_diff(lo)) as i64
    }

    /// Standard normal (Box–Muller, one value per call).
    pub(crate) fn std_normal(&mut self) -> f64 {
        let r = libm::sqrt(-2.0 * libm::log(self.uniform_open()));
        r * libm::cos(std::f64::consts::TAU * self.uniform())
    }

    /// Normal with the given mean and standard deviation.
    pub(crate) fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        mean + sd * self.std_normal()
    }

    /// Exponential with the given mean.
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.uniform_open())
    }

    /// Gamma with `shape >= 1` and `scale` (Marsaglia and Tsang, 2000).
    fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.std_normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform_open();
            if libm::log(u) < 0.5 * x * x + d - d * v + d * libm::log(v) {
                return d * v * scale;
            }
        }
    }

    /// Poisson with mean `lam >= 0`: inversion for small means, Hörmann's PTRS otherwise.
    fn poisson(&mut self, lam: f64) -> u64 {
        if lam <= 0.0 {
            return 0;
        }
        if lam < 10.0 {
            let limit = libm::exp(-lam);
            let mut k = 0;
            let mut prod = self.uniform();
            while prod > limit {
                k += 1;
                prod *= self.uniform();
            }
            return k;
        }
        let slam = lam.sqrt();
        let loglam = libm::log(lam);
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.uniform() - 0.5;
            let v = self.uniform_open();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lam + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let lhs = libm::log(v) + libm::log(invalpha) - libm::log(a / (us * us) + b);
            let rhs = -lam + k * loglam - libm::lgamma(k + 1.0);
            if lhs <= rhs {
                return k as u64;
            }
        }
    }

    /// Negative binomial: failures before `r` successes of probability `p` (a
    /// gamma–Poisson mixture, as numpy draws it).
    pub(crate) fn negative_binomial(&mut self, r: f64, p: f64) -> u64 {
        let lam = self.gamma(r, (1.0 - p) / p);
        self.poisson(lam)
    }
}

/// A discrete distribution over `0..n` given by non-negative weights.
pub(crate) struct Weighted {
    weights: Vec<f64>,
    cumulative: Vec<f64>,
}

impl Weighted {
    /// The distribution proportional to `weights`.
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let weights: Vec<f64> = weights.into_iter().map(|w| w.max(0.0)).collect();
        let mut total = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted {
            weights,
            cumulative,
        }
    }

    /// Zipf-like weights `1 / k^s` for `k = 1..=n`.
    pub(crate) fn zipf(n: usize, s: f64) -> Self {
        Weighted::new((1..=n).map(|k| 1.0 / libm::pow(k as f64, s)))
    }

    /// One draw.
    pub(crate) fn sample(&self, stream: &mut Stream) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = stream.uniform() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len().saturating_sub(1))
    }

    /// `k` distinct draws without replacement, in the order drawn (successive sampling,
    /// the same distribution as the Gumbel top-k trick of the Python generator).
    pub(crate) fn sample_distinct(
        &self,
        stream: &mut Stream,
        k: usize,
        weights: &mut Vec<f64>,
        out: &mut Vec<usize>,
    ) {
        out.clear();
        weights.clear();
        weights.extend_from_slice(&self.weights);
        for _ in 0..k.min(weights.len()) {
            let total: f64 = weights.iter().sum();
            if total <= 0.0 {
                break;
            }
            let mut x = stream.uniform() * total;
            let mut pick = None;
            for (i, &w) in weights.iter().enumerate() {
                if w <= 0.0 {
                    continue;
                }
                pick = Some(i);
                if x < w {
                    break;
                }
                x -= w;
            }
            if let Some(i) = pick {
                weights[i] = 0.0;
                out.push(i);
            }
        }
    }
}
