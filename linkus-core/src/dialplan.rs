//! Dial strings and the dial plan.

/// Why a dial string cannot be dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialError {
    /// Nothing to dial.
    #[error("empty")]
    Empty,
}
