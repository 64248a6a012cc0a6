//! The buffers of a gradient computation: [`Grads`] in the parameter layout, and the preallocated
//! [`Workspace`] scratch of the kernels.

use super::{CHUNK, TwoLayerNet};
use crate::nn::real::Real;

/// Gradient (or any per-parameter quantity) in the parameter layout `[w | b | v | b_out]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grads<T> {
    pub(super) flat: Vec<T>,
    pub(super) input_dim: usize,
    pub(super) width: usize,
}

impl<T: Real> Grads<T> {
    /// Zeros shaped like `net`.
    pub fn new(net: &TwoLayerNet<T>) -> Self {
        Grads {
            flat: vec![T::ZERO; net.params.len()],
            input_dim: net.input_dim,
            width: net.width,
        }
    }
    pub fn flat(&self) -> &[T] {
        &self.flat
    }
    pub fn flat_mut(&mut self) -> &mut [T] {
        &mut self.flat
    }
    /// `∂/∂w`, `width × input_dim`, row j = neuron j.
    pub fn w(&self) -> &[T] {
        &self.flat[..self.width * self.input_dim]
    }
    pub fn b(&self) -> &[T] {
        let o = self.width * self.input_dim;
        &self.flat[o..o + self.width]
    }
    pub fn v(&self) -> &[T] {
        let o = self.width * (self.input_dim + 1);
        &self.flat[o..o + self.width]
    }
    pub fn b_out(&self) -> T {
        self.flat[self.flat.len() - 1]
    }
    /// Euclidean norm (in f64).
    pub fn norm(&self) -> f64 {
        self.flat
            .iter()
            .map(|g| g.to_f64() * g.to_f64())
            .sum::<f64>()
            .sqrt()
    }
}

/// Preallocated scratch for [`TwoLayerNet::loss_and_grad`], [`TwoLayerNet::loss`] and
/// [`TwoLayerNet::predict`]. Resized (allocating) only when used with a net of another shape.
#[derive(Clone, Debug, Default)]
pub struct Workspace<T> {
    pub(super) xt: Vec<T>,
    pub(super) z: Vec<T>,
    pub(super) f: Vec<T>,
    pub(super) g: Vec<T>,
    pub(super) dz: Vec<T>,
    /// Hidden weights transposed to input-major (`m × d`), refreshed per gradient call.
    pub(super) wt: Vec<T>,
    /// Per-neuron scratch (`d`).
    pub(super) zd: Vec<T>,
    /// Raw sums Σ g σ' x, input-major (`m × d`).
    pub(super) raw_w: Vec<T>,
    pub(super) raw_b: Vec<T>,
    pub(super) raw_v: Vec<T>,
}

impl<T: Real> Workspace<T> {
    pub fn new(net: &TwoLayerNet<T>) -> Self {
        let mut ws = Workspace {
            xt: Vec::new(),
            z: Vec::new(),
            f: Vec::new(),
            g: Vec::new(),
            dz: Vec::new(),
            wt: Vec::new(),
            zd: Vec::new(),
            raw_w: Vec::new(),
            raw_b: Vec::new(),
            raw_v: Vec::new(),
        };
        ws.ensure(net.input_dim, net.width);
        ws
    }
    pub(super) fn ensure(&mut self, input_dim: usize, width: usize) {
        if self.xt.len() != input_dim * CHUNK {
            self.xt = vec![T::ZERO; input_dim * CHUNK];
        }
        for b in [&mut self.z, &mut self.f, &mut self.g, &mut self.dz] {
            if b.len() != CHUNK {
                *b = vec![T::ZERO; CHUNK];
            }
        }
        if self.raw_w.len() != input_dim * width {
            self.raw_w = vec![T::ZERO; input_dim * width];
            self.wt = vec![T::ZERO; input_dim * width];
        }
        if self.raw_b.len() != width {
            self.zd = vec![T::ZERO; width];
            self.raw_b = vec![T::ZERO; width];
            self.raw_v = vec![T::ZERO; width];
        }
    }
}
