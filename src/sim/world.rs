//! Temporary re-export of the request-level driver, which moved to `sim::request`; code on
//! other branches still names it `sim::world`.

pub use super::request::*;
