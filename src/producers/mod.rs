//! Producers: code that fills blocks with data for JS to read.
pub mod json;
